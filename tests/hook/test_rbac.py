"""The hook's RBAC is the least it needs: without any one rule, the uninstall fails.

Covers: the rules the post-renderer gives the hook for both chart variants
(webhook configuration rendered by the chart, or created by the operator at
run time and found by listing); then, for each rule in turn, helm v4.1
installs the example chart through ``metax-drop`` (the same post-renderer
with that rule removed) and ``helm uninstall`` with a slow operator, the
case that uses every permission, fails with the hook's Forbidden error and
leaves the ClusterOperator behind. A rule whose removal changed nothing
would be one the hook does not need.

Leaves out: single verbs inside a rule (the slow case uses each verb of
each rule, so a dropped verb fails the same way), and the ServiceAccount
and bindings themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

from tests.hook.conftest import (
    CHART,
    CLUSTER_OPERATORS,
    HOOK_JOB,
    NAMESPACE,
    RELEASE,
    Cluster,
    Helm,
)
from tests.hook.test_uninstall import make_operator_slow

pytestmark = [pytest.mark.helm, pytest.mark.slow]

GENERATED = "kubectl-metax/generated-by"
WEBHOOKS = "validatingwebhookconfigurations"
# (kind, resource, resourceNames, verbs) of each rule, per chart variant.
CHART_WEBHOOK_RULES = [
    ("ClusterRole", "pods", (), ("list",)),
    ("ClusterRole", WEBHOOKS, ("upgrade-validating-webhook-configuration",), ("get", "delete")),
    ("Role", "clusteroperators", ("cluster-operator",), ("get", "delete", "patch")),
]
OPERATOR_WEBHOOK_RULES = [
    ("ClusterRole", "pods", (), ("list",)),
    ("ClusterRole", WEBHOOKS, (), ("list", "delete")),
    ("Role", "clusteroperators", ("cluster-operator",), ("get", "delete", "patch")),
]


def hook_rules(helm: Helm, *, webhook_create: bool, tmp_path: Path) -> List[Tuple[object, ...]]:
    completed = helm.run(
        "template",
        RELEASE,
        str(CHART),
        "-n",
        NAMESPACE,
        "--set",
        f"webhook.create={str(webhook_create).lower()}",
        "--post-renderer",
        "metax",
        kubeconfig=tmp_path / "unused-kubeconfig",
    )
    assert completed.returncode == 0, completed.stderr
    rules = []
    for document in yaml.safe_load_all(completed.stdout):
        if not document or GENERATED not in document["metadata"].get("annotations", {}):
            continue
        for rule in document.get("rules", []):
            (resource,) = rule["resources"]
            names = tuple(rule.get("resourceNames", ()))
            rules.append((document["kind"], resource, names, tuple(rule["verbs"])))
    return sorted(rules)


@pytest.mark.parametrize(
    ("webhook_create", "expected"),
    [(True, CHART_WEBHOOK_RULES), (False, OPERATOR_WEBHOOK_RULES)],
    ids=["chart-webhook", "operator-webhook"],
)
def test_hook_rules(
    hook_helm: Helm, tmp_path: Path, webhook_create: bool, expected: List[Tuple[object, ...]]
) -> None:
    assert hook_rules(hook_helm, webhook_create=webhook_create, tmp_path=tmp_path) == expected


@pytest.mark.parametrize(
    ("webhook_create", "kind", "resource", "denied"),
    [
        (True, "Role", "clusteroperators", "delete"),
        (True, "ClusterRole", "pods", "list"),
        (True, "ClusterRole", WEBHOOKS, "get"),
        (False, "ClusterRole", WEBHOOKS, "list"),
    ],
    ids=["clusteroperators", "pods", "named-webhooks", "listed-webhooks"],
)
def test_uninstall_fails_without_rule(
    cluster: Cluster, webhook_create: bool, kind: str, resource: str, denied: str
) -> None:
    cluster.install(
        webhook_create=webhook_create,
        post_renderer="metax-drop",
        post_renderer_args=[kind, resource],
    )
    make_operator_slow(cluster)

    completed = cluster.uninstall()

    assert completed.returncode != 0
    assert HOOK_JOB in completed.stderr
    output = cluster.outputs(HOOK_JOB)[-1]
    assert "ERROR" in output
    assert f'cannot {denied} resource "{resource}"' in output
    assert cluster.names(CLUSTER_OPERATORS, NAMESPACE) == ["cluster-operator"]
