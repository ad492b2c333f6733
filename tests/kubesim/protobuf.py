"""Decode the protobuf bodies that kubectl and helm send for built-in kinds.

A body is the 4-byte magic "k8s\\0" followed by a runtime.Unknown message
(k8s.io/apimachinery/pkg/runtime/generated.proto: 1 typeMeta, 2 raw,
3 contentEncoding, 4 contentType) whose raw field holds the object. Field
numbers below are those of k8s.io/api/core/v1/generated.proto and
k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto. Unknown fields are
skipped; a kind without a schema here is rejected with 415, which is what
kube-apiserver answers for a body it cannot decode.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Tuple, Union

from tests.kubesim import errors

Object = Dict[str, Any]
MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# Field kinds: "string", "bytes" (base64 in JSON), "int", "bool", "time",
# ("message", schema), ("map", value_kind), ("repeated", kind), "json" (raw JSON bytes).
FieldKind = Union[str, Tuple[str, Any]]
Schema = Dict[int, Tuple[str, FieldKind]]

TYPE_META: Schema = {1: ("apiVersion", "string"), 2: ("kind", "string")}
UNKNOWN: Schema = {
    1: ("typeMeta", ("message", TYPE_META)),
    2: ("raw", "rawbytes"),
    3: ("contentEncoding", "string"),
    4: ("contentType", "string"),
}
OWNER_REFERENCE: Schema = {
    1: ("kind", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
FIELDS_V1: Schema = {1: ("Raw", "json")}
MANAGED_FIELDS_ENTRY: Schema = {
    1: ("manager", "string"),
    2: ("operation", "string"),
    3: ("apiVersion", "string"),
    4: ("time", "time"),
    6: ("fieldsType", "string"),
    7: ("fieldsV1", ("message", FIELDS_V1)),
    8: ("subresource", "string"),
}
OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    4: ("selfLink", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "time"),
    9: ("deletionTimestamp", "time"),
    10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    13: ("ownerReferences", ("repeated", ("message", OWNER_REFERENCE))),
    14: ("finalizers", ("repeated", "string")),
    17: ("managedFields", ("repeated", ("message", MANAGED_FIELDS_ENTRY))),
}
LOCAL_OBJECT_REFERENCE: Schema = {1: ("name", "string")}
OBJECT_REFERENCE: Schema = {
    1: ("kind", "string"),
    2: ("namespace", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("resourceVersion", "string"),
    7: ("fieldPath", "string"),
}
SECRET: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("data", ("map", "bytes")),
    3: ("type", "string"),
    4: ("stringData", ("map", "string")),
    5: ("immutable", "bool"),
}
CONFIG_MAP: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("data", ("map", "string")),
    3: ("binaryData", ("map", "bytes")),
    4: ("immutable", "bool"),
}
NAMESPACE_CONDITION: Schema = {
    1: ("type", "string"),
    2: ("status", "string"),
    4: ("lastTransitionTime", "time"),
    5: ("reason", "string"),
    6: ("message", "string"),
}
NAMESPACE: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("spec", ("message", {1: ("finalizers", ("repeated", "string"))})),
    3: (
        "status",
        (
            "message",
            {
                1: ("phase", "string"),
                2: ("conditions", ("repeated", ("message", NAMESPACE_CONDITION))),
            },
        ),
    ),
}
SERVICE_ACCOUNT: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("secrets", ("repeated", ("message", OBJECT_REFERENCE))),
    3: ("imagePullSecrets", ("repeated", ("message", LOCAL_OBJECT_REFERENCE))),
    4: ("automountServiceAccountToken", "bool"),
}
PRECONDITIONS: Schema = {1: ("uid", "string"), 2: ("resourceVersion", "string")}
DELETE_OPTIONS: Schema = {
    1: ("gracePeriodSeconds", "int"),
    2: ("preconditions", ("message", PRECONDITIONS)),
    3: ("orphanDependents", "bool"),
    4: ("propagationPolicy", "string"),
    5: ("dryRun", ("repeated", "string")),
}

# k8s.io/api/rbac/v1/generated.proto, for `kubectl create role|clusterrole|rolebinding|...`.
POLICY_RULE: Schema = {
    1: ("verbs", ("repeated", "string")),
    2: ("apiGroups", ("repeated", "string")),
    3: ("resources", ("repeated", "string")),
    4: ("resourceNames", ("repeated", "string")),
    5: ("nonResourceURLs", ("repeated", "string")),
}
SUBJECT: Schema = {
    1: ("kind", "string"),
    2: ("apiGroup", "string"),
    3: ("name", "string"),
    4: ("namespace", "string"),
}
ROLE_REF: Schema = {1: ("apiGroup", "string"), 2: ("kind", "string"), 3: ("name", "string")}
ROLE: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("rules", ("repeated", ("message", POLICY_RULE))),
}
ROLE_BINDING: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("subjects", ("repeated", ("message", SUBJECT))),
    3: ("roleRef", ("message", ROLE_REF)),
}

# k8s.io/api/authorization/v1/generated.proto, for `kubectl auth can-i` (with and without --list).
RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
NON_RESOURCE_ATTRIBUTES: Schema = {1: ("path", "string"), 2: ("verb", "string")}
ACCESS_REVIEW_STATUS: Schema = {
    1: ("allowed", "bool"),
    2: ("reason", "string"),
    3: ("evaluationError", "string"),
    4: ("denied", "bool"),
}
SELF_SUBJECT_ACCESS_REVIEW: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: (
        "spec",
        (
            "message",
            {
                1: ("resourceAttributes", ("message", RESOURCE_ATTRIBUTES)),
                2: ("nonResourceAttributes", ("message", NON_RESOURCE_ATTRIBUTES)),
            },
        ),
    ),
    3: ("status", ("message", ACCESS_REVIEW_STATUS)),
}
SUBJECT_ACCESS_REVIEW: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: (
        "spec",
        (
            "message",
            {
                1: ("resourceAttributes", ("message", RESOURCE_ATTRIBUTES)),
                2: ("nonResourceAttributes", ("message", NON_RESOURCE_ATTRIBUTES)),
                3: ("user", "string"),
                4: ("groups", ("repeated", "string")),
                6: ("uid", "string"),
            },
        ),
    ),
    3: ("status", ("message", ACCESS_REVIEW_STATUS)),
}
SELF_SUBJECT_RULES_REVIEW: Schema = {
    1: ("metadata", ("message", OBJECT_META)),
    2: ("spec", ("message", {1: ("namespace", "string")})),
}

# Kinds whose protobuf bodies are decoded, keyed by (apiVersion, kind).
SCHEMAS: Dict[Tuple[str, str], Schema] = {
    ("v1", "Secret"): SECRET,
    ("v1", "ConfigMap"): CONFIG_MAP,
    ("v1", "Namespace"): NAMESPACE,
    ("v1", "ServiceAccount"): SERVICE_ACCOUNT,
    ("v1", "DeleteOptions"): DELETE_OPTIONS,
    ("meta.k8s.io/v1", "DeleteOptions"): DELETE_OPTIONS,
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): SELF_SUBJECT_ACCESS_REVIEW,
    ("authorization.k8s.io/v1", "SubjectAccessReview"): SUBJECT_ACCESS_REVIEW,
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): SELF_SUBJECT_RULES_REVIEW,
    ("rbac.authorization.k8s.io/v1", "Role"): ROLE,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ROLE,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ROLE_BINDING,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ROLE_BINDING,
}


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes) -> List[Tuple[int, int, Any]]:
    """Split a message into (field number, wire type, raw value) triples."""
    out = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated length-delimited field")
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


# Seconds from 1970 to 0001-01-01, Go's zero time.Time as metav1.Time marshals it.
_EPOCH_OF_YEAR_ONE = -62135596800


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _time(data: bytes) -> str:
    seconds = 0
    for number, _, value in _fields(data):
        if number == 1:
            seconds = _signed(value)
    if seconds <= _EPOCH_OF_YEAR_ONE:
        return _ZERO_TIME
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(kind: FieldKind, value: Any) -> Any:
    converters: Dict[str, Callable[[Any], Any]] = {
        "string": lambda v: v.decode("utf-8"),
        "bytes": lambda v: base64.b64encode(v).decode("ascii"),
        "rawbytes": lambda v: v,
        "int": _signed,
        "bool": bool,
        "time": _time,
        "json": lambda v: json.loads(v.decode("utf-8")) if v else {},
    }
    if isinstance(kind, tuple) and kind[0] == "message":
        return decode_message(value, kind[1])
    return converters[kind](value)  # type: ignore[index]


# Go's protobuf marshalling writes non-pointer fields even when empty; the JSON form omits them.
_ZERO_TIME = "0001-01-01T00:00:00Z"


def _omit_empty(value: Any) -> bool:
    return value in ("", _ZERO_TIME) or value in ({}, [])


def decode_message(data: bytes, schema: Schema) -> Object:
    result = _decode_fields(data, schema)
    return {key: value for key, value in result.items() if not _omit_empty(value)}


def _decode_fields(data: bytes, schema: Schema) -> Object:
    result: Object = {}
    for number, _, value in _fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "map":
            entry = {n: v for n, _, v in _fields(value)}
            key = entry.get(1, b"").decode("utf-8")
            result.setdefault(name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        elif isinstance(kind, tuple) and kind[0] == "repeated":
            result.setdefault(name, []).append(_scalar(kind[1], value))
        else:
            decoded = _scalar(kind, value)
            # FieldsV1 is a message with one raw JSON field; JSON shows just the JSON.
            if isinstance(kind, tuple) and kind[1] is FIELDS_V1:
                decoded = decoded.get("Raw", {})
            result[name] = decoded
    return result


def decode(body: bytes) -> Object:
    """Decode a k8s protobuf envelope into the JSON form of the object it carries."""
    if not body.startswith(MAGIC):
        raise errors.bad_request("provided protobuf data does not start with the k8s magic number")
    try:
        unknown = decode_message(body[len(MAGIC) :], UNKNOWN)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.bad_request(f"unable to decode protobuf body: {error}") from None
    type_meta = unknown.get("typeMeta", {})
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise errors.unsupported_media_type(f"{CONTENT_TYPE} ({api_version or '?'} {kind or '?'})")
    try:
        obj = decode_message(unknown.get("raw", b""), schema)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.bad_request(f"unable to decode protobuf {kind}: {error}") from None
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    return obj
