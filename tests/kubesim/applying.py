"""Server-side apply and managedFields, in a documented simplification.

What is kept from https://kubernetes.io/docs/reference/using-api/server-side-apply/:
- each field manager owns a set of fields, recorded in metadata.managedFields
  as fieldsV1 (`f:<field>`, `k:{<merge key>}` for keyed list items, `v:<value>`
  for set items, `.` for an owned list item itself);
- an apply whose value differs from a field owned by another manager fails
  with 409 Conflict listing the fields, unless force=true, which transfers them;
- fields the applier owned before and no longer applies are removed, unless
  another manager also owns them;
- non-apply writes (update, patch) make their manager (fieldManager, else the
  user agent's program name) the owner of the fields they change, with
  operation "Update".

Simplified: field sets are leaf paths; list identity uses patching.MERGE_KEYS
(single keys, not CRD x-kubernetes-list-map-keys); other lists are atomic.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from tests.kubesim import errors, patching
from tests.kubesim.contract import ApiError, ResourceInfo

Object = Dict[str, Any]
Path = Tuple[str, ...]

# Metadata fields that the server sets and that apply configurations do not own.
_SYSTEM_METADATA = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
}


def field_paths(obj: Object) -> Set[Path]:
    """Return the leaf field paths of an object, excluding identity and system fields."""
    paths: Set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict):
            for meta_key, meta_value in value.items():
                if meta_key in _SYSTEM_METADATA:
                    continue
                _walk(meta_value, ("f:metadata", f"f:{meta_key}"), meta_key, "metadata", paths)
            continue
        _walk(value, (f"f:{key}",), key, "", paths)
    return paths


def _walk(value: Any, prefix: Path, field: str, parent: str, paths: Set[Path]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _walk(child, (*prefix, f"f:{key}"), key, field, paths)
        return
    if isinstance(value, list) and value:
        merge_key = patching.merge_key_for(field, parent)
        if field in patching.SET_LISTS and all(not isinstance(v, (dict, list)) for v in value):
            for item in value:
                paths.add((*prefix, f"v:{json.dumps(item)}"))
            return
        if merge_key and all(isinstance(v, dict) and merge_key in v for v in value):
            for item in value:
                item_prefix = (
                    *prefix,
                    "k:" + json.dumps({merge_key: item[merge_key]}, separators=(",", ":")),
                )
                paths.add((*item_prefix, "."))
                for key, child in item.items():
                    _walk(child, (*item_prefix, f"f:{key}"), key, field, paths)
            return
    paths.add(prefix)


def value_at(obj: Any, path: Path) -> Tuple[bool, Any]:
    """Return (found, value) for a field path."""
    current = obj
    for element in path:
        if element == ".":
            return True, current
        kind, _, rest = element.partition(":")
        if kind == "f" and isinstance(current, dict) and rest in current:
            current = current[rest]
        elif kind == "k" and isinstance(current, list):
            wanted = json.loads(rest)
            match = [
                i
                for i in current
                if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())
            ]
            if not match:
                return False, None
            current = match[0]
        elif kind == "v" and isinstance(current, list):
            item = json.loads(rest)
            return (item in current), item
        else:
            return False, None
    return True, current


def remove_path(obj: Any, path: Path) -> None:
    """Remove the field at path, then prune maps and keyed items that became empty."""
    if not path:
        return
    parents: List[Tuple[Any, str]] = []
    current = obj
    for element in path[:-1]:
        found, child = value_at(current, (element,))
        if not found:
            return
        parents.append((current, element))
        current = child
    _remove_child(current, path[-1])
    for container, element in reversed(parents):
        found, child = value_at(container, (element,))
        if found and child in ({}, []):
            _remove_child(container, element)
        else:
            break


def _remove_child(container: Any, element: str) -> None:
    kind, _, rest = element.partition(":")
    if element == ".":
        return
    if kind == "f" and isinstance(container, dict):
        container.pop(rest, None)
    elif kind == "k" and isinstance(container, list):
        wanted = json.loads(rest)
        container[:] = [
            i
            for i in container
            if not (isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items()))
        ]
    elif kind == "v" and isinstance(container, list):
        item = json.loads(rest)
        container[:] = [i for i in container if i != item]


def to_fields_v1(paths: Iterable[Path]) -> Object:
    tree: Object = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_fields_v1(tree: Object, prefix: Path = ()) -> Set[Path]:
    paths: Set[Path] = set()
    for key, child in tree.items():
        if key == ".":
            paths.add((*prefix, "."))
        elif child:
            paths |= from_fields_v1(child, (*prefix, key))
        else:
            paths.add((*prefix, key))
    return paths


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj: Object) -> List[Object]:
    return list(obj.get("metadata", {}).get("managedFields") or [])


def _entry(
    manager: str, operation: str, api_version: str, paths: Set[Path], subresource: str = ""
) -> Object:
    entry: Object = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": _now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(paths),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def record_update(
    old: Optional[Object], new: Object, manager: str, *, subresource: str = ""
) -> None:
    """Give manager the fields that changed between old and new (operation Update)."""
    old_paths = field_paths(old) if old else set()
    new_paths = field_paths(new)
    changed = {p for p in new_paths if not old or value_at(old, p) != value_at(new, p)}
    removed = old_paths - new_paths
    entries = []
    mine: Set[Path] = set()
    for entry in _entries(old or {}):
        owned = from_fields_v1(entry.get("fieldsV1", {}))
        if (
            entry.get("manager") == manager
            and entry.get("operation") == "Update"
            and entry.get("subresource", "") == subresource
        ):
            mine = owned
            continue
        owned -= changed | removed
        if owned:
            entries.append(dict(entry, fieldsV1=to_fields_v1(owned)))
    mine = (mine - removed) | changed
    if mine:
        entries.append(_entry(manager, "Update", new.get("apiVersion", ""), mine, subresource))
    if entries:
        new.setdefault("metadata", {})["managedFields"] = entries
    else:
        new.setdefault("metadata", {}).pop("managedFields", None)


def apply(
    current: Optional[Object],
    applied: Object,
    manager: str,
    *,
    force: bool,
    resource: ResourceInfo,
    merge: bool = True,
) -> Object:
    """Return the object after manager applies `applied` to `current` (None when absent).

    Raises 409 Conflict when a field differs from another manager's value and force is false.
    """
    base = copy.deepcopy(current) if current else {}
    applied_paths = field_paths(applied)
    entries = _entries(base)

    conflicts: Dict[str, List[Path]] = {}
    others: List[Tuple[Object, Set[Path]]] = []
    previous: Set[Path] = set()
    for entry in entries:
        owned = from_fields_v1(entry.get("fieldsV1", {}))
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            previous = owned
            continue
        clash = [
            p
            for p in owned & applied_paths
            if p[-1] != "." and value_at(base, p) != value_at(applied, p)
        ]
        if clash:
            conflicts.setdefault(entry.get("manager", ""), []).extend(clash)
        others.append((entry, owned))
    if conflicts and not force:
        raise _conflict_error(conflicts, resource, applied)

    # Fields this manager stops applying go away unless someone else still owns them.
    still_owned: Set[Path] = set()
    for _, owned in others:
        still_owned |= owned
    result = base
    for path in sorted(previous - applied_paths, key=len, reverse=True):
        if path not in still_owned:
            remove_path(result, path)

    body = {k: v for k, v in applied.items() if k != "metadata"}
    merged = patching.strategic_merge(result, body) if merge else dict(result, **body)
    meta = merged.setdefault("metadata", {})
    _merge_metadata(meta, applied.get("metadata") or {})

    new_entries = []
    for entry, owned in others:
        remaining = owned - applied_paths if force else owned
        if remaining:
            new_entries.append(dict(entry, fieldsV1=to_fields_v1(remaining)))
    new_entries.append(_entry(manager, "Apply", applied.get("apiVersion", ""), applied_paths))
    meta["managedFields"] = new_entries
    return merged


def _merge_metadata(meta: Object, applied_meta: Object) -> None:
    """Merge applied labels, annotations and finalizers into meta; system fields stay."""
    for key, value in applied_meta.items():
        if key in _SYSTEM_METADATA:
            continue
        if isinstance(value, dict) and isinstance(meta.get(key), dict):
            meta[key] = dict(meta[key], **value)
        elif key == "finalizers" and isinstance(meta.get(key), list):
            meta[key] = meta[key] + [f for f in value if f not in meta[key]]
        else:
            meta[key] = copy.deepcopy(value)


def _dotted(path: Path) -> str:
    text = ""
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            text += "." + rest
        elif kind in ("k", "v"):
            text += "[" + rest.strip("{}").replace('"', "").replace(":", "=") + "]"
    return text


def _conflict_error(
    conflicts: Dict[str, List[Path]], resource: ResourceInfo, applied: Object
) -> ApiError:
    """Build the 409 that SSA returns (k8s.io/apimachinery/pkg/util/managedfields conflict.go)."""
    count = sum(len(paths) for paths in conflicts.values())
    causes = []
    lines = []
    for manager, paths in sorted(conflicts.items()):
        for path in sorted(paths):
            dotted = _dotted(path)
            causes.append(
                {
                    "type": "FieldManagerConflict",
                    "message": f'conflict with "{manager}"',
                    "field": dotted,
                }
            )
            lines.append((manager, dotted))
    if count == 1:
        manager, dotted = lines[0]
        message = f'Apply failed with 1 conflict: conflict with "{manager}": {dotted}'
    else:
        message = f"Apply failed with {count} conflicts: " + "\n".join(
            f'conflict with "{m}": {d}' for m, d in lines
        )
    name = applied.get("metadata", {}).get("name", "")
    details: Object = {"name": name, "kind": resource.resource, "causes": causes}
    if resource.group:
        details["group"] = resource.group
    return ApiError(409, "Conflict", message, details=details)


def user_agent_manager(user_agent: str) -> str:
    """Derive the default field manager from a User-Agent, as kube-apiserver does (its "
    "program name)."""
    name = user_agent.split("/", 1)[0].strip()
    return name[:128] or "unknown"


__all__ = ["apply", "errors", "field_paths", "record_update", "user_agent_manager"]
