"""Fault injection: injected Status errors, Retry-After, latency, dropped connections.

Covers: a rule answering a code with a Status body and the right reason,
Retry-After, `times` limiting how often it fires, `after` skipping the
first matching requests, matching by method, verb, resource and path regex,
dropped connections (no response at all), latency (the request still
succeeds), the HTTP control endpoint, and the --faults file of
`python -m tests.kubesim serve` (in test_serving.py).
"""

from __future__ import annotations

import http.client

import pytest

from tests.kubesim_core.client import CM, Api, configmap


def test_injected_error_is_status(bare):
    bare.faults.add(resource="configmaps", verb="list", code=503, retry_after=7)
    answer = Api(bare).get(CM)
    assert answer.code == 503
    assert answer.body["kind"] == "Status"
    assert answer.body["reason"] == "ServiceUnavailable"
    assert answer.body["details"]["retryAfterSeconds"] == 7
    assert answer.headers["retry-after"] == "7"
    assert Api(bare).get(CM).code == 200


def test_times_and_after_count_matching_requests(bare):
    rule = bare.faults.add(method="POST", path=r"/configmaps$", after=1, times=2, code=500)
    api = Api(bare)
    codes = [api.post(CM, configmap(f"c{index}")).code for index in range(4)]
    assert codes == [201, 500, 500, 201]
    assert rule.fired == 2
    assert rule.matched == 3


def test_rule_ignores_other_requests(bare):
    bare.faults.add(resource="secrets", code=500, times=None)
    api = Api(bare)
    assert api.post(CM, configmap("fine")).code == 201
    assert api.get("/api/v1/namespaces/default/secrets").code == 500


def test_dropped_connection_sends_nothing(bare):
    bare.faults.add(path=r"configmaps/dropped", drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        Api(bare).get(f"{CM}/dropped")
    assert Api(bare).get(f"{CM}/dropped").code == 404


def test_latency_still_answers(bare):
    rule = bare.faults.add(verb="get", latency=0.2)
    assert Api(bare).get(f"{CM}/absent").code == 404
    assert rule.fired == 1


def test_control_endpoint_sets_and_clears_rules(bare):
    api = Api(bare)
    set_rules = api.post(
        "/kubesim/faults",
        [{"verb": "create", "resource": "configmaps", "code": 409, "times": None}],
    )
    assert set_rules.code == 200
    assert set_rules.body["rules"][0]["code"] == 409
    refused = api.post(CM, configmap("blocked"))
    assert refused.code == 409
    assert refused.body["reason"] == "Conflict"
    assert api.delete("/kubesim/faults").body == {"rules": []}
    assert api.post(CM, configmap("blocked")).code == 201


def test_control_endpoint_needs_a_token(bare):
    assert Api(bare, token=None).post("/kubesim/faults", [{"code": 500}]).code == 401
    assert bare.faults.rules() == []
