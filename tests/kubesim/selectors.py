"""Label and field selectors as the list and watch endpoints parse them.

Label selector syntax (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/):
`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k`.
Field selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/)
support `=`, `==` and `!=` on metadata.name and metadata.namespace for every
kind, plus the per-kind fields in FIELD_LABELS.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Tuple

from tests.kubesim import errors

Object = Dict[str, Any]
Predicate = Callable[[Object], bool]

# Extra selectable fields per kind (pkg/registry/*/strategy.go, XFieldsSet functions).
FIELD_LABELS: Dict[str, Tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "Node": ("spec.unschedulable",),
    "ReplicaSet": ("status.replicas",),
    "Job": ("status.successful",),
}

_SET_RE = re.compile(
    r"^\s*(!?)([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9_.-]*))?\s*$"
)


def _split_top_level(text: str) -> List[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse_label_selector(text: str) -> Predicate:
    """Return a predicate over objects; raise 400 BadRequest on a malformed selector."""
    requirements = []
    for term in _split_top_level(text or ""):
        match = _SET_RE.match(term)
        if not match:
            raise errors.bad_request(
                f"unable to parse requirement: found '{term.strip()}', expected: identifier"
            )
        negate, key, set_op, set_values, op, value = match.groups()
        if negate and (set_op or op):
            raise errors.bad_request(
                f"unable to parse requirement: found '{term.strip()}', expected: identifier"
            )
        if set_op:
            values = {v.strip() for v in set_values.split(",") if v.strip()}
            requirements.append((key, set_op, values))
        elif op:
            requirements.append((key, "!=" if op == "!=" else "=", {value}))
        else:
            requirements.append((key, "!" if negate else "exists", set()))

    def matches(obj: Object) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        for key, op, values in requirements:
            present = key in labels
            if op == "=" and (not present or labels[key] not in values):
                return False
            if op == "in" and (not present or labels[key] not in values):
                return False
            if op in ("!=", "notin") and present and labels[key] in values:
                return False
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
        return True

    return matches


def _field_value(obj: Object, path: str) -> str:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def parse_field_selector(text: str, kind: str) -> Predicate:
    """Return a predicate; raise 400 BadRequest for a field that the kind cannot select on."""
    allowed = ("metadata.name", "metadata.namespace", *FIELD_LABELS.get(kind, ()))
    requirements = []
    for term in _split_top_level(text or ""):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not match:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, op, value = match.groups()
        if field not in allowed:
            raise errors.bad_request(f"field label not supported: {field}")
        requirements.append((field, op != "!=", value))

    def matches(obj: Object) -> bool:
        return all(
            (_field_value(obj, field) == value) == equal for field, equal, value in requirements
        )

    return matches
