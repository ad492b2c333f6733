"""The objects a half-uninstalled MetaX operator leaves behind.

These are a ClusterOperator being deleted with its finalizer left, the
validating webhook configuration whose Service is gone, the Helm release
Secret in status ``uninstalling``, and the CRD the ClusterOperator needs.
"""

from __future__ import annotations

from typing import Iterator, Tuple

from bench.kubeobjects import Object, meta

OPERATOR_NAMESPACE = "metax-operator"
RELEASE = "metax-operator"
DELETED = "2026-12-01T09:30:00Z"


def objects() -> Iterator[Tuple[str, Object]]:
    """Yield what a half-uninstalled operator leaves behind."""
    helm = {"app.kubernetes.io/managed-by": "Helm"}
    owned = {
        "meta.helm.sh/release-name": RELEASE,
        "meta.helm.sh/release-namespace": OPERATOR_NAMESPACE,
    }
    yield (
        "customresourcedefinitions",
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": meta("CustomResourceDefinition", "clusteroperators.gpu.metax-tech.com"),
            "spec": {
                "group": "gpu.metax-tech.com",
                "names": {
                    "kind": "ClusterOperator",
                    "listKind": "ClusterOperatorList",
                    "plural": "clusteroperators",
                    "singular": "clusteroperator",
                },
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1alpha1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        },
    )
    yield (
        "clusteroperators",
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": meta(
                "ClusterOperator",
                "cluster-operator",
                OPERATOR_NAMESPACE,
                labels=helm,
                annotations=owned,
                finalizers=["gpu.metax-tech.com"],
                deletionTimestamp=DELETED,
                deletionGracePeriodSeconds=0,
            ),
            "spec": {"cluster": {"type": "k8s"}, "driver": {"deployPolicy": "PreferHost"}},
        },
    )
    yield (
        "validatingwebhookconfigurations",
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta(
                "ValidatingWebhookConfiguration",
                "upgrade-validating-webhook-configuration",
                labels=helm,
                annotations=owned,
            ),
            "webhooks": [
                {
                    "name": "vclusteroperator.gpu.metax-tech.com",
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": "Fail",
                    "clientConfig": {
                        "service": {
                            "name": "upgrade-webhook-service",
                            "namespace": OPERATOR_NAMESPACE,
                            "path": "/validate-gpu-metax-tech-com-v1alpha1",
                        }
                    },
                    "rules": [
                        {
                            "apiGroups": ["gpu.metax-tech.com"],
                            "apiVersions": ["v1alpha1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["clusteroperators"],
                        }
                    ],
                }
            ],
        },
    )
    yield (
        "secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": meta(
                "Secret",
                f"sh.helm.release.v1.{RELEASE}.v1",
                OPERATOR_NAMESPACE,
                labels={"owner": "helm", "name": RELEASE, "status": "uninstalling", "version": "1"},
            ),
            # A stand-in payload: the real one is a gzipped release record, never read here.
            "data": {"release": "SDRzSUFBQUFBQUFBLzZ1dUt3QUFBQUFBQUE9"},
        },
    )
