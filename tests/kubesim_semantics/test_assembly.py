"""build_plugins: what every kubesim instance runs and how actors are switched on by name.

Covers the always-on plug-ins, each actor added only when named, and an
unknown actor name rejected. What the plug-ins do is covered by the other
modules in this directory.
"""

from __future__ import annotations

import pytest

from tests.kubesim.semantics import ACTORS, build_plugins

ALWAYS = [
    "rbac",
    "namespace-lifecycle",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "namespaces",
    "garbage-collector",
    "crds",
    "clusterrole-aggregation",
]


def test_no_actors_by_default() -> None:
    plugins = build_plugins()
    assert [c.name for c in plugins.controllers] == ALWAYS
    assert plugins.authorizer is not None
    assert [getattr(p, "name", "") for p in plugins.admission] == [
        "namespace-lifecycle",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ]


@pytest.mark.parametrize("actor", ACTORS)
def test_named_actor_added_alone(actor: str) -> None:
    names = [c.name for c in build_plugins((actor,)).controllers]
    assert names == [*ALWAYS, actor]


def test_unknown_actor_rejected() -> None:
    with pytest.raises(ValueError, match="unknown kubesim actor"):
        build_plugins(("operator", "kubelet"))


def test_each_call_builds_fresh_plugins() -> None:
    first = build_plugins(("jobs",))
    second = build_plugins(("jobs",))
    assert first.controllers[-1] is not second.controllers[-1]
