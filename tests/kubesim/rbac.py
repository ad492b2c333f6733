"""RBAC authorization and SelfSubjectAccessReview for kubesim.

Evaluates the stored Roles, ClusterRoles (aggregated ones included),
RoleBindings and ClusterRoleBindings the way the RBAC authorizer does, as
https://kubernetes.io/docs/reference/access-authn-authz/rbac/ describes:

- a rule matches on verbs, apiGroups, resources (``pod/log`` style
  subresources, ``*`` and ``*/<subresource>``) and resourceNames;
- resourceNames never grant requests without a name (list, watch, create,
  deletecollection), except list and watch limited by
  ``fieldSelector=metadata.name=<name>``, which the docs allow;
- nonResourceURLs come only from ClusterRoles bound by ClusterRoleBindings;
- members of ``system:masters`` bypass everything.

The default discovery roles of a real cluster (system:discovery,
system:basic-user, system:public-info-viewer) are built in for every
authenticated user rather than stored, so state files need not carry them.
``review`` evaluates SelfSubjectAccessReview, SubjectAccessReview and
SelfSubjectRulesReview. Not modelled: escalation and bind checks on Role
writes, and the ABAC, node and webhook authorizers.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any, Dict, Iterable, List, Optional, Tuple

from tests.kubesim.contract import Object, RequestAttributes, ResourceInfo, UserInfo
from tests.kubesim.controllers.aggregation import aggregated_rules
from tests.kubesim.controllers.base import ClusterBound

log = logging.getLogger(__name__)

RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS_GROUP = "system:masters"
AUTHENTICATED_GROUP = "system:authenticated"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"

# What the bootstrap ClusterRoles system:discovery, system:basic-user and
# system:public-info-viewer grant to system:authenticated in every cluster.
DISCOVERY_PATHS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/openapi",
    "/openapi/*",
    "/version",
    "/version/",
    "/healthz",
    "/livez",
    "/readyz",
)
# A stand-in resource for collecting every rule bound in a namespace.
RULES_PROBE = ResourceInfo(group="", version="v1", resource="", kind="", namespaced=True)
SELF_REVIEW_RULES: Tuple[Object, ...] = (
    {
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        "verbs": ["create"],
    },
    {
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
        "verbs": ["create"],
    },
)


def service_account_user(namespace: str, name: str) -> UserInfo:
    """Return the UserInfo that a token of ServiceAccount namespace/name authenticates as."""
    return UserInfo(
        username=f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}",
        groups=(
            "system:serviceaccounts",
            f"system:serviceaccounts:{namespace}",
            AUTHENTICATED_GROUP,
        ),
    )


def effective_groups(user: UserInfo) -> Tuple[str, ...]:
    """Return the user's groups plus those every authenticated user and service account has."""
    groups = list(user.groups)
    if user.username.startswith(SERVICE_ACCOUNT_PREFIX):
        namespace = user.username[len(SERVICE_ACCOUNT_PREFIX) :].split(":", 1)[0]
        groups += ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    if user.username != "system:anonymous":
        groups.append(AUTHENTICATED_GROUP)
    return tuple(dict.fromkeys(groups))


def subject_matches(
    subject: Dict[str, Any], user: UserInfo, groups: Tuple[str, ...], binding_namespace: str
) -> bool:
    kind = subject.get("kind")
    name = subject.get("name", "")
    if kind == "User":
        return bool(name == user.username)
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return user.username == f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"
    return False


def name_from_field_selector(path: str) -> str:
    """Return the name a list or watch is limited to by fieldSelector=metadata.name=<name>."""
    query = urllib.parse.urlsplit(path).query
    for selector in urllib.parse.parse_qs(query).get("fieldSelector", []):
        for term in selector.split(","):
            key, _, value = term.partition("=")
            key = key.rstrip("=")
            value = value.lstrip("=")
            if key.strip() == "metadata.name" and not key.endswith("!"):
                return value.strip()
    return ""


def request_name(attributes: RequestAttributes) -> str:
    if attributes.name:
        return attributes.name
    if attributes.verb in ("list", "watch"):
        return name_from_field_selector(attributes.path)
    return ""


def resource_rule_matches(rule: Dict[str, Any], attributes: RequestAttributes) -> bool:
    assert attributes.resource is not None
    verbs = rule.get("verbs") or []
    if "*" not in verbs and attributes.verb not in verbs:
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and attributes.resource.group not in groups:
        return False
    resource = attributes.resource.resource
    combined = f"{resource}/{attributes.subresource}" if attributes.subresource else resource
    resources = rule.get("resources") or []
    resource_ok = False
    for candidate in resources:
        if candidate in ("*", combined) or (
            attributes.subresource and candidate == f"*/{attributes.subresource}"
        ):
            resource_ok = True
    if not resource_ok:
        return False
    names = rule.get("resourceNames") or []
    if not names:
        return True
    name = request_name(attributes)
    return bool(name) and name in names


