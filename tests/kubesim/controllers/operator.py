"""The "operator" actor: a stand-in for the MetaX GPU Operator's finalizer and webhook handling.

While an operator Deployment (label ``app.kubernetes.io/component:
metax-operator``, any name) is available, that is its Available condition
is True or it has an available replica, the stand-in

- adds the finalizer ``gpu.metax-tech.com`` to every ClusterOperator
  (clusteroperators.gpu.metax-tech.com) in the Deployment's namespace;
- keeps the ValidatingWebhookConfiguration
  ``upgrade-validating-webhook-configuration`` (failurePolicy Fail, CREATE
  and UPDATE of clusteroperators, Service ``upgrade-webhook-service`` in that
  namespace) while a ClusterOperator that is not being deleted exists;
- when a ClusterOperator is deleted, waits the delay set by the Deployment
  annotation ``kubesim.io/finalize-delay`` (seconds, default 1), then deletes
  the webhook configuration and removes the finalizer.

When the Deployment is gone or unavailable it does nothing, which is how an
uninstall that removes the operator first leaves the ClusterOperator stuck
and the webhook configuration behind. The webhook's name and path follow the
kubebuilder convention; the real operator's values were not available here.
"""

from __future__ import annotations

import logging
import time
from typing import Dict, List, Optional

from tests.kubesim.contract import ApiError, Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import (
    ANNOTATION_PREFIX,
    ResyncController,
    condition_true,
    delete_quietly,
    labels_of,
    update_with_retry,
)

log = logging.getLogger(__name__)

GROUP = "gpu.metax-tech.com"
FINALIZER = "gpu.metax-tech.com"
COMPONENT_LABEL = "app.kubernetes.io/component"
COMPONENT = "metax-operator"
WEBHOOK_CONFIGURATION = "upgrade-validating-webhook-configuration"
WEBHOOK_SERVICE = "upgrade-webhook-service"
WEBHOOK_NAME = "vclusteroperator.kb.io"
WEBHOOK_PATH = "/validate-gpu-metax-tech-com-v1alpha1-clusteroperator"
DELAY_ANNOTATION = ANNOTATION_PREFIX + "finalize-delay"
DEFAULT_FINALIZE_DELAY_SECONDS = 1.0


def is_available(deployment: Object) -> bool:
    if deployment["metadata"].get("deletionTimestamp"):
        return False
    status = deployment.get("status") or {}
    return condition_true(deployment, "Available") or int(status.get("availableReplicas") or 0) > 0


def finalize_delay(deployment: Object) -> float:
    raw = ((deployment["metadata"].get("annotations") or {}).get(DELAY_ANNOTATION)) or ""
    try:
        return max(float(raw), 0.0) if raw else DEFAULT_FINALIZE_DELAY_SECONDS
    except ValueError:
        log.debug("ignoring invalid %s=%r", DELAY_ANNOTATION, raw)
        return DEFAULT_FINALIZE_DELAY_SECONDS


def webhook_configuration(namespace: str) -> Object:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": WEBHOOK_CONFIGURATION},
        "webhooks": [
            {
                "name": WEBHOOK_NAME,
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail",
                "clientConfig": {
                    "service": {
                        "name": WEBHOOK_SERVICE,
                        "namespace": namespace,
                        "path": WEBHOOK_PATH,
                        "port": 443,
                    }
                },
                "rules": [
                    {
                        "apiGroups": [GROUP],
                        "apiVersions": ["v1alpha1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["clusteroperators"],
                        "scope": "*",
                    }
                ],
            }
        ],
    }


