"""Run ``kubectl metax doctor`` in process against kubesim and read its JSON report."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any, Dict, Sequence, Tuple

from kubectl_metax import cli

CHINESE = "zh_CN.UTF-8"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def set_language(monkeypatch: Any, language: str) -> None:
    """Select English ("en") or Chinese ("zh") the way a user's shell would."""
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", CHINESE if language == "zh" else "C.UTF-8")


def run_doctor(*args: str) -> Tuple[int, str, str]:
    """Return the exit code, stdout and stderr of one doctor run."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.run(["doctor", *args])
    return code, out.getvalue(), err.getvalue()


def report(kubeconfig: Any, *args: str) -> Tuple[int, Dict[str, Any]]:
    code, out, err = run_doctor("--kubeconfig", str(kubeconfig), "-o", "json", *args)
    assert out, f"no report on stdout; stderr: {err}"
    return code, json.loads(out)


def findings_of(document: Dict[str, Any], check_id: str) -> Sequence[Dict[str, Any]]:
    return [item for item in document["findings"] if item["id"] == check_id]


def status_of(document: Dict[str, Any], check_id: str) -> str:
    return next(item["status"] for item in document["checks"] if item["id"] == check_id)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)