def non_resource_rule_matches(rule: Dict[str, Any], attributes: RequestAttributes) -> bool:
    verbs = rule.get("verbs") or []
    if "*" not in verbs and attributes.verb not in verbs:
        return False
    path = urllib.parse.urlsplit(attributes.path).path
    for url in rule.get("nonResourceURLs") or []:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


def forbidden_message(attributes: RequestAttributes, reason: str = "") -> str:
    """Return the message kube-apiserver sends with a 403 from the RBAC authorizer."""
    user = attributes.user.username
    if attributes.resource is None:
        path = urllib.parse.urlsplit(attributes.path).path
        message = f'forbidden: User "{user}" cannot {attributes.verb} path "{path}"'
    else:
        resource = attributes.resource.resource
        if attributes.subresource:
            resource = f"{resource}/{attributes.subresource}"
        group = attributes.resource.group
        qualified = (
            f"{attributes.resource.resource}.{group}" if group else attributes.resource.resource
        )
        subject = f'{qualified} "{attributes.name}"' if attributes.name else qualified
        scope = (
            f'in the namespace "{attributes.namespace}"'
            if attributes.namespace
            else "at the cluster scope"
        )
        message = (
            f'{subject} is forbidden: User "{user}" cannot {attributes.verb} '
            f'resource "{resource}" in API group "{group}" {scope}'
        )
    return f"{message}: {reason}" if reason else message


