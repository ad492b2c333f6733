"""``unstick`` under one injected fault at every request position, against kubesim.

Covers two states: the vendor FAQ's (a webhook configuration whose service
is gone, a ClusterOperator with deletionTimestamp and finalizer, namespace
metax-operator terminating) and one with only the stuck ClusterOperator.
A clean run records how many requests unstick sends and which writes it
plans. Then, for each fault (500, 503 with Retry-After, 429, a response
slower than --request-timeout, a dropped connection, 409) and each request
position in turn, a fresh cluster gets that one fault and unstick runs in
process. Checked every time:
- the command returns an exit code instead of raising;
- every write hits a planned object with a planned verb;
- a backup file exists when the first write arrives;
- exit 0 only when the cluster really is clean;
- after a failed run, a second run without faults exits 0 and leaves
  nothing stuck (after exit 0 the cluster was just checked clean);
- a 503 makes the client wait the Retry-After it was given.
The client's waits between retries are recorded instead of slept, and
verification waits 3 s instead of 30 s for the namespace to go.

Leaves out: two faults in one run, faults during ``--helm-uninstall``, and
the Helm 4 hook (tests/post_render/test_hook_script.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Set, Tuple

import pytest

from kubectl_metax import cli
from kubectl_metax.kube import applying, transport
from tests.hardening import clusters

WEBHOOKS = ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")
NAMESPACE = "metax-operator"
WEBHOOK = "upgrade-validating-webhook-configuration"
OPERATOR = "cluster-operator"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
# Access reviews are created by the permission check and change nothing.
REVIEW_RESOURCES = ("selfsubjectaccessreviews", "selfsubjectrulesreviews")
ADMIN = "kubesim-admin"

# The client gives up after REQUEST_TIMEOUT, before the slow fault responds.
REQUEST_TIMEOUT = "500ms"
SLOW_SECONDS = 1.0
RETRY_AFTER = 2
FAULTS: Dict[str, Dict[str, Any]] = {
    "500": {"code": 500},
    "503-retry-after": {"code": 503, "retry_after": RETRY_AFTER},
    "429": {"code": 429},
    "timeout": {"latency": SLOW_SECONDS},
    "dropped": {"drop": True},
    "409": {"code": 409},
}
# Faults of the connection itself run over TLS, as real clusters do; the
# status-code faults use plain HTTP to keep the sweep short.
TLS_FAULTS = ("timeout", "dropped")
# Verification waits this long for a namespace to finish terminating, in
# place of the command's 30 s: kubesim's namespace controller needs about 1 s.
SETTLE_SECONDS = 3.0

Write = Tuple[str, str, str, str]  # verb, resource, namespace, name


SCENARIOS: Dict[str, Callable[[], str]] = {
    "faq": clusters.faq_state,
    "operator-only": clusters.operator_only_state,
}


class Recorder:
    """Wrap a kubesim's fault check to count requests and see the backup at the first write."""

    def __init__(self, sim: Any, backup_dir: Path) -> None:
        self.requests = 0
        self.backup_at_first_write: List[bool] = []
        self._backup_dir = backup_dir
        self._check = sim.faults.check
        sim.faults.check = self.check

    def check(self, method: str, verb: str, path: str, resource: str) -> Any:
        self.requests += 1
        is_write = verb in WRITE_VERBS and resource not in REVIEW_RESOURCES
        if is_write and not self.backup_at_first_write:
            backups = list(self._backup_dir.glob("kubectl-metax-unstick-*.yaml"))
            self.backup_at_first_write.append(bool(backups))
        return self._check(method, verb, path, resource)


def _writes(sim: Any) -> Set[Write]:
    return {
        (entry.verb, entry.resource, entry.namespace, entry.name)
        for entry in sim.audit
        if entry.user == ADMIN
        and entry.verb in WRITE_VERBS
        and entry.resource not in REVIEW_RESOURCES
    }


