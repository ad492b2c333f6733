"""The run context of every figure: the programs under test, a scratch folder, the sizes."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Context:
    zipapp: Path  # the built dist/kubectl-metax
    kubectl: Path  # real kubectl (v1.35.2 from `make binaries`)
    workdir: Path  # scratch files: streams, state, kubeconfigs, audit logs
    quick: bool  # smaller sizes and fewer rounds, to try the harness out

    @property
    def python(self) -> str:
        """The interpreter for the Python anchors and kubesim: the venv's, with PyYAML."""
        return sys.executable

    @property
    def zipapp_python(self) -> str:
        """The interpreter that runs the zipapp: the Python the venv was made from.

        A user's ``python3`` has no project venv, whose site-packages contains an
        editable install of kubectl_metax that every start would import. The
        zipapp is run with an explicit interpreter, not its
        ``#!/usr/bin/env python3`` line, so that a version-manager shim on
        PATH is not timed either. It is the same Python build as the venv's.
        """
        return getattr(sys, "_base_executable", sys.executable)

    def metax(self, *args: str) -> List[str]:
        """Return the argv that runs the zipapp with args."""
        return [self.zipapp_python, str(self.zipapp), *args]


def command_available(context: Context, words: Sequence[str]) -> bool:
    """Tell whether the zipapp has the subcommand, by asking for its help."""
    completed = subprocess.run(
        context.metax(*words, "--help"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    return completed.returncode == 0
