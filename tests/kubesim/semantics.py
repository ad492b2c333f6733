"""Assemble the plug-ins (authorization, admission, controllers) for a kubesim instance.

Every instance runs RBAC, namespace lifecycle admission, webhook admission,
the namespace controller, the garbage collector, CRD finalization and
ClusterRole aggregation. The actors are opt-in by name. Plug-ins that read
the store (the authorizer and the admission plug-ins) are also listed as
controllers, because their ``start`` receives the Cluster, which
``build_plugins`` cannot know yet.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from tests.kubesim.contract import Controller, PluginSet
from tests.kubesim.controllers.aggregation import ClusterRoleAggregator
from tests.kubesim.controllers.crds import CrdController
from tests.kubesim.controllers.garbage import GarbageCollector
from tests.kubesim.controllers.jobs import JobRunner
from tests.kubesim.controllers.namespaces import NamespaceController
from tests.kubesim.controllers.operator import OperatorStandIn
from tests.kubesim.controllers.workloads import WorkloadController
from tests.kubesim.lifecycle import NamespaceLifecycle
from tests.kubesim.rbac import RbacAuthorizer
from tests.kubesim.webhooks import WebhookAdmission

# Actor names accepted by `serve --actors` and the fixtures.
ACTORS = ("operator", "workloads", "jobs")

ACTOR_FACTORIES: Dict[str, Callable[[], Controller]] = {
    "operator": OperatorStandIn,
    "workloads": WorkloadController,
    "jobs": JobRunner,
}


def build_plugins(actors: Sequence[str] = ()) -> PluginSet:
    """Return the plug-ins every instance runs, plus the named actors.

    Raises ValueError for an actor name not in ACTORS.
    """
    unknown = sorted(set(actors) - set(ACTORS))
    if unknown:
        raise ValueError(
            f"unknown kubesim actor(s) {', '.join(unknown)}; known: {', '.join(ACTORS)}"
        )
    authorizer = RbacAuthorizer()
    lifecycle = NamespaceLifecycle()
    mutating = WebhookAdmission("mutatingwebhookconfigurations")
    validating = WebhookAdmission("validatingwebhookconfigurations")
    controllers: List[Controller] = [
        authorizer,
        lifecycle,
        mutating,
        validating,
        NamespaceController(),
        GarbageCollector(),
        CrdController(),
        ClusterRoleAggregator(),
    ]
    controllers.extend(ACTOR_FACTORIES[name]() for name in ACTORS if name in actors)
    return PluginSet(
        authorizer=authorizer,
        admission=[lifecycle, mutating, validating],
        controllers=controllers,
    )
