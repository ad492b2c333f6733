"""The image reference grammar of ``kubectl_metax.references``.

Covers: splitting into registry, path, tag and digest (registry with port,
IPv6 and localhost registries, Docker Hub short names, digests with and
without a tag), the canonical text form round-tripping, every rejection
(uppercase paths, bad tags, bad digests, empty parts, white space, names
longer than 255 characters) with a reason, and ``relocated`` with and without
a project path.

Leaves out: Docker Hub normalisation (``docker.io/library/``), which the
module deliberately does not do; MetaX naming is in test_naming.py.
"""

from __future__ import annotations

import pytest

from kubectl_metax import references

SHA256 = "sha256:" + "0123456789abcdef" * 4

PARSED = [
    # text, registry, path, tag, digest
    ("nginx", "", "nginx", "", ""),
    ("nginx:1.27", "", "nginx", "1.27", ""),
    ("mxc500-maca:2.32.0.6-ubuntu22.04-amd64", "", "mxc500-maca", "2.32.0.6-ubuntu22.04-amd64", ""),
    ("library/nginx", "", "library/nginx", "", ""),
    (
        "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64",
        "cr.metax-tech.com",
        "cloud/driver-image",
        "2.24.0.8-amd64",
        "",
    ),
    (
        "harbor.example.cn:8443/mximages/gpu-label:0.11.1",
        "harbor.example.cn:8443",
        "mximages/gpu-label",
        "0.11.1",
        "",
    ),
    ("localhost/driver-image", "localhost", "driver-image", "", ""),
    ("localhost:5000/a/b/c:v1", "localhost:5000", "a/b/c", "v1", ""),
    ("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "", ""),
    ("[::1]:5000/x:1", "[::1]:5000", "x", "1", ""),
    ("Registry/x", "Registry", "x", "", ""),
    (f"nginx@{SHA256}", "", "nginx", "", SHA256),
    (f"r.example/n:t@{SHA256}", "r.example", "n", "t", SHA256),
    ("r.example/a_b__c.d---e:T_1.x-y", "r.example", "a_b__c.d---e", "T_1.x-y", ""),
]


@pytest.mark.parametrize("text, registry, path, tag, digest", PARSED)
def test_parse_splits_parts(text: str, registry: str, path: str, tag: str, digest: str) -> None:
    reference = references.parse(text)
    assert reference.registry == registry
    assert reference.path == path
    assert reference.tag == tag
    assert reference.digest == digest


@pytest.mark.parametrize("text", [row[0] for row in PARSED])
def test_text_form_round_trips(text: str) -> None:
    assert str(references.parse(text)) == text


def test_name_is_last_component() -> None:
    assert references.parse("cr.metax-tech.com/cloud/driver-image:1").name == "driver-image"
    assert references.parse("nginx").name == "nginx"


REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    (" nginx", "white space"),
    ("ngi nx", "white space"),
    ("Nginx", "lowercase"),
    ("r.example/Mx/driver", "lowercase"),
    ("r.example/x:", "tag"),
    ("r.example/x:-bad", "tag"),
    ("r.example/x:" + "t" * 129, "tag"),
    ("r.example/x@sha256:abc", "digest"),
    ("r.example/x@sha256:" + "A" * 64, "sha256"),
    ("r.example/x@sha256:" + "a" * 63, "sha256"),
    ("r.example/x@" + "a" * 64, "digest"),
    ("r.example/", "empty"),
    ("r.example//x", "path"),
    ("r.example/-x", "path"),
    ("r.example/x-", "path"),
    ("r.example/x..y", "path"),
    ("-r.example/x", "registry"),
    ("r.example:port/x", "registry"),
    ("r.example/" + "a" * 250, "255"),
]


@pytest.mark.parametrize("text, reason", REJECTED)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(references.InvalidReference) as caught:
        references.parse(text)
    assert reason in str(caught.value)


def test_invalid_reference_is_value_error() -> None:
    assert issubclass(references.InvalidReference, ValueError)


def test_sha512_digest_accepted() -> None:
    digest = "sha512:" + "ab" * 64
    assert references.parse(f"r.example/x@{digest}").digest == digest


def test_unregistered_digest_algorithm_accepted() -> None:
    digest = "multihash+base58:" + "a" * 32
    assert references.parse(f"r.example/x@{digest}").digest == digest


RELOCATED = [
    (
        "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64",
        "harbor.example.cn/mximages",
        "harbor.example.cn/mximages/driver-image:2.24.0.8-amd64",
    ),
    (
        "cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-amd64",
        "registry.local:5000",
        "registry.local:5000/maca-native:2.32.0.6-ubuntu22.04-amd64",
    ),
    (
        "mxc500-maca:2.32.0.6-ubuntu22.04-amd64",
        "harbor.example.cn/a/b/",
        "harbor.example.cn/a/b/mxc500-maca:2.32.0.6-ubuntu22.04-amd64",
    ),
    (
        f"cr.metax-tech.com/cloud/gpu-label:0.11.1@{SHA256}",
        "localhost",
        f"localhost/gpu-label:0.11.1@{SHA256}",
    ),
]


@pytest.mark.parametrize("original, registry, expected", RELOCATED)
def test_relocated_flattens_to_registry(original: str, registry: str, expected: str) -> None:
    relocated = references.parse(original).relocated(registry)
    assert str(relocated) == expected
    assert references.parse(str(relocated)) == relocated


@pytest.mark.parametrize(
    "registry, reason",
    [
        ("https://harbor.example.cn", "scheme"),
        ("", "empty"),
        ("harbor", "not a registry host"),
        ("harbor.example.cn/MX", "lowercase"),
        ("bad_host.example:5000", "invalid registry"),
    ],
)
def test_relocated_rejects_bad_registry(registry: str, reason: str) -> None:
    reference = references.parse("cr.metax-tech.com/cloud/driver-image:2.24.0.8")
    with pytest.raises(references.InvalidReference) as caught:
        reference.relocated(registry)
    assert reason in str(caught.value)


def test_with_tag_drops_digest() -> None:
    reference = references.parse(f"r.example/x:1@{SHA256}").with_tag("2")
    assert str(reference) == "r.example/x:2"
