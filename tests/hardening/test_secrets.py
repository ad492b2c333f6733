"""No credential or Secret payload leaks into logs, backups or support bundles.

Covers: a unique string planted in an Opaque Secret's data, in a Helm
release Secret's payload (encoded as Helm 3 stores it: JSON, gzip, base64,
then the Secret's own base64) and the kubeconfig's bearer token; then
``unstick -vvv`` (text and JSON output, and its backup file),
``doctor -vvv`` (text and JSON) and ``doctor --dump`` run as subprocesses
against kubesim, and every output is searched for each planted value in
plain and base64 form. The backup file is created 0600 even under umask 0.

Leaves out: client certificates and exec plugins in the kubeconfig, and
``--helm-uninstall`` (its output is helm's).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from kubectl_metax import cli
from tests.unstick import states

VENV_BIN = Path(sys.executable).parent
NAMESPACE = "metax-operator"
RELEASE = "metax-operator-1743500897"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _planted_state(secret: str) -> str:
    """Return the FAQ state (namespace Active) with the secret in two Secrets."""
    documents = [
        document
        for document in yaml.safe_load_all(states.stuck_install(terminating=False))
        if document["kind"] != "Secret"
    ]
    release = json.dumps({"name": RELEASE, "config": {"registryPassword": secret}})
    helm_payload = base64.b64encode(gzip.compress(release.encode())).decode()
    documents.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": f"sh.helm.release.v1.{RELEASE}.v1",
                "namespace": NAMESPACE,
                "labels": {"owner": "helm", "name": RELEASE, "status": "deployed", "version": "1"},
            },
            "type": "helm.sh/release.v1",
            "data": {"release": _b64(helm_payload)},
        }
    )
    documents.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "registry-login", "namespace": NAMESPACE},
            "type": "Opaque",
            "data": {"password": _b64(secret)},
        }
    )
    return yaml.safe_dump_all(documents)


def _forms(value: str) -> List[str]:
    """Return the forms a leak could take: plain and base64 (once and twice)."""
    return [value, _b64(value), _b64(_b64(value))]


def _run(*arguments: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [str(VENV_BIN / "kubectl-metax"), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _token(kubeconfig: Path) -> str:
    config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    token: str = config["users"][0]["user"]["token"]
    return token


def test_no_secret_in_any_output(kubesim_factory: Any, tmp_path: Path) -> None:
    planted = "kmx-planted-" + secrets.token_hex(12)
    sim = kubesim_factory(state=_planted_state(planted))
    token = _token(sim.kubeconfig)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "KUBECONFIG": str(sim.kubeconfig),
        "LANG": "C.UTF-8",
    }
    backups = tmp_path / "backups"
    dump = tmp_path / "bundle.yaml"

    runs = [
        _run("doctor", "-vvv", env=env, cwd=tmp_path),
        _run("doctor", "-vvv", "-o", "json", "--dump", str(dump), env=env, cwd=tmp_path),
        _run("unstick", "-vvv", "--dry-run", "server", env=env, cwd=tmp_path),
        _run("unstick", "-vvv", "--yes", "--backup-dir", str(backups), env=env, cwd=tmp_path),
        _run("unstick", "-vvv", "-o", "json", "--yes", env=env, cwd=tmp_path),
    ]
    outputs = {f"run {index} stdout": run.stdout for index, run in enumerate(runs)}
    outputs.update({f"run {index} stderr": run.stderr for index, run in enumerate(runs)})
    for run in runs:
        assert "Traceback" not in run.stderr, run.stderr
    backup_files = sorted(backups.glob("kubectl-metax-unstick-*.yaml"))
    assert backup_files, runs[3].stdout + runs[3].stderr
    assert dump.exists(), runs[1].stderr
    outputs.update({path.name: path.read_text(encoding="utf-8") for path in backup_files})
    outputs["dump"] = dump.read_text(encoding="utf-8")

    # The searches below can only pass for the right reason if the runs did their job.
    assert "DEBUG" in runs[0].stderr
    assert runs[3].returncode == 0, runs[3].stdout + runs[3].stderr
    assert "registry-login" in outputs["dump"] or RELEASE in outputs["dump"]

    for name, text in outputs.items():
        for form in _forms(planted) + _forms(token):
            assert form not in text, f"{name} contains a planted secret"


def test_backup_created_private_under_umask_0(
    kubesim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    sim = kubesim_factory(state=states.stuck_install(terminating=False))
    monkeypatch.setenv("KUBECONFIG", str(sim.kubeconfig))
    monkeypatch.setenv("LANG", "C")
    monkeypatch.chdir(tmp_path)
    backups = tmp_path / "backups"
    previous = os.umask(0)
    try:
        code = cli.run(["unstick", "--yes", "--backup-dir", str(backups)])
    finally:
        os.umask(previous)
    output = capsys.readouterr()
    assert code == 0, output.out + output.err
    files = list(backups.glob("kubectl-metax-unstick-*.yaml"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
