"""A Helm 4 post-renderer for tests: ``kubectl-metax post-render``, then one RBAC rule less.

Run as ``python -m tests.hook.droprule KIND RESOURCE [post-render arguments]``
by the ``metax-drop`` plugin: it passes stdin through ``kubectl-metax
post-render`` (found on PATH) and removes, from the hook's Role or
ClusterRole named by KIND, the rule that covers RESOURCE. It exits 3 when no
such rule exists, so a test cannot pass by dropping nothing.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Dict, List

import yaml

GENERATED = "kubectl-metax/generated-by"
RULE_NOT_FOUND = 3


def drop_rule(documents: List[Dict[str, Any]], *, kind: str, resource: str) -> int:
    """Remove the rule for resource from the hook's kind; return how many rules were removed."""
    removed = 0
    for document in documents:
        annotations = (document.get("metadata") or {}).get("annotations") or {}
        if document.get("kind") != kind or GENERATED not in annotations:
            continue
        rules = document.get("rules") or []
        kept = [rule for rule in rules if resource not in rule.get("resources", [])]
        removed += len(rules) - len(kept)
        document["rules"] = kept
    return removed


def main(arguments: List[str]) -> int:
    kind, resource, *post_render_arguments = arguments
    completed = subprocess.run(
        ["kubectl-metax", "post-render", *post_render_arguments],
        stdin=sys.stdin.buffer,
        capture_output=True,
        check=False,
    )
    sys.stderr.write(completed.stderr.decode("utf-8", "replace"))
    if completed.returncode != 0:
        return completed.returncode
    documents = [item for item in yaml.safe_load_all(completed.stdout) if item]
    if drop_rule(documents, kind=kind, resource=resource) == 0:
        sys.stderr.write(f"droprule: no rule for {resource} in the hook's {kind}\n")
        return RULE_NOT_FOUND
    sys.stdout.write(yaml.safe_dump_all(documents, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
