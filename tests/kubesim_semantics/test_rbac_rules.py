"""RBAC rule evaluation of the kubesim authorizer, in-process against a fake Cluster.

Covers verbs and "*", apiGroups, subresources ("pods/log", "*/status"),
resourceNames (not granting list/create, granting a list limited by
fieldSelector=metadata.name), namespaced RoleBindings to Roles and
ClusterRoles, ClusterRoleBindings, Group and ServiceAccount subjects,
aggregated ClusterRoles, nonResourceURLs, system:masters, the built-in
discovery roles, the 403 message and SelfSubjectAccessReview answers.
Rules follow https://kubernetes.io/docs/reference/access-authn-authz/rbac/.
The same behaviours are checked over HTTPS with kubectl in test_rbac_kubectl.py.
"""

from __future__ import annotations

import pytest

from tests.kubesim.contract import RequestAttributes, ResourceInfo, UserInfo
from tests.kubesim.rbac import RbacAuthorizer, forbidden_message, service_account_user
from tests.kubesim_semantics.fake_cluster import FakeCluster
from tests.kubesim_semantics.helpers import binding, cluster_role, role

PODS = ResourceInfo("", "v1", "pods", "Pod", namespaced=True)
DEPLOYMENTS = ResourceInfo("apps", "v1", "deployments", "Deployment", namespaced=True)
NODES = ResourceInfo("", "v1", "nodes", "Node", namespaced=False)
CONFIGMAPS = ResourceInfo("", "v1", "configmaps", "ConfigMap", namespaced=True)
ALICE = UserInfo("alice", ("developers",))
ROBOT = service_account_user("ops", "robot")


def request(
    user: UserInfo,
    verb: str,
    resource: ResourceInfo,
    *,
    namespace: str = "ops",
    name: str = "",
    subresource: str = "",
    path: str = "",
) -> RequestAttributes:
    return RequestAttributes(
        user=user,
        verb=verb,
        resource=resource,
        namespace=namespace if resource.namespaced else "",
        name=name,
        subresource=subresource,
        path=path,
    )