class RbacAuthorizer(ClusterBound):
    """The Authorizer plug-in; it also evaluates access and rules reviews."""

    name = "rbac"

    # -- Authorizer ---------------------------------------------------------

    def authorize(self, attributes: RequestAttributes) -> Tuple[bool, str]:
        groups = effective_groups(attributes.user)
        if MASTERS_GROUP in groups:
            return True, "member of system:masters"
        allowed, reason = self._evaluate(attributes, groups)
        if not allowed:
            log.debug("denied %s", forbidden_message(attributes))
        return allowed, reason

    def review(self, attributes: RequestAttributes, body: Object) -> Optional[Object]:
        """Evaluate an access or rules review and return the body with its status.

        SelfSubjectAccessReview and SelfSubjectRulesReview are evaluated for the
        requesting user, SubjectAccessReview for spec.user and spec.groups.
        Returns None for any other virtual resource.
        """
        reviewed = attributes.resource
        if reviewed is None:
            return None
        spec = body.get("spec") or {}
        answer = dict(body)
        answer.setdefault("apiVersion", reviewed.api_version)
        answer.setdefault("kind", reviewed.kind)
        answer.setdefault("metadata", {})
        if reviewed.resource == "selfsubjectrulesreviews":
            answer["status"] = self.rules_review(attributes.user, spec.get("namespace", ""))
            return answer
        if reviewed.resource == "selfsubjectaccessreviews":
            user = attributes.user
        elif reviewed.resource == "subjectaccessreviews":
            user = UserInfo(
                spec.get("user", ""), tuple(spec.get("groups") or ()), spec.get("uid", "")
            )
        else:
            return None
        allowed, reason = self.authorize(self.review_attributes(user, spec))
        answer["status"] = {"allowed": allowed, "reason": reason if allowed else ""}
        return answer

    def rules_review(self, user: UserInfo, namespace: str) -> Object:
        """Return a SelfSubjectRulesReview status: the rules that apply to user in namespace."""
        groups = effective_groups(user)
        if MASTERS_GROUP in groups:
            return {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        rules: List[Object] = []
        if AUTHENTICATED_GROUP in groups:
            rules.extend(SELF_REVIEW_RULES)
            rules.append({"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_PATHS)})
        if self.cluster is not None:
            probe = RequestAttributes(
                user=user, verb="list", resource=RULES_PROBE, namespace=namespace
            )
            for _, granted in self._granted_rules(probe, groups):
                rules.extend(granted)
        resource_rules = []
        non_resource_rules = []
        for rule in rules:
            if rule.get("nonResourceURLs"):
                non_resource_rules.append(
                    {
                        "verbs": list(rule.get("verbs") or []),
                        "nonResourceURLs": list(rule["nonResourceURLs"]),
                    }
                )
            else:
                entry = {
                    key: list(rule.get(key) or [])
                    for key in ("verbs", "apiGroups", "resources", "resourceNames")
                }
                resource_rules.append(
                    {key: value for key, value in entry.items() if value or key == "verbs"}
                )
        return {
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": False,
        }

    @staticmethod
    def review_attributes(user: UserInfo, spec: Dict[str, Any]) -> RequestAttributes:
        """Turn the spec of a SelfSubjectAccessReview into request attributes."""
        non_resource = spec.get("nonResourceAttributes")
        if non_resource:
            return RequestAttributes(
                user=user,
                verb=non_resource.get("verb", ""),
                resource=None,
                path=non_resource.get("path", ""),
            )
        asked = spec.get("resourceAttributes") or {}
        namespace = asked.get("namespace", "")
        resource = ResourceInfo(
            group=asked.get("group", ""),
            version=asked.get("version", "") or "*",
            resource=asked.get("resource", ""),
            kind="",
            namespaced=bool(namespace),
        )
        field_selector = (asked.get("fieldSelector") or {}).get("rawSelector", "")
        path = (
            "?" + urllib.parse.urlencode({"fieldSelector": field_selector})
            if field_selector
            else ""
        )
        return RequestAttributes(
            user=user,
            verb=asked.get("verb", ""),
            resource=resource,
            subresource=asked.get("subresource", ""),
            namespace=namespace,
            name=asked.get("name", ""),
            path=path,
        )

    # -- evaluation ---------------------------------------------------------

    def _evaluate(self, attributes: RequestAttributes, groups: Tuple[str, ...]) -> Tuple[bool, str]:
        if AUTHENTICATED_GROUP in groups and self._bootstrap_allows(attributes):
            return True, "RBAC: allowed by the default discovery and self-review roles"
        if self.cluster is None:
            return False, "RBAC: authorizer not started"
        for description, rules in self._granted_rules(attributes, groups):
            for rule in rules:
                if attributes.resource is None:
                    if non_resource_rule_matches(rule, attributes):
                        return True, f"RBAC: allowed by {description}"
                elif resource_rule_matches(rule, attributes):
                    return True, f"RBAC: allowed by {description}"
        return False, ""

    @staticmethod
    def _bootstrap_allows(attributes: RequestAttributes) -> bool:
        if attributes.resource is None:
            return attributes.verb in ("get", "head") and non_resource_rule_matches(
                {"verbs": ["get", "head"], "nonResourceURLs": list(DISCOVERY_PATHS)}, attributes
            )
        return any(resource_rule_matches(rule, attributes) for rule in SELF_REVIEW_RULES)

    def _granted_rules(
        self, attributes: RequestAttributes, groups: Tuple[str, ...]
    ) -> Iterable[Tuple[str, List[Object]]]:
        """Yield (description, rules) for every binding that names the user."""
        cluster = self.cluster
        assert cluster is not None
        subject_kind = (
            "ServiceAccount"
            if attributes.user.username.startswith(SERVICE_ACCOUNT_PREFIX)
            else "User"
        )
        for binding in self._list("clusterrolebindings"):
            if not any(
                subject_matches(s, attributes.user, groups, "")
                for s in binding.get("subjects") or []
            ):
                continue
            role_name = (binding.get("roleRef") or {}).get("name", "")
            description = (
                f'ClusterRoleBinding "{binding["metadata"]["name"]}" of ClusterRole '
                f'"{role_name}" to {subject_kind} "{attributes.user.username}"'
            )
            yield description, self._cluster_role_rules(role_name)
        if not attributes.namespace or attributes.resource is None:
            return
        for binding in self._list("rolebindings", attributes.namespace):
            if not any(
                subject_matches(s, attributes.user, groups, attributes.namespace)
                for s in binding.get("subjects") or []
            ):
                continue
            role_ref = binding.get("roleRef") or {}
            role_name = role_ref.get("name", "")
            description = (
                f'RoleBinding "{binding["metadata"]["name"]}/{attributes.namespace}" of '
                f'{role_ref.get("kind", "Role")} "{role_name}" to {subject_kind} '
                f'"{attributes.user.username}"'
            )
            if role_ref.get("kind") == "ClusterRole":
                yield description, self._cluster_role_rules(role_name)
            else:
                role = self._get("roles", attributes.namespace, role_name)
                yield description, list((role or {}).get("rules") or [])

    def _cluster_role_rules(self, name: str) -> List[Object]:
        """Return a ClusterRole's rules, plus those its aggregationRule selects."""
        role = self._get("clusterroles", "", name)
        if role is None:
            return []
        rules = list(role.get("rules") or [])
        if (role.get("aggregationRule") or {}).get("clusterRoleSelectors"):
            rules.extend(aggregated_rules(role, self._list("clusterroles")))
        return rules

    def _resource(self, plural: str) -> Optional[ResourceInfo]:
        assert self.cluster is not None
        return self.cluster.resource_named(RBAC_GROUP, plural)

    def _list(self, plural: str, namespace: str = "") -> List[Object]:
        resource = self._resource(plural)
        if resource is None or self.cluster is None:
            return []
        return self.cluster.list(resource, namespace)

    def _get(self, plural: str, namespace: str, name: str) -> Optional[Object]:
        resource = self._resource(plural)
        if resource is None or self.cluster is None:
            return None
        return self.cluster.get(resource, namespace, name)
