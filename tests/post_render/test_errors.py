"""Bad input and bad options: exit codes, an empty stdout and messages naming the place.

Covers: invalid YAML, a document that is not a mapping and bytes that are
not UTF-8 exit 1 with nothing on stdout and a message naming the document
number and the input line, in English and zh_CN; bad option values exit 2;
the --config file (values, flags winning over it, unknown keys, wrong
types, unreadable files).

Leaves out: names rejected for the hook script (test_hook.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.post_render.conftest import base_env, post_render

GOOD = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n"
IMAGE = (
    b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"
    b"    image: cr.metax-tech.com/cloud/gpu-label:0.13.0-amd64\n"
)

MALFORMED = {
    # name: (stream, document number, input line)
    "unclosed-flow": (GOOD + b"---\nkind: Pod\nspec: {a: [1, 2}\n", 2, 7),
    "bad-indentation": (GOOD + b"---\n" + GOOD + b"---\nkind: Pod\n  name: x\n bad: 1\n", 3, 12),
    "sequence-document": (GOOD + b"---\n- a\n- b\n", 2, 6),
    "scalar-document": (GOOD + b"---\njust text\n", 2, 6),
    "not-utf8": (GOOD + b"---\n" + IMAGE + b"---\nkind: ConfigMap\ndata:\n  a: \xff\xfe\n", 3, 15),
    "latin1-in-image-document": (IMAGE.replace(b"name: a", b"name: \xe9"), 1, 5),
}

MESSAGE = "document {number} (line {line} of the input)"
MESSAGE_ZH = "第 {number} 个文档（输入的第 {line} 行）"


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_exits_1(name: str) -> None:
    data, number, line = MALFORMED[name]

    completed = post_render(data, "--registry=harbor.example.cn/mx")

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert MESSAGE.format(number=number, line=line) in completed.stderr


@pytest.mark.parametrize("name", ["unclosed-flow", "sequence-document", "not-utf8"])
def test_malformed_input_message_translated(name: str) -> None:
    data, number, line = MALFORMED[name]

    completed = post_render(data, env=base_env(LANG="zh_CN.UTF-8"))

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert MESSAGE_ZH.format(number=number, line=line) in completed.stderr


def test_non_utf8_message_names_encoding() -> None:
    data, _number, _line = MALFORMED["not-utf8"]

    english = post_render(data)
    chinese = post_render(data, env=base_env(LANG="zh_CN.UTF-8"))

    assert "not valid UTF-8" in english.stderr
    assert "不是有效的 UTF-8" in chinese.stderr


BAD_OPTIONS = [
    ["--registry=https://harbor.example.cn"],
    ["--registry=notahost"],
    ["--gpu=GTX1080"],
    ["--arch=s390x"],
    ["--maca-version=2.33.0.1"],  # needs --gpu
    ["--gpu=MXC500", "--maca-version=two"],
    ["--driver-version=2.20.0.1"],  # older than the first driver image
    ["--distro=Ubuntu 22.04", "--gpu=MXC500"],
    ["--hook-image=docker.io/alpine/k8s"],  # not pinned
    ["--hook-image=docker.io/alpine/k8s:latest"],
    ["--hook-image=Not A Reference"],
    ["--hook=sometimes"],
    ["--no-such-flag"],
]


@pytest.mark.parametrize("arguments", BAD_OPTIONS, ids=" ".join)
def test_bad_option_exits_2(arguments: list) -> None:  # type: ignore[type-arg]
    completed = post_render(GOOD, *arguments)

    assert completed.returncode == 2
    assert completed.stdout == b""
    assert completed.stderr.strip()


def test_config_file_applies(tmp_path: Path) -> None:
    config = tmp_path / "post-render.yaml"
    config.write_text("registry: harbor.example.cn/from-config\nhook: never\n", encoding="utf-8")

    completed = post_render(IMAGE, f"--config={config}")

    assert completed.returncode == 0
    image = yaml.safe_load(completed.text)["spec"]["containers"][0]["image"]
    assert image == "harbor.example.cn/from-config/gpu-label:0.13.0-amd64"


def test_flag_wins_over_config(tmp_path: Path) -> None:
    config = tmp_path / "post-render.yaml"
    config.write_text("registry: harbor.example.cn/from-config\n", encoding="utf-8")

    completed = post_render(IMAGE, f"--config={config}", "--registry=harbor.example.cn/flag")

    image = yaml.safe_load(completed.text)["spec"]["containers"][0]["image"]
    assert image == "harbor.example.cn/flag/gpu-label:0.13.0-amd64"


CONFIG_PROBLEMS = {
    "unknown-key": ("registy: harbor.example.cn\n", "registy"),
    "unquoted-version": ("gpu: MXC500\nmaca-version: 2.32\n", "maca-version"),
    "not-a-mapping": ("- registry\n", "mapping"),
    "bad-yaml": ("registry: [\n", "not valid YAML"),
    "flag-not-bool": ("hook-allow-busy-gpus: sometimes\n", "hook-allow-busy-gpus"),
}


@pytest.mark.parametrize("name", sorted(CONFIG_PROBLEMS))
def test_bad_config_exits_2(name: str, tmp_path: Path) -> None:
    content, expected = CONFIG_PROBLEMS[name]
    config = tmp_path / "post-render.yaml"
    config.write_text(content, encoding="utf-8")

    completed = post_render(GOOD, f"--config={config}")

    assert completed.returncode == 2
    assert completed.stdout == b""
    assert expected in completed.stderr


def test_missing_config_exits_2(tmp_path: Path) -> None:
    completed = post_render(GOOD, f"--config={tmp_path / 'absent.yaml'}")

    assert completed.returncode == 2
    assert "absent.yaml" in completed.stderr