def _stuck(sim: Any) -> List[str]:
    """Return what is still stuck: the webhook configuration or the ClusterOperator."""
    left = []
    if sim.get(*WEBHOOKS, "", WEBHOOK) is not None:
        left.append("webhook configuration")
    if sim.get(*OPERATORS, NAMESPACE, OPERATOR) is not None:
        left.append("ClusterOperator")
    return left


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    """Record the transport's waits between retries instead of sleeping through them."""
    waits: List[float] = []
    monkeypatch.setitem(transport.Api.__init__.__kwdefaults__, "sleep", waits.append)
    monkeypatch.setattr(applying, "SETTLE_SECONDS", SETTLE_SECONDS)
    return waits


@pytest.fixture
def run_unstick(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any, retry_waits: List[float]
) -> Callable[..., Tuple[int, str, str]]:
    """Return a function that runs unstick in process; an exception fails the test."""
    monkeypatch.chdir(tmp_path)
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C")

    def run(sim: Any, backup_dir: Path) -> Tuple[int, str, str]:
        monkeypatch.setenv("KUBECONFIG", str(sim.kubeconfig))
        code = cli.run(
            [
                "unstick",
                "--yes",
                "--request-timeout",
                REQUEST_TIMEOUT,
                "--backup-dir",
                str(backup_dir),
            ]
        )
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _clean_run(
    kubesim_factory: Any, run_unstick: Any, state: str, folder: Path, *, tls: bool
) -> Tuple[int, Set[Write]]:
    sim = kubesim_factory(state=state, tls=tls)
    recorder = Recorder(sim, folder)
    code, out, err = run_unstick(sim, folder)
    assert code == 0, out + err
    assert recorder.backup_at_first_write == [True]
    planned = _writes(sim)
    assert planned, "the clean run wrote nothing, so the sweep would prove nothing"
    sim.stop()
    return recorder.requests, planned


@pytest.mark.parametrize(
    "case", [f"{scenario}/{fault}" for scenario in sorted(SCENARIOS) for fault in sorted(FAULTS)]
)
def test_fault_at_each_request(
    case: str,
    kubesim_factory: Any,
    run_unstick: Any,
    retry_waits: List[float],
    tmp_path: Path,
) -> None:
    scenario, fault = case.split("/")
    state = SCENARIOS[scenario]()
    tls = fault in TLS_FAULTS
    requests, planned = _clean_run(kubesim_factory, run_unstick, state, tmp_path / "clean", tls=tls)
    failures = 0

    for position in range(requests):
        sim = kubesim_factory(state=state, tls=tls)
        del retry_waits[:]
        backup_dir = tmp_path / f"backup-{position}"
        recorder = Recorder(sim, backup_dir)
        rule = sim.faults.add(after=position, times=1, **FAULTS[fault])
        code, out, err = run_unstick(sim, backup_dir)
        where = f"{fault} at request {position + 1} of {requests}: exit {code}\n{out}{err}"

        assert rule.fired == 1, where
        if fault == "503-retry-after":
            assert retry_waits == [RETRY_AFTER], where
        assert "Traceback" not in err, where
        assert code in (0, 1), where
        assert _writes(sim) <= planned, where
        if _writes(sim):
            assert recorder.backup_at_first_write == [True], where
        if code == 0:
            assert _stuck(sim) == [], where
            sim.stop()
            continue

        failures += 1
        # The reason is an error line, a failed action or a failed verification.
        said = [line for line in err.splitlines() if line.startswith("error: ")]
        assert said or "failed" in out or "NOT verified" in out, where

        sim.faults.clear()
        code, out, err = run_unstick(sim, tmp_path / f"again-{position}")
        assert code == 0, f"second run after {where}\n---\n{out}{err}"
        assert _stuck(sim) == [], where
        sim.stop()

    if fault in ("500", "dropped"):
        # A fault that no retry hides must fail some run, or the sweep missed the writes.
        assert failures > 0