class OperatorStandIn(ResyncController):
    name = "operator"

    def __init__(self) -> None:
        super().__init__()
        # ClusterOperator uid -> monotonic time the stand-in first saw it being deleted.
        self._deleting_since: Dict[str, float] = {}

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        return resource.group in (GROUP, "apps", "admissionregistration.k8s.io")

    def reconcile(self, cluster: Cluster) -> None:
        deployments = cluster.resource_named("apps", "deployments")
        cluster_operators = cluster.resource_named(GROUP, "clusteroperators")
        configurations = cluster.resource_named(
            "admissionregistration.k8s.io", "validatingwebhookconfigurations"
        )
        if deployments is None or cluster_operators is None or configurations is None:
            return
        operators = [
            d
            for d in cluster.list(deployments)
            if labels_of(d).get(COMPONENT_LABEL) == COMPONENT and is_available(d)
        ]
        pending: List[float] = []
        for operator in operators:
            namespace = operator["metadata"].get("namespace", "")
            delay = finalize_delay(operator)
            owned = cluster.list(cluster_operators, namespace)
            live = [o for o in owned if not o["metadata"].get("deletionTimestamp")]
            for cluster_operator in live:
                self._add_finalizer(cluster, cluster_operators, cluster_operator)
            if live:
                self._ensure_webhook(cluster, configurations, namespace)
            for cluster_operator in owned:
                if cluster_operator["metadata"].get("deletionTimestamp") and FINALIZER in (
                    cluster_operator["metadata"].get("finalizers") or []
                ):
                    left = self._finalize(
                        cluster,
                        cluster_operators,
                        configurations,
                        cluster_operator,
                        delay=delay,
                        keep_webhook=bool(live),
                    )
                    if left is not None:
                        pending.append(left)
        if pending:
            # Come back when the earliest delay is over, not only at the next event.
            self.period = max(min(*pending, 0.5), 0.05)
        else:
            self.period = 0.5

    @staticmethod
    def _add_finalizer(cluster: Cluster, resource: ResourceInfo, cluster_operator: Object) -> None:
        if FINALIZER in (cluster_operator["metadata"].get("finalizers") or []):
            return

        def add(edited: Object) -> bool:
            if edited["metadata"].get("deletionTimestamp"):
                return False
            finalizers = edited["metadata"].setdefault("finalizers", [])
            if FINALIZER in finalizers:
                return False
            finalizers.append(FINALIZER)
            return True

        update_with_retry(
            cluster,
            resource,
            cluster_operator["metadata"].get("namespace", ""),
            cluster_operator["metadata"]["name"],
            add,
        )
        log.debug(
            "operator: finalizer added to ClusterOperator %s", cluster_operator["metadata"]["name"]
        )

    @staticmethod
    def _ensure_webhook(cluster: Cluster, configurations: ResourceInfo, namespace: str) -> None:
        if cluster.get(configurations, "", WEBHOOK_CONFIGURATION) is not None:
            return
        try:
            cluster.create(webhook_configuration(namespace))
            log.debug("operator: created %s", WEBHOOK_CONFIGURATION)
        except ApiError as error:
            if error.code != 409:
                raise

    def _finalize(
        self,
        cluster: Cluster,
        cluster_operators: ResourceInfo,
        configurations: ResourceInfo,
        cluster_operator: Object,
        *,
        delay: float,
        keep_webhook: bool,
    ) -> Optional[float]:
        """Finalize once the delay is over; return the seconds still to wait, or None when done."""
        uid = cluster_operator["metadata"].get("uid", "")
        first_seen = self._deleting_since.setdefault(uid, time.monotonic())
        left = first_seen + delay - time.monotonic()
        if left > 0:
            return left
        if not keep_webhook:
            delete_quietly(cluster, configurations, "", WEBHOOK_CONFIGURATION)

        def drop(edited: Object) -> bool:
            edited["metadata"]["finalizers"] = [
                f for f in edited["metadata"].get("finalizers") or [] if f != FINALIZER
            ]
            return True

        update_with_retry(
            cluster,
            cluster_operators,
            cluster_operator["metadata"].get("namespace", ""),
            cluster_operator["metadata"]["name"],
            drop,
        )
        self._deleting_since.pop(uid, None)
        log.debug("operator: finalized ClusterOperator %s", cluster_operator["metadata"]["name"])
        return None
