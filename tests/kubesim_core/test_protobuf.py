"""Protobuf request bodies: the k8s envelope around runtime.Unknown, decoded for built-in kinds.

Covers: decoding Secret, ConfigMap and Namespace bodies with ObjectMeta
labels, annotations, ownerReferences and finalizers (encoded here with the
field numbers of k8s.io/api/core/v1/generated.proto and
k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto), the omission of
empty fields as JSON does, 415 for a kind without a schema, 400 without the
magic prefix, and protobuf creates over HTTPS. Real clients sending
protobuf (kubectl create namespace/configmap, helm's release Secret) are
exercised in test_kubectl.py and test_helm.py.
"""

from __future__ import annotations

from typing import Dict, List

import pytest

from tests.kubesim import protobuf
from tests.kubesim.contract import ApiError
from tests.kubesim_core.client import CM, Api


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _bytes_field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _string(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode())


def _map(number: int, entries: Dict[str, bytes]) -> bytes:
    return b"".join(
        _bytes_field(number, _bytes_field(1, k.encode()) + _bytes_field(2, v))
        for k, v in entries.items()
    )


def _bool(number: int, value: bool) -> bytes:
    return _varint(number << 3) + _varint(int(value))


def _object_meta(
    name: str,
    *,
    labels: Dict[str, str],
    annotations: Dict[str, str],
    finalizers: List[str],
    owner_uid: str,
) -> bytes:
    owner = (
        _string(1, "Deployment")
        + _string(3, "web")
        + _string(4, owner_uid)
        + _string(5, "apps/v1")
        + _bool(6, True)
    )
    return (
        _string(1, name)
        + _string(2, "")  # Go writes empty strings; the decoder must omit them.
        + _string(3, "default")
        + _map(11, {k: v.encode() for k, v in labels.items()})
        + _map(12, {k: v.encode() for k, v in annotations.items()})
        + _bytes_field(13, owner)
        + b"".join(_string(14, f) for f in finalizers)
        + _bytes_field(8, _varint(1 << 3) + _varint((1 << 64) - 62135596800))  # zero time.Time
    )


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _string(1, api_version) + _string(2, kind)
    return (
        protobuf.MAGIC
        + _bytes_field(1, type_meta)
        + _bytes_field(2, raw)
        + _string(3, "")
        + _string(4, "")
    )


def _secret() -> bytes:
    meta = _object_meta(
        "release",
        labels={"owner": "helm", "name": "demo"},
        annotations={"note": "x"},
        finalizers=["example.com/keep"],
        owner_uid="u-1",
    )
    raw = (
        _bytes_field(1, meta)
        + _map(2, {"release": b"\x00\x01binary"})
        + _string(3, "helm.sh/release.v1")
        + _bool(5, True)
    )
    return _envelope("v1", "Secret", raw)


def test_decode_secret_with_metadata():
    obj = protobuf.decode(_secret())
    assert obj["apiVersion"] == "v1"
    assert obj["kind"] == "Secret"
    meta = obj["metadata"]
    assert meta["name"] == "release"
    assert "generateName" not in meta
    assert "creationTimestamp" not in meta
    assert meta["labels"] == {"owner": "helm", "name": "demo"}
    assert meta["annotations"] == {"note": "x"}
    assert meta["finalizers"] == ["example.com/keep"]
    assert meta["ownerReferences"] == [
        {
            "kind": "Deployment",
            "name": "web",
            "uid": "u-1",
            "apiVersion": "apps/v1",
            "controller": True,
        }
    ]
    assert obj["data"] == {"release": "AAFiaW5hcnk="}
    assert obj["type"] == "helm.sh/release.v1"
    assert obj["immutable"] is True


def test_decode_configmap_and_namespace():
    raw = _bytes_field(1, _string(1, "cfg")) + _map(2, {"a": b"1"}) + _map(3, {"bin": b"\xff"})
    configmap = protobuf.decode(_envelope("v1", "ConfigMap", raw))
    assert configmap["data"] == {"a": "1"}
    assert configmap["binaryData"] == {"bin": "/w=="}
    namespace = protobuf.decode(
        _envelope(
            "v1",
            "Namespace",
            _bytes_field(1, _string(1, "team")) + _bytes_field(2, _string(1, "kubernetes")),
        )
    )
    assert namespace["metadata"] == {"name": "team"}
    assert namespace["spec"] == {"finalizers": ["kubernetes"]}


def test_unknown_kind_is_unsupported_media_type():
    with pytest.raises(ApiError) as caught:
        protobuf.decode(_envelope("apps/v1", "Deployment", b""))
    assert caught.value.code == 415


def test_missing_magic_is_bad_request():
    with pytest.raises(ApiError) as caught:
        protobuf.decode(b"{}")
    assert caught.value.code == 400


def test_protobuf_create_over_https(bare):
    api = Api(bare)
    raw = _bytes_field(
        1,
        _object_meta(
            "pb", labels={"via": "protobuf"}, annotations={}, finalizers=[], owner_uid="u-2"
        ),
    ) + _map(2, {"k": b"v"})
    created = api.post(CM, _envelope("v1", "ConfigMap", raw), content_type=protobuf.CONTENT_TYPE)
    assert created.code == 201
    assert created.headers["content-type"] == "application/json"
    stored = api.get(f"{CM}/pb").body
    assert stored["data"] == {"k": "v"}
    assert stored["metadata"]["labels"] == {"via": "protobuf"}
