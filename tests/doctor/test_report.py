"""The doctor's interface: JSON/YAML schema, bundles, ID selection, exit codes, text output.

Covers: -o json and -o yaml validate against docs/doctor-schema.json (with
findings of every severity and with checks that could not run); --dump then
--from gives the same report as the live run without contacting the API
server, and the bundle contains no Secret payload; --only/--skip with unknown
IDs exit 2 and list the known IDs; --skip drops a check; warnings fail only
with --strict; the text report's marks, colour only on a terminal and never
with NO_COLOR, and the progress line on a terminal while collection takes
longer than a second (the console script in a pseudo-terminal, with
kubesim delaying one LIST by two seconds).

Leaves out: the checks themselves (test_checks.py); that a fast collection
shows no progress line, which would depend on the machine's speed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pexpect
import pytest
import yaml

from tests.doctor import scenarios, states
from tests.doctor.running import findings_of, report, run_doctor, set_language, status_of

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "doctor-schema.json").read_text(encoding="utf-8"))
CONSOLE_SCRIPT = Path(sys.executable).parent / "kubectl-metax"
ANSI_ESCAPE = "\x1b["


def broken_cluster() -> str:
    """Return a state with an error, a warning and a note at once."""

    def change(objects: Any) -> Any:
        objects = scenarios.BY_CHECK["MX301"].fire(objects)
        objects = scenarios.BY_CHECK["MX107"].fire(objects)
        return scenarios.BY_CHECK["MX501"].fire(objects)

    return scenarios.state_yaml(change)


def validate(document: Dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_json_report_matches_schema(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=broken_cluster())
    code, document = report(sim.kubeconfig)
    validate(document)
    assert {item["severity"] for item in document["findings"]} == {"error", "warning", "info"}
    assert code == 1


def test_report_with_gaps_matches_schema(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "zh")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    sim.faults.add(verb="list", resource="nodes", code=403, times=None)
    _code, document = report(sim.kubeconfig)
    validate(document)
    assert status_of(document, "MX403") == "not-run"
    assert "nodes" in next(item for item in document["checks"] if item["id"] == "MX403")["missing"]


def test_yaml_report_equals_json(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=broken_cluster())
    _code, as_json = report(sim.kubeconfig)
    code, out, _err = run_doctor("--kubeconfig", str(sim.kubeconfig), "-o", "yaml")
    as_yaml = yaml.safe_load(out)
    validate(as_yaml)
    assert code == 1
    assert as_yaml["findings"] == as_json["findings"]
    assert as_yaml["checks"] == as_json["checks"]


def test_dump_then_from_equals_live(kubesim_factory: Any, monkeypatch: Any, tmp_path: Path) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=broken_cluster())
    bundle = tmp_path / "bundle.json"
    live_code, live = report(sim.kubeconfig, "--dump", str(bundle))

    requests_before = len(sim.audit)
    offline_code, offline = report(tmp_path / "no-such-kubeconfig", "--from", str(bundle))
    assert len(sim.audit) == requests_before
    assert offline == live
    assert offline_code == live_code


def test_bundle_holds_no_secret_payload(
    kubesim_factory: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    bundle = tmp_path / "bundle.json"
    report(sim.kubeconfig, "--dump", str(bundle))
    text = bundle.read_text(encoding="utf-8")
    saved = json.loads(text)

    release = states.release_secret(2, "deployed")
    assert release["data"]["release"] not in text
    assert sim.cluster.admin_token not in text
    assert {item["status"] for item in saved["helm_releases"]} == {"superseded", "deployed"}
    assert sorted(saved["helm_releases"][0]) == [
        "namespace",
        "object_name",
        "release",
        "status",
        "storage",
        "version",
    ]


def test_from_rejects_other_files(tmp_path: Path, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "something else"}', encoding="utf-8")
    code, out, err = run_doctor("--from", str(bad))
    assert code == 2
    assert out == ""
    assert str(bad) in err


@pytest.mark.parametrize("flag", ["--only", "--skip"])
def test_unknown_ids_exit_2(flag: str, monkeypatch: Any, tmp_path: Path) -> None:
    set_language(monkeypatch, "en")
    code, out, err = run_doctor("--from", str(tmp_path / "unused.json"), flag, "MX101,MX999")
    assert code == 2
    assert out == ""
    assert "MX999" in err
    assert "MX101, MX102" in err


def test_skip_drops_check(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=broken_cluster())
    code, document = report(sim.kubeconfig, "--skip", "mx301", "--skip", "MX501")
    ids = {item["id"] for item in document["checks"]}
    assert "MX301" not in ids
    assert "MX501" not in ids
    assert "MX107" in ids
    assert findings_of(document, "MX301") == []
    assert code == 0


def test_warnings_fail_only_with_strict(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=scenarios.state_yaml(scenarios.BY_CHECK["MX107"].fire))
    code, document = report(sim.kubeconfig)
    assert document["summary"]["warnings"] == 1
    assert document["summary"]["errors"] == 0
    assert code == 0
    strict_code, _document = report(sim.kubeconfig, "--strict")
    assert strict_code == 1


def test_text_report_marks_without_colour(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=broken_cluster())
    code, out, _err = run_doctor("--kubeconfig", str(sim.kubeconfig))
    assert code == 1
    assert ANSI_ESCAPE not in out
    assert "✖ MX301" in out
    assert "⚠ MX107" in out
    assert "✔ MX101" in out
    assert "ℹ MX501" in out
    assert "✔ MX501" not in out
    assert "ℹ 1 pod in namespace team-a uses MetaX GPUs" in out
    assert "$ kubectl delete validatingwebhookconfiguration " in out
    assert "docs/checks/MX301.md" in out


def test_text_report_in_chinese(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "zh")
    sim = kubesim_factory(state=broken_cluster())
    _code, out, _err = run_doctor("--kubeconfig", str(sim.kubeconfig))
    assert "卸载" in out
    assert "修复：" in out
    assert "MX301" in out


def _spawn(args: str, sim: Any, **env: str) -> Any:
    environment = sim.env()
    environment.pop("NO_COLOR", None)
    environment.update(env)
    return pexpect.spawn(
        f"{CONSOLE_SCRIPT} doctor {args}", env=environment, encoding="utf-8", timeout=60
    )


def test_terminal_output_coloured(kubesim_factory: Any) -> None:
    sim = kubesim_factory(state=broken_cluster())
    child = _spawn("", sim, LANG="C.UTF-8")
    child.expect(pexpect.EOF)
    child.close()
    assert "\x1b[31m✖\x1b[0m" in child.before
    assert child.exitstatus == 1


def test_no_color_disables_colour(kubesim_factory: Any) -> None:
    sim = kubesim_factory(state=broken_cluster())
    child = _spawn("", sim, LANG="C.UTF-8", NO_COLOR="1")
    child.expect(pexpect.EOF)
    child.close()
    assert ANSI_ESCAPE not in child.before.replace("\x1b[2K", "")
    assert "✖ MX301" in child.before
    assert child.exitstatus == 1


def test_progress_line_on_slow_terminal(kubesim_factory: Any) -> None:
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    sim.faults.add(verb="list", resource="nodes", latency=2.0, times=1)
    child = _spawn("", sim, LANG="C.UTF-8", NO_COLOR="1")
    child.expect("Collecting the cluster state")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_namespace_flag_overrides_discovery(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    code, document = report(sim.kubeconfig, "-n", "gpu-operator")
    assert document["operator"]["namespace"] == "gpu-operator"
    assert document["operator"]["evidence"] == ["flag"]
    assert [item["severity"] for item in findings_of(document, "MX101")] == ["error"]
    assert code == 1


def test_vendor_uninstall_trap_explained(kubesim_factory: Any, monkeypatch: Any) -> None:
    """The vendor's FAQ case: operator gone, webhook left, ClusterOperator finalizer kept."""
    set_language(monkeypatch, "en")

    def change(objects: Any) -> Any:
        objects = scenarios.BY_CHECK["MX302"].fire(objects)
        objects = scenarios.BY_CHECK["MX301"].fire(objects)
        return scenarios.BY_CHECK["MX205"].fire(objects)

    sim = kubesim_factory(state=scenarios.state_yaml(change))
    code, document = report(sim.kubeconfig)
    errors = {item["id"] for item in document["findings"] if item["severity"] == "error"}
    assert {"MX102", "MX205", "MX301", "MX302"} <= errors
    commands = [
        command for item in document["findings"] for command in item["remediation"]["commands"]
    ]
    assert "kubectl metax unstick" in commands
    assert code == 1


def test_empty_leftover_namespace_is_no_install(kubesim_factory: Any, monkeypatch: Any) -> None:
    # Helm does not delete the release namespace on uninstall, so a finished
    # uninstall leaves an empty metax-operator namespace behind.
    set_language(monkeypatch, "en")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "metax-operator"}}
    sim = kubesim_factory(state=yaml.safe_dump(namespace))
    code, document = report(sim.kubeconfig)
    assert code == 0
    assert status_of(document, "MX102") == "passed"
    assert [finding["severity"] for finding in findings_of(document, "MX101")] == ["info"]


def test_mistyped_namespace_flag_named(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory()
    code, document = report(sim.kubeconfig, "-n", "metax-operatr")
    messages = [finding["message"] for finding in findings_of(document, "MX101")]
    assert code == 1
    assert messages == ["The namespace metax-operatr given with -n does not exist."]
