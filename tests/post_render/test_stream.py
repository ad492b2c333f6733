"""YAML stream edge cases: what passes through byte for byte, what is dropped, what is edited.

Covers: documents without MetaX images pass through unchanged (comments,
quoting, key order, YAML 1.1 words, block scalars holding ``---`` with each
chomping indicator, marker lines with comments, ``...`` end markers, flow
and JSON documents, CRLF); a leading BOM is accepted; empty, comment-only
and null documents are dropped; edited documents keep every other byte and
their meaning (``on``, ``yes``, ``0755``, ``"true"``), their quoting style,
JSON stays JSON, CRLF stays CRLF; a ``---`` inside a block scalar does not
split a document.

Leaves out: which fields hold images (test_rewriting.py) and errors
(test_errors.py).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.post_render.conftest import post_render

REGISTRY = "--registry=harbor.example.cn/mx"
VENDOR_IMAGE = "cr.metax-tech.com/cloud/gpu-label:0.13.0-amd64"
MIRRORED_IMAGE = "harbor.example.cn/mx/gpu-label:0.13.0-amd64"

UNTOUCHED = {
    "comments-quoting-order": (
        "# leading comment\n"
        "kind: ConfigMap   # trailing comment\n"
        "apiVersion: v1\n"
        "metadata: {name: 'single', namespace: \"double\"}\n"
        "data:\n"
        "  z: last\n"
        "  a: first\n"
    ),
    "yaml-1.1-words": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: words\n"
        'data:\n  on: yes\n  mode: 0755\n  flag: "true"\n  off: No\n  octal: 010\n'
    ),
    "literal-block-with-marker": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n"
        "data:\n  run.sh: |\n    echo one\n    ---\n    echo two\n"
    ),
    "strip-block-with-marker": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strip\n"
        "data:\n  a: |-\n    ---\n    x\n  b: >-\n    folded\n    text\n"
    ),
    "keep-block-trailing-lines": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n"
        "data:\n  a: |+\n    ---\n    kept\n\n\n"
    ),
    "marker-with-comment": (
        "--- # Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n"
    ),
    "end-marker": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ended\n...\n",
    "flow": "{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {on: 'yes'}}\n",
    "json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json"}}\n',
    "crlf": "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n",
    "image-not-metax": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
        "spec:\n  containers:\n  - name: web\n    image: 'docker.io/library/nginx:1.27'  # pinned\n"
    ),
}


@pytest.mark.parametrize("name", sorted(UNTOUCHED))
def test_untouched_document_is_byte_identical(name: str) -> None:
    text = UNTOUCHED[name]

    completed = post_render(text.encode("utf-8"), REGISTRY)

    assert completed.returncode == 0, completed.stderr
    assert completed.text == text


def test_untouched_stream_is_byte_identical() -> None:
    stream = "---\n" + "---\n".join(
        text for name, text in sorted(UNTOUCHED.items()) if not text.startswith("---")
    )

    completed = post_render(stream.encode("utf-8"), REGISTRY)

    assert completed.text == stream


def test_byte_order_mark_accepted() -> None:
    text = UNTOUCHED["comments-quoting-order"]

    completed = post_render(("\ufeff" + text).encode("utf-8"), REGISTRY)

    assert completed.returncode == 0
    assert completed.text == text


DROPPED = {
    "empty": "---\n",
    "blank": "---\n\n   \n",
    "comment-only": "---\n# Source: chart/templates/empty.yaml\n",
    "null": "---\nnull\n",
    "tilde": "--- ~\n",
    "null-marker": "--- null\n",
}


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_empty_document_dropped(name: str) -> None:
    kept = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n"

    completed = post_render((DROPPED[name] + kept).encode("utf-8"), REGISTRY)

    assert completed.returncode == 0
    assert completed.text == kept


EDITED_BLOCK = (
    "# Source: chart/templates/ds.yaml\n"
    "apiVersion: apps/v1\n"
    "kind: DaemonSet\n"
    "metadata:\n"
    "  name: label   # keep me\n"
    '  annotations: {on: yes, mode: 0755, flag: "true"}\n'
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: a\n"
    f"        image: '{VENDOR_IMAGE}'\n"
    '        args: ["--on", on, 0755]\n'
    "        command:\n"
    "        - sh\n"
    "        - -c\n"
    "        - |+\n"
    "          echo start\n"
    "          ---\n"
    "          echo end\n"
    "\n"
    "      - name: b\n"
    f'        image: "{VENDOR_IMAGE}"\n'
    "      - name: c\n"
    f"        image: {VENDOR_IMAGE}\n"
)


def test_edited_document_changes_only_images() -> None:
    completed = post_render(EDITED_BLOCK.encode("utf-8"), REGISTRY)

    expected = EDITED_BLOCK.replace(VENDOR_IMAGE, MIRRORED_IMAGE)
    assert completed.text == expected


def test_edited_document_keeps_meaning() -> None:
    completed = post_render(EDITED_BLOCK.encode("utf-8"), REGISTRY)
    before = yaml.safe_load(EDITED_BLOCK)
    after = yaml.safe_load(completed.text)

    containers = after["spec"]["template"]["spec"]["containers"]
    assert [container["image"] for container in containers] == [MIRRORED_IMAGE] * 3
    for container in before["spec"]["template"]["spec"]["containers"]:
        container["image"] = MIRRORED_IMAGE
    assert after == before
    assert after["metadata"]["annotations"] == {True: True, "mode": 493, "flag": "true"}
    assert containers[0]["command"][2] == "echo start\n---\necho end\n\n"


def test_json_document_stays_json() -> None:
    document = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": VENDOR_IMAGE}]},
    }
    text = json.dumps(document, indent=2) + "\n"

    completed = post_render(text.encode("utf-8"), REGISTRY)

    assert json.loads(completed.text)["spec"]["containers"][0]["image"] == MIRRORED_IMAGE
    assert completed.text == text.replace(VENDOR_IMAGE, MIRRORED_IMAGE)


def test_flow_document_edited_in_place() -> None:
    text = (
        "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: "
        f"[{{name: a, image: {VENDOR_IMAGE}}}]}}}}\n"
    )

    completed = post_render(text.encode("utf-8"), REGISTRY)

    assert completed.text == text.replace(VENDOR_IMAGE, MIRRORED_IMAGE)
    assert yaml.safe_load(completed.text)["spec"]["containers"][0]["image"] == MIRRORED_IMAGE


def test_crlf_document_keeps_crlf() -> None:
    text = (
        "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n"
        f"  - name: a\r\n    image: {VENDOR_IMAGE}\r\n"
    )

    completed = post_render(text.encode("utf-8"), REGISTRY)

    assert completed.stdout == text.replace(VENDOR_IMAGE, MIRRORED_IMAGE).encode("utf-8")


def test_marker_inside_block_scalar_does_not_split() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n"
        "data:\n  a: |\n    ---\n    b: 1\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        f"spec:\n  containers:\n  - name: a\n    image: {VENDOR_IMAGE}\n"
    )

    completed = post_render(text.encode("utf-8"), REGISTRY)

    loaded = list(yaml.safe_load_all(completed.text))
    assert [item["kind"] for item in loaded] == ["ConfigMap", "Pod"]
    assert loaded[0]["data"]["a"] == "---\nb: 1\n"
    assert completed.text == text.replace(VENDOR_IMAGE, MIRRORED_IMAGE)


def test_unicode_before_image_keeps_offsets() -> None:
    text = (
        "# 驱动镜像，来自私有仓库\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        "  annotations: {说明: 镜像}\n"
        f"spec:\n  containers:\n  - name: a\n    image: {VENDOR_IMAGE}\n"
    )

    completed = post_render(text.encode("utf-8"), REGISTRY)

    assert completed.text == text.replace(VENDOR_IMAGE, MIRRORED_IMAGE)
