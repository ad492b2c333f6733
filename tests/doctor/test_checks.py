"""Every check against kubesim: it fires on its scenario and stays quiet on a near miss.

Covers: for each check ID, a cluster state (the healthy install changed in
one way) on which the doctor reports that ID with the expected severity and
exit code, in English and in Chinese (LANG=zh_CN.UTF-8, which needs the
catalogs compiled by ``make catalogs``); and a state on which the check
passes. The healthy state itself passes every check. MX001 is covered with
a LIST that the server forbids.

Leaves out: the wording of each message, which a reader judges; the
time-based MX403 grace period (test_timing.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubectl_metax.checks import catalog
from tests.doctor import scenarios, states
from tests.doctor.running import findings_of, has_chinese, report, set_language, status_of

IDS = [scenario.check for scenario in scenarios.SCENARIOS]


def test_scenarios_cover_every_check() -> None:
    assert sorted([*IDS, "MX001"]) == catalog.known_ids()


def test_healthy_state_passes_everything(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    code, document = report(sim.kubeconfig)
    assert document["findings"] == []
    assert code == 0
    assert {item["status"] for item in document["checks"]} == {"passed"}


@pytest.mark.parametrize("check_id", IDS)
def test_check_fires_in_both_languages(
    check_id: str, kubesim_factory: Any, kubectl_bin: Any, monkeypatch: Any
) -> None:
    scenario = scenarios.BY_CHECK[check_id]
    sim = kubesim_factory(state=scenarios.state_yaml(scenario.fire))
    if scenario.act is not None:
        scenario.act(sim, [str(kubectl_bin), "--kubeconfig", str(sim.kubeconfig)])

    set_language(monkeypatch, "en")
    code, english = report(sim.kubeconfig, "--only", check_id)
    found = findings_of(english, check_id)
    assert found, english["findings"]
    assert {item["severity"] for item in found} == {scenario.severity}
    assert code == (1 if scenario.severity == "error" else 0)
    assert all(item["remediation"]["doc"] == f"docs/checks/{check_id}.md" for item in found)
    assert all(not has_chinese(item["message"]) for item in found)

    set_language(monkeypatch, "zh")
    _code, chinese = report(sim.kubeconfig, "--only", check_id)
    translated = findings_of(chinese, check_id)
    assert len(translated) == len(found)
    assert all(has_chinese(item["message"]) for item in translated)
    assert all(has_chinese(item["remediation"]["text"]) for item in translated)
    assert has_chinese(next(item["title"] for item in chinese["checks"] if item["id"] == check_id))


@pytest.mark.parametrize("check_id", IDS)
def test_check_quiet_on_near_miss(check_id: str, kubesim_factory: Any, monkeypatch: Any) -> None:
    scenario = scenarios.BY_CHECK[check_id]
    sim = kubesim_factory(state=scenarios.state_yaml(scenario.quiet))
    for language in ("en", "zh"):
        set_language(monkeypatch, language)
        _code, document = report(sim.kubeconfig, "--only", check_id)
        assert findings_of(document, check_id) == []
        assert status_of(document, check_id) == "passed"


def test_forbidden_list_reported_as_mx001(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    sim.faults.add(verb="list", resource="secrets", code=403, times=None)
    code, document = report(sim.kubeconfig)

    gaps = findings_of(document, "MX001")
    assert [item["severity"] for item in gaps] == ["warning"] * len(gaps)
    blocked = {item["id"] for item in document["checks"] if item["status"] == "not-run"}
    assert blocked == {"MX201", "MX202", "MX203", "MX204", "MX205", "MX206", "MX306"}
    assert len(gaps) == len(blocked)
    assert all("secrets" in item["message"] for item in gaps)
    assert code == 0

    strict_code, _document = report(sim.kubeconfig, "--strict")
    assert strict_code == 1

    set_language(monkeypatch, "zh")
    _code, chinese = report(sim.kubeconfig)
    assert all(has_chinese(item["message"]) for item in findings_of(chinese, "MX001"))


def test_forbidden_list_passes_nothing_silently(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=scenarios.state_yaml(scenarios.BY_CHECK["MX201"].fire))
    sim.faults.add(verb="list", resource="secrets", code=403, times=None)
    _code, document = report(sim.kubeconfig, "--only", "MX201")
    assert status_of(document, "MX201") == "not-run"
    assert findings_of(document, "MX001")


def test_webhook_check_needs_endpoints(kubesim_factory: Any, monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=scenarios.state_yaml(scenarios.BY_CHECK["MX301"].fire))
    for resource in ("endpointslices", "endpoints"):
        sim.faults.add(verb="list", resource=resource, code=403, times=None)
    _code, document = report(sim.kubeconfig, "--only", "MX301")
    assert status_of(document, "MX301") == "not-run"
    assert findings_of(document, "MX301") == []
    assert "endpoints" in findings_of(document, "MX001")[0]["message"]
