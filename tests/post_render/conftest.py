"""Fixtures for the post-renderer tests: the example chart, the command, real helm set-ups."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest
import yaml

from kubectl_metax.postrender import pipeline
from kubectl_metax.postrender.options import Options

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "examples" / "charts" / "metax-operator"
PLUGIN = REPO / "helm-plugin"
VENV_BIN = Path(sys.executable).parent
RELEASE = "metax-operator-1743500897"
NAMESPACE = "metax-operator"


@dataclass
class Completed:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8")


def base_env(**extra: str) -> Dict[str, str]:
    """Return an environment with the venv's kubectl-metax first on PATH and English messages."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LC_ALL", "LC_MESSAGES", "LANG") and not key.startswith("HELM_")
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["LANG"] = "C.UTF-8"
    env.update(extra)
    return env


def post_render(data: bytes, *arguments: str, env: Optional[Dict[str, str]] = None) -> Completed:
    """Run ``kubectl-metax post-render`` as helm runs it: stdin to stdout, no terminal."""
    completed = subprocess.run(
        [str(VENV_BIN / "kubectl-metax"), "post-render", *arguments],
        input=data,
        capture_output=True,
        env=env or base_env(),
        start_new_session=True,  # no controlling terminal, so warnings go to stderr
        check=False,
    )
    return Completed(completed.returncode, completed.stdout, completed.stderr.decode("utf-8"))


@pytest.fixture
def run_post_render():  # type: ignore[no-untyped-def]
    return post_render


@dataclass
class Helm:
    """A helm binary with private HELM_* homes."""

    binary: Path
    env: Dict[str, str]

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        completed = subprocess.run(
            [str(self.binary), *arguments],
            capture_output=True,
            text=True,
            env=self.env,
            start_new_session=True,
            check=False,
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(arguments)} exited {completed.returncode}:\n{completed.stderr}"
            )
        return completed

    def template(
        self, *extra: str, chart: Path = CHART, check: bool = True
    ) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return self.run("template", RELEASE, str(chart), "-n", NAMESPACE, *extra, check=check)


def _helm(binary: Path, home: Path) -> Helm:
    env = base_env(
        HELM_DATA_HOME=str(home / "data"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_CACHE_HOME=str(home / "cache"),
    )
    return Helm(binary, env)


@pytest.fixture(scope="session")
def helm3(helm3_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return _helm(helm3_bin, tmp_path_factory.mktemp("helm3-home"))


@pytest.fixture(scope="session")
def helm4(helm4_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """helm v4 with the metax plugin installed from helm-plugin/ into private homes."""
    helm = _helm(helm4_bin, tmp_path_factory.mktemp("helm4-home"))
    # helm v4.1 installs a local plugin directory as a link under
    # $HELM_DATA_HOME/plugins ("development mode") without a signature check.
    helm.run("plugin", "install", str(PLUGIN))
    return helm


def helm3_post_renderer(*arguments: str) -> List[str]:
    """Return the helm 3 flags that run kubectl-metax post-render with ``arguments``."""
    flags = ["--post-renderer", "kubectl-metax", "--post-renderer-args", "post-render"]
    for argument in arguments:
        flags += ["--post-renderer-args", argument]
    return flags


def helm4_post_renderer(*arguments: str) -> List[str]:
    flags = ["--post-renderer", "metax"]
    for argument in arguments:
        flags += ["--post-renderer-args", argument]
    return flags


def documents(text: str) -> Sequence[str]:
    """Split helm output into documents (helm writes a ``---`` line before each)."""
    return [part for part in text.split("\n---\n") if part.strip()]


GENERATED = "kubectl-metax/generated-by"


@pytest.fixture(scope="session")
def helm4_input(helm4: Helm, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The stream helm v4 writes to a post-renderer for the example chart."""
    folder = tmp_path_factory.mktemp("capture-plugin")
    captured = folder / "captured.yaml"
    script = folder / "capture.sh"
    script.write_text(f"#!/bin/sh\ntee '{captured}'\n", encoding="utf-8")
    script.chmod(0o755)
    (folder / "plugin").mkdir()
    (folder / "plugin" / "plugin.yaml").write_text(
        "apiVersion: v1\ntype: postrenderer/v1\nname: capture\nversion: 0.1.0\n"
        f"runtime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: {script}\n",
        encoding="utf-8",
    )
    helm4.run("plugin", "install", str(folder / "plugin"))
    helm4.template("--post-renderer", "capture")
    return captured.read_bytes()


def hook_objects(text: str) -> Dict[str, Dict[str, Any]]:
    objects = {}
    for manifest in yaml.safe_load_all(text):
        if manifest and manifest["metadata"].get("annotations", {}).get(GENERATED):
            objects[manifest["kind"]] = manifest
    return objects


def render(data: bytes, **options: Any) -> str:
    return pipeline.run(data, Options(**options).checked()).text
