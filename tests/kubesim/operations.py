"""Create, update, patch and delete with kube-apiserver's storage semantics.

One ``Operations`` object serves both the HTTP handler (with authorization
already done, admission run, ``attributes`` given) and the system writes of
``Cluster`` (``attributes`` None: no admission). What it enforces:
- names (RFC 1123), generateName, 409 AlreadyExists, 404 NotFound;
- optimistic concurrency: a stale metadata.resourceVersion is 409 Conflict;
- generation bumps on changes outside metadata and status
  (https://kubernetes.io/docs/reference/using-api/api-concepts/#generation);
- the status subresource: writes to it change only status, and writes to the
  main resource leave status alone, for kinds that have it;
- deletion with finalizers: deletionTimestamp is set and the object stays
  until the last finalizer is removed; no finalizer may be added meanwhile
  (https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/);
- delete preconditions on uid and resourceVersion, propagationPolicy
  Orphan/Foreground finalizers, and dryRun on every write.
"""

from __future__ import annotations

import base64
import copy
import random
import re
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from tests.kubesim import applying, errors, patching
from tests.kubesim.contract import ApiError, RequestAttributes
from tests.kubesim.registry import Served
from tests.kubesim.store import key_of

if TYPE_CHECKING:
    from tests.kubesim.cluster import SimCluster

Object = Dict[str, Any]

# Kinds whose objects carry metadata.generation; those without a spec do not.
_NO_GENERATION = {
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Event",
    "Endpoints",
    "Namespace",
    "Node",
    "EndpointSlice",
    "Lease",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
}
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
# Characters of generated name suffixes (k8s.io/apimachinery/pkg/util/rand, no vowels).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_SUFFIX_LENGTH = 5
# Metadata that only the server sets; a create request's values are dropped.
_SYSTEM_FIELDS = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
)
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"
NAMESPACE_FINALIZER = "kubernetes"
_service_ip_counter = [10]


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_part(obj: Object) -> Object:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _comparable(obj: Object) -> Object:
    clone = copy.deepcopy(obj)
    meta = clone.get("metadata", {})
    meta.pop("resourceVersion", None)
    for entry in meta.get("managedFields") or []:
        entry.pop("time", None)
    return clone


_CUSTOM_PATCH_TYPES_MESSAGE = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)
# How often a write starts again after a concurrent change before it gives up with 409.
UPDATE_ATTEMPTS = 5


class StaleRead(Exception):
    """The object changed between the read that a patch was built on and its commit."""


def _check_identity(meta: Object, *, name: str = "", namespace: str = "") -> None:
    """Raise 400 when the body names another object or namespace than the URL (rest/meta.go)."""
    if name and meta.get("name") and meta["name"] != name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
        )
    if namespace and meta.get("namespace") and meta["namespace"] != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )


def _merge_subresource(current: Object, new: Object, subresource: str) -> Object:
    """Take only status (or, for /finalize, spec.finalizers) from the request."""
    merged = copy.deepcopy(current)
    if subresource == "finalize":
        finalizers = (new.get("spec") or {}).get("finalizers") or []
        merged.setdefault("spec", {})["finalizers"] = list(finalizers)
    elif "status" in new:
        merged["status"] = new["status"]
    else:
        merged.pop("status", None)
    return merged


def _next_generation(served: Served, current: Object, new: Object) -> int:
    generation = int(current["metadata"].get("generation", 1) or 1)
    changed = _spec_part(current) != _spec_part(new)
    # Custom resources without a status subresource bump on any change outside metadata.
    if served.crd_name and "status" not in served.info.subresources:
        changed = changed or current.get("status") != new.get("status")
    return generation + 1 if changed else generation


