"""ClusterRole aggregation: writes the rules of selected ClusterRoles into the aggregating one.

Like kube-controller-manager's clusterrole-aggregation controller, a
ClusterRole with an ``aggregationRule`` gets as ``rules`` the rules of every
other ClusterRole whose labels match one of its clusterRoleSelectors, in name
order and without duplicates. The authorizer also evaluates aggregation
itself, so a request does not depend on this controller having run yet.
"""

from __future__ import annotations

import logging
from typing import List

from tests.kubesim.contract import Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import (
    ResyncController,
    labels_of,
    match_label_selector,
    update_with_retry,
)

log = logging.getLogger(__name__)

RBAC_GROUP = "rbac.authorization.k8s.io"


def aggregated_rules(role: Object, roles: List[Object]) -> List[Object]:
    """Return the de-duplicated rules of the ClusterRoles that role's aggregationRule selects."""
    selectors = [
        s for s in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or [] if s
    ]
    rules: List[Object] = []
    for other in sorted(roles, key=lambda r: r["metadata"]["name"]):
        if other["metadata"]["name"] == role["metadata"]["name"]:
            continue
        if not any(match_label_selector(s, labels_of(other)) for s in selectors):
            continue
        for rule in other.get("rules") or []:
            if rule not in rules:
                rules.append(rule)
    return rules


class ClusterRoleAggregator(ResyncController):
    name = "clusterrole-aggregation"

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        return resource.group == RBAC_GROUP and resource.resource == "clusterroles"

    def reconcile(self, cluster: Cluster) -> None:
        cluster_roles = cluster.resource_named(RBAC_GROUP, "clusterroles")
        if cluster_roles is None:
            return
        roles = cluster.list(cluster_roles)
        for role in roles:
            if not (role.get("aggregationRule") or {}).get("clusterRoleSelectors"):
                continue
            desired = aggregated_rules(role, roles)
            if (role.get("rules") or []) == desired:
                continue

            def write(edited: Object, rules: List[Object] = desired) -> bool:
                edited["rules"] = rules
                return True

            update_with_retry(cluster, cluster_roles, "", role["metadata"]["name"], write)
            log.debug("ClusterRole %s aggregated %d rules", role["metadata"]["name"], len(desired))
