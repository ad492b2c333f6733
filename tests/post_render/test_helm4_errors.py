"""A post-render failure reaches the person running helm 4, through the terminal.

Covers: helm v4.1.4 run in a pseudo-terminal on a chart whose MXMACA image
tag cannot be rebuilt for --gpu shows our error (English and zh_CN), next
to its own "plugin exited with error". helm v3.17.2 shows the error once,
from stderr, because the terminal copy is made only under Helm 4. Without
a terminal helm 4 still hides the error, which is why it is copied.

Leaves out: malformed YAML, which helm v4.1.4 rejects while merging the
manifests, before any post-renderer runs (tried with an unclosed flow
sequence, an unknown anchor and a scalar document).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pexpect
import pytest

from tests.post_render.conftest import (
    CHART,
    NAMESPACE,
    RELEASE,
    Helm,
    helm3_post_renderer,
    helm4_post_renderer,
)

pytestmark = pytest.mark.helm

# An MXMACA image whose tag names no distribution or architecture, which
# --gpu needs to rebuild the image name.
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: trainer
spec:
  containers:
  - name: trainer
    image: cr.metax-tech.com/library/maca-c500:2.32.0.6
"""
FLAGS = ["--gpu=c500", "--hook=never"]
ERROR_EN = "kubectl-metax post-render: error: cannot rebuild the MXMACA image"
ERROR_ZH = "kubectl-metax post-render：错误：无法按 --gpu 重建 MXMACA 镜像"
REASON = "maca-c500:2.32.0.6"
HELM4_OWN_ERROR = 'plugin "metax" exited with error'


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    folder = tmp_path / "chart"
    (folder / "templates").mkdir(parents=True)
    shutil.copy(CHART / "Chart.yaml", folder / "Chart.yaml")
    (folder / "templates" / "pod.yaml").write_text(POD, encoding="utf-8")
    return folder


def _in_terminal(helm: Helm, chart: Path, flags: List[str], *, language: str) -> str:
    env = dict(helm.env, LANG=language)
    arguments = ["template", RELEASE, str(chart), "-n", NAMESPACE, *flags]
    child = pexpect.spawn(
        str(helm.binary), arguments, env=env, encoding="utf-8", timeout=60, dimensions=(50, 500)
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 1, output
    return output.replace("\r\n", "\n")


def test_helm4_error_on_terminal(helm4: Helm, chart: Path) -> None:
    output = _in_terminal(helm4, chart, helm4_post_renderer(*FLAGS), language="C.UTF-8")

    assert ERROR_EN in output
    assert REASON in output
    assert HELM4_OWN_ERROR in output


def test_helm4_error_translated(helm4: Helm, chart: Path) -> None:
    output = _in_terminal(helm4, chart, helm4_post_renderer(*FLAGS), language="zh_CN.UTF-8")

    assert ERROR_ZH in output
    assert REASON in output


def test_helm3_error_shown_once(helm3: Helm, chart: Path) -> None:
    output = _in_terminal(helm3, chart, helm3_post_renderer(*FLAGS), language="C.UTF-8")

    assert output.count(REASON) == 1
    assert "error: cannot rebuild the MXMACA image" in output
    assert ERROR_EN not in output


def test_helm4_hides_stderr_without_terminal(helm4: Helm, chart: Path) -> None:
    completed = helm4.template(*helm4_post_renderer(*FLAGS), chart=chart, check=False)

    assert completed.returncode == 1
    assert HELM4_OWN_ERROR in completed.stderr
    assert REASON not in completed.stderr
    assert REASON not in completed.stdout