class Operations:
    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    # ----- helpers -------------------------------------------------------

    def _admit(
        self,
        attributes: Optional[RequestAttributes],
        operation: str,
        obj: Optional[Object],
        old: Optional[Object],
    ) -> Optional[Object]:
        if attributes is None:
            return obj
        for plugin in self.cluster.plugins.admission:
            result = plugin.admit(
                attributes,
                operation,
                copy.deepcopy(obj) if obj is not None else None,
                copy.deepcopy(old) if old is not None else None,
            )
            if result is not None and obj is not None:
                obj = result
        return obj

    def _check_type(self, served: Served, body: Object) -> None:
        info = served.info
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if api_version and api_version != info.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({info.api_version})"
            )
        if kind and kind != info.kind:
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
            )
        body["apiVersion"] = info.api_version
        body["kind"] = info.kind

    def _validate_name(self, served: Served, obj: Object) -> None:
        name = obj["metadata"].get("name", "")
        kind = served.info.kind
        if not name:
            raise errors.invalid(
                served.info,
                kind,
                "",
                [
                    errors.field_required("metadata.name")
                    | {"message": "Required value: name or generateName is required"}
                ],
            )
        if served.info.resource == "namespaces":
            pattern, message, limit = _LABEL, _LABEL_MESSAGE, 63
        else:
            pattern, message, limit = _SUBDOMAIN, _SUBDOMAIN_MESSAGE, 253
        if ":" in name and served.info.group == "rbac.authorization.k8s.io":
            return  # RBAC names are path segments, not DNS names (e.g. system:masters bindings).
        if not pattern.match(name) or len(name) > limit:
            raise errors.invalid(
                served.info, kind, name, [errors.field_invalid("metadata.name", name, message)]
            )
        if served.info.resource == "customresourcedefinitions":
            spec = obj.get("spec", {})
            expected = f"{spec.get('names', {}).get('plural', '')}.{spec.get('group', '')}"
            if name != expected:
                raise errors.invalid(
                    served.info,
                    kind,
                    name,
                    [
                        errors.field_invalid(
                            "metadata.name", name, 'must be spec.names.plural+"."+spec.group'
                        )
                    ],
                )

    def _check_finalizer_names(self, served: Served, obj: Object) -> None:
        for finalizer in obj["metadata"].get("finalizers") or []:
            if not isinstance(finalizer, str) or not finalizer:
                raise errors.invalid(
                    served.info,
                    served.info.kind,
                    obj["metadata"]["name"],
                    [
                        errors.field_invalid(
                            "metadata.finalizers",
                            finalizer,
                            "finalizer name must be a non-empty string",
                        )
                    ],
                )

    def _prepare_kind(self, served: Served, obj: Object, old: Optional[Object]) -> None:
        """Apply the per-kind defaulting the real registry strategies do."""
        resource = served.info.resource
        if served.info.group == "" and resource == "namespaces":
            spec = obj.setdefault("spec", {})
            if old is None:
                spec.setdefault("finalizers", [NAMESPACE_FINALIZER])
                # Only a loaded state can create a namespace that is already being deleted.
                terminating = bool(obj["metadata"].get("deletionTimestamp"))
                obj["status"] = {"phase": "Terminating" if terminating else "Active"}
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj[
                "metadata"
            ]["name"]
        elif served.info.group == "" and resource == "secrets":
            string_data = obj.pop("stringData", None) or {}
            data = obj.setdefault("data", {}) if string_data else obj.get("data")
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
            obj.setdefault("type", "Opaque")
        elif served.info.group == "" and resource == "services" and old is None:
            self._default_service(obj)
        elif (
            served.info.group == "apiextensions.k8s.io" and resource == "customresourcedefinitions"
        ):
            self._default_crd(obj)

    def _default_service(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
            _service_ip_counter[0] += 1
            index = _service_ip_counter[0]
            spec["clusterIP"] = f"10.96.{index // 250}.{index % 250 + 1}"
        if spec.get("clusterIP") and spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports", []) or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        obj.setdefault("status", {"loadBalancer": {}})

    def _default_crd(self, obj: Object) -> None:
        spec = obj.get("spec", {})
        names = dict(spec.get("names", {}))
        names.setdefault("singular", names.get("kind", "").lower())
        names.setdefault("listKind", names.get("kind", "") + "List")
        spec["names"] = names
        status = obj.setdefault("status", {})
        stamp = now()
        conditions = list(status.get("conditions", []) or [])
        present = {c.get("type") for c in conditions if c.get("status") == "True"}
        if "NamesAccepted" not in present:
            conditions = [c for c in conditions if c.get("type") != "NamesAccepted"]
            conditions.append(
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": stamp,
                }
            )
        if "Established" not in present:
            conditions = [c for c in conditions if c.get("type") != "Established"]
            conditions.append(
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": stamp,
                }
            )
        status["conditions"] = conditions
        status["acceptedNames"] = names
        stored = [v["name"] for v in spec.get("versions", []) if v.get("storage")]
        status["storedVersions"] = sorted(set(status.get("storedVersions", []) or []) | set(stored))

    def _uses_generation(self, served: Served) -> bool:
        return served.info.kind not in _NO_GENERATION or bool(served.crd_name)

    # ----- create --------------------------------------------------------

    def create(
        self,
        served: Served,
        namespace: str,
        body: Object,
        *,
        attributes: Optional[RequestAttributes] = None,
        dry_run: bool = False,
        manager: str = "",
        keep_metadata: bool = False,
    ) -> Object:
        """Store a new object; keep_metadata keeps system fields (state loading)."""
        obj = copy.deepcopy(body)
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        self._check_type(served, obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if served.info.namespaced:
            if namespace:
                _check_identity(meta, namespace=namespace)
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        self._check_crd_terminating(served)
        self._set_create_metadata(served, obj, keep_metadata=keep_metadata)
        self._prepare_kind(served, obj, None)
        if manager and not keep_metadata:
            meta.pop("managedFields", None)
            applying.record_update(None, obj, manager)

        obj = self._admit(attributes, "CREATE", obj, None) or obj
        with self.store.lock:
            key = key_of(served.info, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            if self.store.get(key) is not None:
                raise errors.already_exists(served.info, obj["metadata"]["name"])
            if dry_run:
                return obj
            stored = self.store.put(served.info, obj, "ADDED")
        self.cluster.after_write(served, stored)
        return stored

    def _set_create_metadata(self, served: Served, obj: Object, *, keep_metadata: bool) -> None:
        """Set name, uid, creationTimestamp and generation as the registry does on create."""
        meta = obj["metadata"]
        if meta.get("resourceVersion") and not keep_metadata:
            raise errors.internal("resourceVersion should not be set on objects to be created")
        meta.pop("resourceVersion", None)
        if not keep_metadata:
            for field in _SYSTEM_FIELDS:
                meta.pop(field, None)
        if not meta.get("name") and meta.get("generateName"):
            suffix = "".join(random.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
            meta["name"] = meta["generateName"] + suffix
        self._validate_name(served, obj)
        self._check_finalizer_names(served, obj)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now())
        if self._uses_generation(served):
            meta["generation"] = meta.get("generation", 1) if keep_metadata else 1
        else:
            meta.pop("generation", None)

    def _check_crd_terminating(self, served: Served) -> None:
        if not served.crd_name:
            return
        crd = self.cluster.get_crd(served.crd_name)
        if crd is not None and crd.get("metadata", {}).get("deletionTimestamp"):
            raise ApiError(
                405,
                "MethodNotAllowed",
                "create not allowed while custom resource definition is terminating",
            )

    # ----- update --------------------------------------------------------

    def update(
        self,
        served: Served,
        namespace: str,
        name: str,
        body: Object,
        *,
        subresource: str = "",
        attributes: Optional[RequestAttributes] = None,
        dry_run: bool = False,
        manager: str = "",
        apply_manager: bool = True,
        base_version: Optional[str] = None,
    ) -> Object:
        """Replace an object; base_version, when given, is the version the body was built from.

        A body with metadata.resourceVersion is a precondition (409 Conflict when stale);
        otherwise a concurrent change makes the update start again, or, with base_version,
        raises StaleRead so that the caller rebuilds the body (patches do).
        """
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        new = copy.deepcopy(body)
        self._check_type(served, new)
        meta = new.setdefault("metadata", {})
        _check_identity(meta, name=name, namespace=namespace if served.info.namespaced else "")
        key = key_of(served.info, namespace, name)
        expected_version = meta.get("resourceVersion")
        # Read, build and admit without the store lock (admission may call slow webhooks),
        # then commit only if nothing changed meanwhile, else start again: etcd3's GuaranteedUpdate.
        for _ in range(UPDATE_ATTEMPTS):
            current = self.store.get(key)
            if current is None:
                raise errors.not_found(served.info, name)
            self._check_version(served, name, current, expected_version, base_version)
            candidate = self._merge_update(served, current, copy.deepcopy(new), subresource)
            if manager and apply_manager:
                applying.record_update(current, candidate, manager, subresource=subresource)
            self._validate_update(served, current, candidate)
            candidate = self._admit(attributes, "UPDATE", candidate, current) or candidate
            with self.store.lock:
                latest = self.store.get(key)
                if latest is None:
                    raise errors.not_found(served.info, name)
                if latest["metadata"].get("resourceVersion") == current["metadata"].get(
                    "resourceVersion"
                ):
                    return self._commit_update(served, current, candidate, dry_run=dry_run)
                self._check_version(served, name, latest, expected_version, base_version)
        raise errors.conflict(served.info, name)

    def _check_version(
        self,
        served: Served,
        name: str,
        current: Object,
        expected_version: Optional[str],
        base_version: Optional[str],
    ) -> None:
        """Raise 409 for a stale precondition, or StaleRead when a patch's base changed."""
        current_version = current["metadata"].get("resourceVersion")
        if expected_version and expected_version != current_version:
            raise errors.conflict(served.info, name)
        if base_version is not None and base_version != current_version:
            raise StaleRead()

    def _merge_update(
        self, served: Served, current: Object, new: Object, subresource: str
    ) -> Object:
        """Return the object an update stores: system fields and status kept as the strategy does."""
        if subresource in ("status", "finalize"):
            return _merge_subresource(current, new, subresource)
        meta = new["metadata"]
        old_meta = current["metadata"]
        for field in (*_SYSTEM_FIELDS, "namespace", "name"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        if "managedFields" not in meta and old_meta.get("managedFields"):
            meta["managedFields"] = old_meta["managedFields"]
        if "status" in served.info.subresources:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        self._prepare_kind(served, new, current)
        if served.info.resource == "namespaces" and served.info.group == "":
            # spec.finalizers changes only through the finalize subresource (namespace/strategy.go).
            current_finalizers = (current.get("spec") or {}).get("finalizers", [])
            new.setdefault("spec", {})["finalizers"] = current_finalizers
        if self._uses_generation(served):
            meta["generation"] = _next_generation(served, current, new)
        else:
            meta.pop("generation", None)
        return new

    def _validate_update(self, served: Served, current: Object, new: Object) -> None:
        self._check_finalizer_names(served, new)
        if current["metadata"].get("deletionTimestamp"):
            old_finalizers = set(current["metadata"].get("finalizers") or [])
            added = [f for f in new["metadata"].get("finalizers") or [] if f not in old_finalizers]
            if added:
                # ValidateObjectMetaUpdate in k8s.io/apimachinery/pkg/api/validation/objectmeta.go.
                listed = ", ".join(f'"{f}"' for f in sorted(set(added)))
                raise errors.invalid(
                    served.info,
                    served.info.kind,
                    current["metadata"]["name"],
                    [
                        errors.field_forbidden(
                            "metadata.finalizers",
                            "no new finalizers can be added if the object is being deleted, "
                            f"found new finalizers []string{{{listed}}}",
                        )
                    ],
                )
        if (
            served.info.group == ""
            and served.info.kind in ("ConfigMap", "Secret")
            and current.get("immutable")
        ):
            for field in ("data", "binaryData"):
                if current.get(field) != new.get(field):
                    raise errors.invalid(
                        served.info,
                        served.info.kind,
                        current["metadata"]["name"],
                        [
                            errors.field_forbidden(
                                field, "field is immutable when `immutable` is set"
                            )
                        ],
                    )

    def _commit_update(
        self, served: Served, current: Object, new: Object, *, dry_run: bool
    ) -> Object:
        new["metadata"]["resourceVersion"] = current["metadata"].get("resourceVersion", "")
        if _comparable(new) == _comparable(current):
            # A no-op write stores nothing and keeps the resourceVersion (etcd3 GuaranteedUpdate).
            return current
        if dry_run:
            return new
        if self._deletion_complete(served, new):
            removed = self.store.remove(served.info, new)
            self.cluster.after_delete(served, removed)
            return removed
        stored = self.store.put(served.info, new, "MODIFIED")
        self.cluster.after_write(served, stored)
        return stored

    def _deletion_complete(self, served: Served, obj: Object) -> bool:
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        if served.info.group == "" and served.info.resource == "namespaces":
            return not (obj.get("spec") or {}).get("finalizers")
        return True

    # ----- patch ---------------------------------------------------------

    def patch(
        self,
        served: Served,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        subresource: str = "",
        attributes: Optional[RequestAttributes] = None,
        dry_run: bool = False,
        manager: str = "",
        force: bool = False,
    ) -> Object:
        """Apply a patch to the current object; a concurrent change makes it start again."""
        if patch_type == "apply":
            self._check_apply_body(served, name, patch_body, manager)
        for _ in range(UPDATE_ATTEMPTS):
            current = self.store.get(key_of(served.info, namespace, name))
            try:
                if patch_type == "apply":
                    return self._apply(
                        served,
                        namespace,
                        name,
                        current,
                        patch_body,
                        subresource=subresource,
                        attributes=attributes,
                        dry_run=dry_run,
                        manager=manager,
                        force=force,
                    )
                if current is None:
                    raise errors.not_found(served.info, name)
                patched = self._patched(served, name, current, patch_type, patch_body)
                return self.update(
                    served,
                    namespace,
                    name,
                    patched,
                    subresource=subresource,
                    attributes=attributes,
                    dry_run=dry_run,
                    manager=manager,
                    base_version=current["metadata"].get("resourceVersion"),
                )
            except StaleRead:
                continue
        raise errors.conflict(served.info, name)

    def _patched(
        self, served: Served, name: str, current: Object, patch_type: str, patch_body: Any
    ) -> Object:
        """Return current with the patch applied; resourceVersion stays only if the patch "
        "sets it."""
        if patch_type == "json":
            patched = patching.json_patch(current, patch_body)
            pins_version = any(
                isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion"
                for op in patch_body
            )
        elif patch_type in ("merge", "strategic"):
            if not isinstance(patch_body, dict):
                raise errors.bad_request(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}"
                )
            if patch_type == "strategic" and served.crd_name:
                raise ApiError(415, "UnsupportedMediaType", _CUSTOM_PATCH_TYPES_MESSAGE)
            merge = patching.merge_patch if patch_type == "merge" else patching.strategic_merge
            patched = merge(current, patch_body)
            pins_version = "resourceVersion" in (patch_body.get("metadata") or {})
        else:
            raise errors.unsupported_media_type(patch_type)
        if not isinstance(patched, dict):
            raise errors.bad_request("the patched object is not a JSON object")
        meta = patched.setdefault("metadata", {})
        _check_identity(meta, name=name)
        if not pins_version:
            meta.pop("resourceVersion", None)
        return patched

    def _check_apply_body(self, served: Served, name: str, body: Any, manager: str) -> None:
        if not isinstance(body, dict):
            raise errors.bad_request(
                "error decoding YAML: the apply configuration must be an object"
            )
        if not manager:
            raise errors.bad_request(
                "PATCH /apply requires a non-empty fieldManager query parameter"
            )
        self._check_type(served, body)
        _check_identity(body.get("metadata") or {}, name=name)

    def _apply(
        self,
        served: Served,
        namespace: str,
        name: str,
        current: Optional[Object],
        body: Object,
        *,
        subresource: str,
        attributes: Optional[RequestAttributes],
        dry_run: bool,
        manager: str,
        force: bool,
    ) -> Object:
        body_meta = body.get("metadata") or {}
        if current is None:
            merged = applying.apply(None, body, manager, force=force, resource=served.info)
            merged["metadata"]["name"] = name
            # create() keeps the managedFields that apply computed because no manager is passed.
            try:
                return self.create(
                    served, namespace, merged, attributes=attributes, dry_run=dry_run
                )
            except ApiError as error:
                # Created concurrently: apply again, to the object that now exists.
                if error.reason == "AlreadyExists":
                    raise StaleRead() from None
                raise
        current_version = current["metadata"].get("resourceVersion")
        if body_meta.get("resourceVersion") and body_meta["resourceVersion"] != current_version:
            raise errors.conflict(served.info, name)
        merged = applying.apply(current, body, manager, force=force, resource=served.info)
        merged["metadata"].pop("resourceVersion", None)
        return self.update(
            served,
            namespace,
            name,
            merged,
            subresource=subresource,
            attributes=attributes,
            dry_run=dry_run,
            apply_manager=False,
            base_version=current_version,
        )

    # ----- delete --------------------------------------------------------

    def delete(
        self,
        served: Served,
        namespace: str,
        name: str,
        *,
        options: Optional[Object] = None,
        attributes: Optional[RequestAttributes] = None,
        dry_run: bool = False,
    ) -> Object:
        """Delete or mark for deletion; return the object (marked or gone).

        Admission runs without the store lock; a change made meanwhile makes it start again.
        """
        options = options or {}
        key = key_of(served.info, namespace, name)
        for _ in range(UPDATE_ATTEMPTS):
            current = self.store.get(key)
            if current is None:
                raise errors.not_found(served.info, name)
            self._check_preconditions(served, name, current, options.get("preconditions") or {})
            self._admit(attributes, "DELETE", None, current)
            with self.store.lock:
                latest = self.store.get(key)
                if latest is None:
                    raise errors.not_found(served.info, name)
                if latest["metadata"].get("resourceVersion") != current["metadata"].get(
                    "resourceVersion"
                ):
                    continue
                return self._commit_delete(served, current, options, dry_run=dry_run)
        raise errors.conflict(served.info, name)

    def _check_preconditions(
        self, served: Served, name: str, current: Object, preconditions: Object
    ) -> None:
        """Raise 409 as etcd3's store does when a delete precondition does not hold."""
        meta = current["metadata"]
        uid = preconditions.get("uid")
        if uid and uid != meta.get("uid"):
            raise errors.conflict(
                served.info,
                name,
                f"Precondition failed: UID in precondition: {uid}, "
                f"UID in object meta: {meta.get('uid', '')}",
            )
        version = preconditions.get("resourceVersion")
        if version and version != meta.get("resourceVersion"):
            raise errors.conflict(
                served.info,
                name,
                f"Precondition failed: ResourceVersion in precondition: {version}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion', '')}",
            )

    def _commit_delete(
        self, served: Served, current: Object, options: Object, *, dry_run: bool
    ) -> Object:
        """Remove current, or mark it with deletionTimestamp while finalizers remain."""
        marked = copy.deepcopy(current)
        marked_meta = marked["metadata"]
        finalizers = list(marked_meta.get("finalizers") or [])
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        if policy == "Foreground" and FOREGROUND not in finalizers:
            finalizers.append(FOREGROUND)
        elif policy == "Orphan" and ORPHAN not in finalizers:
            finalizers.append(ORPHAN)
        is_crd = served.crd_name == "" and served.info.resource == "customresourcedefinitions"
        if is_crd and CRD_CLEANUP not in finalizers and not marked_meta.get("deletionTimestamp"):
            finalizers.append(CRD_CLEANUP)
        if finalizers:
            marked_meta["finalizers"] = finalizers
        pending_namespace = (
            served.info.group == ""
            and served.info.resource == "namespaces"
            and bool((marked.get("spec") or {}).get("finalizers"))
        )

        if not finalizers and not pending_namespace:
            if dry_run:
                return current
            removed = self.store.remove(served.info, current)
            self.cluster.after_delete(served, removed)
            return removed

        if not marked_meta.get("deletionTimestamp"):
            marked_meta["deletionTimestamp"] = now()
            marked_meta["deletionGracePeriodSeconds"] = 0
        self._mark_terminating(served, marked)
        if dry_run:
            return marked
        if _comparable(marked) == _comparable(current):
            return current
        stored = self.store.put(served.info, marked, "MODIFIED")
        self.cluster.after_write(served, stored)
        return stored

    def _mark_terminating(self, served: Served, obj: Object) -> None:
        if served.info.group == "" and served.info.resource == "namespaces":
            obj.setdefault("status", {})["phase"] = "Terminating"
        if served.info.resource == "customresourcedefinitions" and not served.crd_name:
            conditions = [
                c
                for c in obj.setdefault("status", {}).get("conditions", []) or []
                if c.get("type") != "Terminating"
            ]
            conditions.append(
                {
                    "type": "Terminating",
                    "status": "True",
                    "reason": "InstanceDeletionPending",
                    "message": "CustomResourceDefinition marked for deletion; instances are "
                    "being deleted",
                    "lastTransitionTime": now(),
                }
            )
            obj["status"]["conditions"] = conditions

    def delete_collection(
        self,
        served: Served,
        namespace: str,
        objects: List[Object],
        *,
        options: Optional[Object] = None,
        attributes: Optional[RequestAttributes] = None,
        dry_run: bool = False,
    ) -> List[Object]:
        results = []
        for obj in objects:
            meta = obj["metadata"]
            try:
                results.append(
                    self.delete(
                        served,
                        meta.get("namespace", namespace),
                        meta["name"],
                        options=options,
                        attributes=attributes,
                        dry_run=dry_run,
                    )
                )
            except ApiError as error:
                if error.code != 404:
                    raise
        return results
