"""The Helm 3 warning reaches the person running helm, through the terminal.

Covers: helm v3.17.2 run in a pseudo-terminal shows the warning (English
and zh_CN) although it discards the post-renderer's stderr; without a
terminal helm drops it (the reason for writing to /dev/tty); the command on
its own falls back to stderr; stdout carries only YAML in every case.

Leaves out: helm v4, which gets a hook instead of this warning.
"""

from __future__ import annotations

import pexpect
import pytest
import yaml

from tests.post_render.conftest import (
    CHART,
    NAMESPACE,
    RELEASE,
    Helm,
    base_env,
    helm3_post_renderer,
    post_render,
)

pytestmark = pytest.mark.helm

WARNING_EN = "no pre-delete cleanup hook was added"
WARNING_ZH = "没有添加 pre-delete 清理 hook"


def _in_terminal(helm: Helm, *, language: str) -> str:
    env = dict(helm.env, LANG=language)
    arguments = ["template", RELEASE, str(CHART), "-n", NAMESPACE, *helm3_post_renderer()]
    child = pexpect.spawn(
        str(helm.binary), arguments, env=env, encoding="utf-8", timeout=60, dimensions=(50, 500)
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    return output.replace("\r\n", "\n")


def test_warning_on_terminal(helm3: Helm) -> None:
    output = _in_terminal(helm3, language="C.UTF-8")

    assert WARNING_EN in output
    assert "kubectl metax unstick" in output
    assert "maca.payload.images" in output


def test_warning_translated_on_terminal(helm3: Helm) -> None:
    output = _in_terminal(helm3, language="zh_CN.UTF-8")

    assert WARNING_ZH in output
    assert "kubectl metax unstick" in output


def test_helm_drops_stderr_without_terminal(helm3: Helm) -> None:
    completed = helm3.template(*helm3_post_renderer())

    assert WARNING_EN not in completed.stderr
    assert WARNING_EN not in completed.stdout


def test_warning_falls_back_to_stderr() -> None:
    manifest = (
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: op\n  labels:\n"
        b"    app.kubernetes.io/component: metax-operator\nspec: {}\n"
    )

    completed = post_render(manifest, env=base_env())

    assert completed.returncode == 0
    assert WARNING_EN in completed.stderr
    assert yaml.safe_load(completed.text)["metadata"]["name"] == "op"