@pytest.fixture
def authorizer() -> RbacAuthorizer:
    cluster = FakeCluster()
    cluster.create(
        role(
            "pod-reader",
            "ops",
            [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}],
        )
    )
    cluster.create(
        role(
            "one-map",
            "ops",
            [
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": ["settings"],
                    "verbs": ["get", "list", "watch", "update"],
                }
            ],
        )
    )
    cluster.create(
        binding("alice-pods", "ops", "Role", "pod-reader", [{"kind": "User", "name": "alice"}])
    )
    cluster.create(
        binding(
            "robot-map",
            "ops",
            "Role",
            "one-map",
            [{"kind": "ServiceAccount", "name": "robot", "namespace": "ops"}],
        )
    )
    cluster.create(
        cluster_role(
            "status-writer",
            [{"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["update", "patch"]}],
        )
    )
    cluster.create(
        binding(
            "devs-status",
            "",
            "ClusterRole",
            "status-writer",
            [{"kind": "Group", "name": "developers"}],
        )
    )
    cluster.create(cluster_role("aggregate", [], labels={}))
    aggregate = cluster.get(
        cluster.resource_named("rbac.authorization.k8s.io", "clusterroles"), "", "aggregate"
    )
    assert aggregate is not None
    aggregate["aggregationRule"] = {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.example/aggregate": "true"}}]
    }
    cluster.update(aggregate)
    cluster.create(
        cluster_role(
            "node-viewer",
            [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["*"]}],
            labels={"rbac.example/aggregate": "true"},
        )
    )
    cluster.create(
        binding(
            "robot-aggregate",
            "",
            "ClusterRole",
            "aggregate",
            [{"kind": "ServiceAccount", "name": "robot", "namespace": "ops"}],
        )
    )
    cluster.create(
        cluster_role("metrics", [{"nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]}])
    )
    cluster.create(
        binding("alice-metrics", "", "ClusterRole", "metrics", [{"kind": "User", "name": "alice"}])
    )
    plugin = RbacAuthorizer()
    plugin.start(cluster)
    return plugin


def test_role_grants_listed_verbs(authorizer: RbacAuthorizer) -> None:
    assert authorizer.authorize(request(ALICE, "list", PODS))[0]
    assert not authorizer.authorize(request(ALICE, "delete", PODS, name="p"))[0]


def test_role_applies_only_in_its_namespace(authorizer: RbacAuthorizer) -> None:
    assert not authorizer.authorize(request(ALICE, "list", PODS, namespace="other"))[0]


def test_subresource_needs_its_own_rule(authorizer: RbacAuthorizer) -> None:
    assert authorizer.authorize(request(ALICE, "get", PODS, name="p", subresource="log"))[0]
    assert not authorizer.authorize(request(ALICE, "get", PODS, name="p", subresource="exec"))[0]


def test_star_status_matches_any_status(authorizer: RbacAuthorizer) -> None:
    assert authorizer.authorize(
        request(ALICE, "patch", DEPLOYMENTS, name="d", subresource="status")
    )[0]
    assert not authorizer.authorize(request(ALICE, "patch", DEPLOYMENTS, name="d"))[0]


def test_resource_names_limit_named_requests(authorizer: RbacAuthorizer) -> None:
    assert authorizer.authorize(request(ROBOT, "get", CONFIGMAPS, name="settings"))[0]
    assert not authorizer.authorize(request(ROBOT, "get", CONFIGMAPS, name="other"))[0]


def test_resource_names_never_grant_plain_list(authorizer: RbacAuthorizer) -> None:
    assert not authorizer.authorize(request(ROBOT, "list", CONFIGMAPS))[0]


def test_resource_names_grant_list_by_field_selector(authorizer: RbacAuthorizer) -> None:
    path = "/api/v1/namespaces/ops/configmaps?fieldSelector=metadata.name%3Dsettings&watch=true"
    assert authorizer.authorize(request(ROBOT, "watch", CONFIGMAPS, path=path))[0]
    other = "/api/v1/namespaces/ops/configmaps?fieldSelector=metadata.name%3Dother"
    assert not authorizer.authorize(request(ROBOT, "list", CONFIGMAPS, path=other))[0]


def test_aggregated_cluster_role_collects_rules(authorizer: RbacAuthorizer) -> None:
    assert authorizer.authorize(request(ROBOT, "delete", NODES, name="n1"))[0]


def test_non_resource_urls_with_wildcard(authorizer: RbacAuthorizer) -> None:
    def non_resource(path: str) -> RequestAttributes:
        return RequestAttributes(user=ALICE, verb="get", resource=None, path=path)

    assert authorizer.authorize(non_resource("/metrics"))[0]
    assert authorizer.authorize(non_resource("/debug/pprof"))[0]
    assert not authorizer.authorize(non_resource("/logs"))[0]


def test_discovery_allowed_for_any_user(authorizer: RbacAuthorizer) -> None:
    stranger = UserInfo("stranger")
    assert authorizer.authorize(
        RequestAttributes(user=stranger, verb="get", resource=None, path="/apis/apps/v1")
    )[0]
    assert not authorizer.authorize(request(stranger, "list", PODS))[0]


def test_masters_bypass_rbac(authorizer: RbacAuthorizer) -> None:
    admin = UserInfo("kubesim-admin", ("system:masters",))
    assert authorizer.authorize(request(admin, "deletecollection", NODES))[0]


def test_forbidden_message_namespaced() -> None:
    attributes = request(ROBOT, "get", DEPLOYMENTS, name="web")
    expected = 'deployments.apps "web" is forbidden: User "system:serviceaccount:ops:robot" cannot get resource "deployments" in API group "apps" in the namespace "ops"'
    assert forbidden_message(attributes) == expected


def test_forbidden_message_cluster_scope() -> None:
    attributes = request(ALICE, "list", NODES)
    assert (
        forbidden_message(attributes)
        == 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope'
    )


def test_forbidden_message_subresource() -> None:
    attributes = request(ALICE, "get", PODS, name="p", subresource="exec")
    assert forbidden_message(attributes).endswith(
        'cannot get resource "pods/exec" in API group "" in the namespace "ops"'
    )


def reviewing(plural: str, kind: str, user: UserInfo = ROBOT) -> RequestAttributes:
    reviews = ResourceInfo("authorization.k8s.io", "v1", plural, kind, namespaced=False)
    return RequestAttributes(user=user, verb="create", resource=reviews)


def test_review_answers_allowed(authorizer: RbacAuthorizer) -> None:
    attributes = {"namespace": "ops", "verb": "get", "resource": "configmaps", "name": "settings"}
    body = {"spec": {"resourceAttributes": attributes}}
    caller = reviewing("selfsubjectaccessreviews", "SelfSubjectAccessReview")
    answer = authorizer.review(caller, body)
    assert answer is not None
    assert answer["status"]["allowed"] is True
    assert answer["kind"] == "SelfSubjectAccessReview"
    attributes["name"] = "other"
    denied = authorizer.review(caller, body)
    assert denied is not None
    assert denied["status"]["allowed"] is False


def test_subject_review_uses_spec_user(authorizer: RbacAuthorizer) -> None:
    body = {
        "spec": {
            "user": "alice",
            "groups": ["developers"],
            "resourceAttributes": {"namespace": "ops", "verb": "list", "resource": "pods"},
        }
    }
    answer = authorizer.review(reviewing("subjectaccessreviews", "SubjectAccessReview"), body)
    assert answer is not None
    assert answer["status"]["allowed"] is True


def test_rules_review_lists_bound_rules(authorizer: RbacAuthorizer) -> None:
    answer = authorizer.review(
        reviewing("selfsubjectrulesreviews", "SelfSubjectRulesReview"),
        {"spec": {"namespace": "ops"}},
    )
    assert answer is not None
    rules = answer["status"]["resourceRules"]
    assert {
        "verbs": ["get", "list", "watch", "update"],
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": ["settings"],
    } in rules
    assert {"apiGroups": [""], "resources": ["nodes"], "verbs": ["*"]} in rules
    assert answer["status"]["incomplete"] is False


def test_rules_review_outside_namespace(authorizer: RbacAuthorizer) -> None:
    answer = authorizer.review(
        reviewing("selfsubjectrulesreviews", "SelfSubjectRulesReview"),
        {"spec": {"namespace": "other"}},
    )
    assert answer is not None
    assert not any(
        "configmaps" in rule.get("resources", []) for rule in answer["status"]["resourceRules"]
    )


def test_other_virtual_resource_not_answered(authorizer: RbacAuthorizer) -> None:
    assert (
        authorizer.review(
            reviewing("localsubjectaccessreviews", "LocalSubjectAccessReview"), {"spec": {}}
        )
        is None
    )
