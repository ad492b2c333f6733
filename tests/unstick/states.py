"""Cluster states for the unstick tests, as YAML that kubesim loads as stored."""

from __future__ import annotations

STAMP = "2026-12-04T10:00:00Z"


def stuck_install(
    *,
    namespace: str = "metax-operator",
    operator: str = "cluster-operator",
    webhook: str = "upgrade-validating-webhook-configuration",
    service: str = "upgrade-webhook-service",
    release: str = "metax-operator-1743500897",
    terminating: bool = True,
) -> str:
    """Return the vendor FAQ's state: operator gone, webhook left behind, finalizer kept.

    With terminating, the namespace is being deleted too, so the namespace
    controller removes the Helm release Secret soon after loading.
    """
    namespace_state = (
        f'  deletionTimestamp: "{STAMP}"\nspec:\n  finalizers: [kubernetes]\n'
        "status:\n  phase: Terminating"
        if terminating
        else "status:\n  phase: Active"
    )
    return f"""
apiVersion: v1
kind: Namespace
metadata:
  name: {namespace}
{namespace_state}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusteroperators.gpu.metax-tech.com
spec:
  group: gpu.metax-tech.com
  scope: Namespaced
  names: {{plural: clusteroperators, singular: clusteroperator, kind: ClusterOperator,
          listKind: ClusterOperatorList}}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata:
  name: {operator}
  namespace: {namespace}
  deletionTimestamp: "{STAMP}"
  finalizers: [gpu.metax-tech.com]
  labels: {{app.kubernetes.io/managed-by: Helm}}
  annotations:
    meta.helm.sh/release-name: {release}
    meta.helm.sh/release-namespace: {namespace}
spec:
  cluster: {{type: k8s}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {webhook}
  labels: {{app.kubernetes.io/managed-by: Helm}}
  annotations:
    meta.helm.sh/release-name: {release}
    meta.helm.sh/release-namespace: {namespace}
webhooks:
- name: vclusteroperator.kb.io
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig:
    service: {{name: {service}, namespace: {namespace}, path: /validate}}
  rules:
  - apiGroups: [gpu.metax-tech.com]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE]
    resources: [clusteroperators]
---
apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.{release}.v1
  namespace: {namespace}
  labels: {{owner: helm, name: {release}, status: uninstalling, version: "1"}}
type: helm.sh/release.v1
data:
  release: SGVsbSByZWxlYXNlIHBheWxvYWQ=
"""


def foreign_webhook(namespace: str = "metax-operator") -> str:
    """Return another product's webhook whose service also lives in the operator namespace."""
    return f"""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: other-product-validating
  annotations:
    meta.helm.sh/release-name: other-product
    meta.helm.sh/release-namespace: {namespace}
webhooks:
- name: validate.other.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig:
    service: {{name: other-product-webhook, namespace: {namespace}}}
  rules:
  - apiGroups: [apps]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [deployments]
"""


def live_service(namespace: str = "metax-operator", name: str = "upgrade-webhook-service") -> str:
    """Return a Service with one ready endpoint, which makes the webhook live."""
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: webhook}}
  ports: [{{port: 443, targetPort: 9443}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: {name}, namespace: {namespace}}}
subsets:
- addresses: [{{ip: 127.0.0.1}}]
  ports: [{{port: 9443}}]
"""


def gpu_pod(namespace: str = "ml", name: str = "train-0") -> str:
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {namespace}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  nodeName: gpu-node-1
  containers:
  - name: train
    image: registry.example.cn/train:1
    resources:
      limits: {{metax-tech.com/gpu: "1"}}
status:
  phase: Running
"""
