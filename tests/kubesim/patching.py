"""JSON patch, JSON merge patch and strategic merge patch over plain dicts.

- JSON patch (RFC 6902) uses the `jsonpatch` library; a failed operation is a
  422 as kube-apiserver's patch handler returns it
  (k8s.io/apiserver/pkg/endpoints/handlers/patch.go, NewGenericServerResponse).
- Merge patch follows RFC 7386: objects merge, null deletes, lists replace.
- Strategic merge patch follows
  https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md
  for the lists in MERGE_KEYS (merged by key) and SET_LISTS (merged as sets);
  other lists are replaced. Directives: `$patch: replace|delete|merge`,
  `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`.
  Custom resources have no patch strategy, so kube-apiserver rejects a
  strategic merge patch on them with 415; so does this module's caller.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple

import jsonpatch
import jsonpointer

from tests.kubesim import errors

Object = Dict[str, Any]

# Merge keys by list field name, from the patchMergeKey tags in k8s.io/api. A
# tuple maps the parent field (the key under which the list's owner sits) to the key.
MERGE_KEYS: Dict[str, Any] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "taints": "key",
    "addresses": "type",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
    # Container ports merge on containerPort; Service ports on port.
    "ports": {
        "containers": "containerPort",
        "initContainers": "containerPort",
        "ephemeralContainers": "containerPort",
        "": "port",
    },
}

# Lists of scalars merged as sets ("patchStrategy: merge" without a key).
SET_LISTS = frozenset({"finalizers"})


def json_patch(document: Object, patch_ops: Any) -> Object:
    """Apply an RFC 6902 patch; raise 400 for a malformed patch and 422 for a failing one."""
    if not isinstance(patch_ops, list):
        raise errors.bad_request(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    try:
        patch = jsonpatch.JsonPatch(patch_ops)
        return patch.apply(copy.deepcopy(document))  # type: ignore[no-any-return]
    except jsonpatch.JsonPatchTestFailed:
        # The wording of evanphx/json-patch v4, which kube-apiserver uses.
        path = _failing_path(patch_ops, document)
        raise errors.generic_server_response(
            422, f"testing value {path} failed: test failed"
        ) from None
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as error:
        raise errors.generic_server_response(422, _evanphx_message(str(error), patch_ops)) from None
    except jsonpatch.InvalidJsonPatch as error:
        raise errors.bad_request(str(error)) from None


def _failing_path(patch_ops: List[Object], document: Object) -> str:
    """Find the first `test` operation that fails, to name it as kube-apiserver does."""
    current = copy.deepcopy(document)
    for op in patch_ops:
        try:
            current = jsonpatch.JsonPatch([op]).apply(current)
        except jsonpatch.JsonPatchException:
            return str(op.get("path", ""))
        except jsonpointer.JsonPointerException:
            return str(op.get("path", ""))
    return ""


def _evanphx_message(detail: str, patch_ops: List[Object]) -> str:
    for op in patch_ops:
        if op.get("op") in ("remove", "replace"):
            path = op.get("path", "")
            return f"{op['op']} operation does not apply: doc is missing key: {path}: missing value"
    return f"add operation does not apply: doc is missing path: {detail}: missing value"


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def merge_key_for(field: str, parent: str) -> Optional[str]:
    key = MERGE_KEYS.get(field)
    if isinstance(key, dict):
        return key.get(parent, key.get(""))
    return key


def strategic_merge(original: Any, patch: Any, *, field: str = "", parent: str = "") -> Any:
    """Apply a strategic merge patch to original (neither is modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(original, dict):
        original = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if not k.startswith("$")}
    if directive == "delete":
        return None

    result = copy.deepcopy(original)
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [item for item in result.get(name, []) or [] if item not in value]
        else:
            _merge_field(result, key, value, field)

    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, order in patch.items():
        name = key.split("/", 1)[1] if key.startswith("$setElementOrder/") else ""
        if name and isinstance(result.get(name), list):
            result[name] = _apply_order(result[name], order, merge_key_for(name, field))
    return result


def _merge_field(result: Object, key: str, value: Any, parent: str) -> None:
    """Merge one patch field into result: null deletes, lists and maps merge, scalars replace."""
    if value is None:
        result.pop(key, None)
    elif isinstance(value, list):
        result[key] = _merge_list(result.get(key), value, field=key, parent=parent)
    elif isinstance(value, dict):
        merged = strategic_merge(result.get(key), value, field=key, parent=parent)
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
    else:
        result[key] = copy.deepcopy(value)


def _merge_list(original: Any, patch: List[Any], *, field: str, parent: str) -> List[Any]:
    original_list = copy.deepcopy(original) if isinstance(original, list) else []
    if field in SET_LISTS:
        merged = list(original_list)
        for item in patch:
            if item not in merged:
                merged.append(copy.deepcopy(item))
        return merged
    merge_key = merge_key_for(field, parent)
    if merge_key is None or not all(isinstance(item, dict) for item in patch):
        # A `$patch: replace` marker item in a keyless list means "replace"; drop it.
        return [
            copy.deepcopy(item)
            for item in patch
            if not (isinstance(item, dict) and item.get("$patch"))
        ]
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [copy.deepcopy(item) for item in patch if item.get("$patch") != "replace"]

    merged = original_list
    for item in patch:
        key_value = item.get(merge_key)
        index = next(
            (
                i
                for i, existing in enumerate(merged)
                if isinstance(existing, dict) and existing.get(merge_key) == key_value
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
            continue
        if index is None:
            merged.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
        else:
            merged[index] = strategic_merge(merged[index], item, field=field, parent=parent)
    return merged


def _apply_order(items: List[Any], order: Sequence[Any], merge_key: Optional[str]) -> List[Any]:
    """Reorder items as `$setElementOrder` lists them; unlisted items keep their place at the "
    "end."""

    def identity(item: Any) -> Any:
        if merge_key and isinstance(item, dict):
            return item.get(merge_key)
        return item

    wanted = [identity(entry) if isinstance(entry, dict) else entry for entry in order]
    ranked: List[Tuple[int, int, Any]] = []
    for position, item in enumerate(items):
        ident = identity(item)
        rank = wanted.index(ident) if ident in wanted else len(wanted) + position
        ranked.append((rank, position, item))
    return [item for _, _, item in sorted(ranked, key=lambda entry: (entry[0], entry[1]))]
