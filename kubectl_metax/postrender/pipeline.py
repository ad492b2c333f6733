"""The post-renderer from input bytes to output text: rewrite images, add or explain the hook.

Documents are read one by one. Only a document whose text contains one of
the substrings that matter here gets a tree; the others are parsed only to
catch bad YAML and passed through unchanged. Empty, comment-only and null
documents are dropped as Helm drops them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import List, Tuple

from kubectl_metax import errors
from kubectl_metax.manifests import editing, events, stream
from kubectl_metax.postrender import facts, hookdocs, hookscript, notices, rewriting
from kubectl_metax.postrender.images import Corrector
from kubectl_metax.postrender.options import HOOK_NEVER, HOOK_REQUIRE, Options

log = logging.getLogger(__name__)


@dataclass
class Result:
    """The output stream and what happened on the way."""

    text: str
    # (document number, change) for each rewritten reference
    changes: List[Tuple[int, rewriting.Change]] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    hook_added: bool = False


def run(data: bytes, options: Options) -> Result:
    """Post-render a stream; raise MalformedStream (exit 1), InvalidInput or ActionFailed."""
    corrector = Corrector(options)
    found = facts.Facts()
    texts: List[str] = []
    result = Result(text="")

    for document in stream.decode(data):
        text = document.text
        wants_tree = rewriting.may_hold_metax_image(text) or facts.needs_tree(text)
        parsed = events.parse(document, build_tree=wants_tree)
        if parsed.shape != events.SHAPE_MAPPING:
            continue
        if parsed.root is not None:
            replacements, changes = rewriting.plan(document, parsed.root, corrector)
            if replacements:
                text = editing.apply(document, replacements)
                result.changes += [(document.number, change) for change in changes]
        found.observe(document, parsed.root)
        texts.append(text)

    texts += _hook(found, options, corrector, result)
    result.text = stream.join(texts)
    return result


def _hook(found: facts.Facts, options: Options, corrector: Corrector, result: Result) -> List[str]:
    """Return the hook documents to append, or record why there are none."""
    if options.hook == HOOK_NEVER or found.generated_present:
        return []
    if not found.operator_found:
        if options.hook == HOOK_REQUIRE:
            raise errors.ActionFailed(notices.no_operator())
        return []
    if not found.helm4:
        if options.hook == HOOK_REQUIRE:
            raise errors.ActionFailed(notices.helm3_require())
        result.warnings.append(notices.helm3_no_hook())
        return []

    if found.problems:
        raise found.problems[0]
    try:
        hook_documents = hookdocs.documents(
            found, image=corrector.hook_image(), allow_busy_gpus=options.hook_allow_busy_gpus
        )
    except hookscript.UnsafeValue as error:
        # facts validates every name first, so this is a defect, not bad input.
        raise RuntimeError(str(error)) from error
    log.info("added the pre-delete cleanup hook (%d documents)", len(hook_documents))
    result.hook_added = True
    return hook_documents
