"""Build the Helm 4 pre-delete cleanup hook: a Job with its ServiceAccount and RBAC.

All objects are ``pre-delete`` hooks weighted after the chart's own
pre-delete hooks; the RBAC objects get a lower weight than the Job so they
exist when it starts, and ``before-hook-creation,hook-succeeded`` lets a
failed run be retried and removes a successful one. The permissions are the
least the script needs: get/delete/patch of the named ClusterOperators in
their namespace (a Role), get/delete of the named validating webhook
configurations and a cluster-wide list of pods for the GPU check (a
ClusterRole, because both are cluster-wide).

When the chart renders no webhook configuration, the operator creates its
own at run time, and the hook finds them by the Services they call (the
chart's Services that select the operator's pods). That needs list and
delete of all validating webhook configurations, because resourceNames
cannot limit a list and the names are not known when rendering. The
trade-off: the hook can read every configuration (they hold no secrets, a
caBundle is a public certificate) and the API server would let it delete
any of them. The script deletes only those whose webhooks all call this
release's Services, which is the same ownership check as for named ones.

Each document carries ``postrenderer.helm.sh/postrender-filename`` so that
Helm 4 lists it under ``kubectl-metax/pre-delete-cleanup.yaml`` instead of
``generated-by-postrender-N.yaml``, and ``kubectl-metax/generated-by`` so a
second run recognises it.
"""

from __future__ import annotations

from typing import Any, Dict, List

import yaml

from kubectl_metax.postrender import facts, hookscript

SOURCE_FILENAME = "kubectl-metax/pre-delete-cleanup.yaml"
BASE_NAME = "kubectl-metax-cleanup"
MAX_NAME_LENGTH = 63  # names also used as label values, which stop at 63 characters
DELETE_POLICY = "before-hook-creation,hook-succeeded"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_API = RBAC_GROUP + "/v1"
WEBHOOK_GROUP = "admissionregistration.k8s.io"
WEBHOOK_RESOURCE = "validatingwebhookconfigurations"

# The Job's limits. The deadline covers the script's waits (about two
# minutes at most) plus image pull time and stays under Helm's default 5m
# hook timeout; one retry covers a transient API error.
ACTIVE_DEADLINE_SECONDS = 240
BACKOFF_LIMIT = 1
# Admission policies reject pods without requests and limits. The memory
# limit is an estimate for kubectl listing every pod of a large cluster.
RESOURCES = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}
# A fixed non-root user: images such as alpine/k8s run as root by default,
# and runAsNonRoot alone would then refuse to start the container.
RUN_AS_USER = 65532


class _Dumper(yaml.SafeDumper):
    """Write multi-line strings (the script) as literal block scalars."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def documents(found: facts.Facts, *, image: str, allow_busy_gpus: bool) -> List[str]:
    """Return the hook's documents as YAML texts, RBAC first."""
    names = _Names(found)
    base_weight = found.hook_weight_base()
    rbac = _Builder(found, weight=str(base_weight + 1))
    namespace = found.operator_namespace or (
        found.cluster_operators[0].namespace if found.cluster_operators else ""
    )
    subject = _subject(names.namespaced, namespace)

    objects = [rbac.build("v1", "ServiceAccount", name=names.namespaced, namespace=namespace)]
    for role_namespace in sorted({item.namespace for item in found.cluster_operators}):
        in_namespace = {
            item.name for item in found.cluster_operators if item.namespace == role_namespace
        }
        rules = [
            {
                "apiGroups": [facts.CLUSTER_OPERATOR_GROUP],
                "resources": ["clusteroperators"],
                "resourceNames": sorted(in_namespace),
                "verbs": ["get", "delete", "patch"],
            }
        ]
        objects += rbac.role_and_binding(
            "Role", name=names.namespaced, namespace=role_namespace, rules=rules, subject=subject
        )

    cluster_rules: List[Dict[str, Any]] = [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}
    ]
    if found.webhook_configurations:
        cluster_rules.append(
            {
                "apiGroups": [WEBHOOK_GROUP],
                "resources": [WEBHOOK_RESOURCE],
                "resourceNames": sorted(set(found.webhook_configurations)),
                "verbs": ["get", "delete"],
            }
        )
    elif _finds_webhook_configurations(found):
        # resourceNames cannot limit list, and the names are not known here.
        cluster_rules.append(
            {
                "apiGroups": [WEBHOOK_GROUP],
                "resources": [WEBHOOK_RESOURCE],
                "verbs": ["list", "delete"],
            }
        )
    objects += rbac.role_and_binding(
        "ClusterRole", name=names.cluster, namespace="", rules=cluster_rules, subject=subject
    )

    job = _Builder(found, weight=str(base_weight + 2)).build(
        "batch/v1", "Job", name=names.namespaced, namespace=namespace
    )
    job["spec"] = _job_spec(
        found, name=names.namespaced, image=image, allow_busy_gpus=allow_busy_gpus
    )
    objects.append(job)
    return [
        yaml.dump(item, Dumper=_Dumper, sort_keys=False, allow_unicode=True) for item in objects
    ]


class _Builder:
    """Objects of one hook weight, with the hook's labels and annotations."""

    def __init__(self, found: facts.Facts, *, weight: str) -> None:
        self.found = found
        self.weight = weight

    def build(self, api_version: str, kind: str, *, name: str, namespace: str) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {"name": name}
        if namespace:
            metadata["namespace"] = namespace
        metadata["labels"] = _labels(self.found)
        metadata["annotations"] = {
            facts.HOOK_ANNOTATION: "pre-delete",
            facts.HOOK_WEIGHT_ANNOTATION: self.weight,
            "helm.sh/hook-delete-policy": DELETE_POLICY,
            facts.HELM4_FILENAME_ANNOTATION: SOURCE_FILENAME,
            facts.GENERATED_ANNOTATION: facts.GENERATED_VALUE,
        }
        return {"apiVersion": api_version, "kind": kind, "metadata": metadata}

    def role_and_binding(
        self,
        kind: str,
        *,
        name: str,
        namespace: str,
        rules: List[Dict[str, Any]],
        subject: Dict[str, str],
    ) -> List[Dict[str, Any]]:
        """Return a Role or ClusterRole with its binding to the hook's ServiceAccount."""
        role = self.build(RBAC_API, kind, name=name, namespace=namespace)
        role["rules"] = rules
        binding = self.build(RBAC_API, kind + "Binding", name=name, namespace=namespace)
        binding["roleRef"] = {"apiGroup": RBAC_GROUP, "kind": kind, "name": name}
        binding["subjects"] = [subject]
        return [role, binding]


class _Names:
    """Object names: per release, and per release and namespace for cluster-scoped objects."""

    def __init__(self, found: facts.Facts) -> None:
        self.namespaced = _bounded("-".join(part for part in (found.release, BASE_NAME) if part))
        self.cluster = _bounded(
            "-".join(part for part in (found.release, found.operator_namespace, BASE_NAME) if part)
        )


def _bounded(name: str) -> str:
    return name[:MAX_NAME_LENGTH].rstrip("-.")


def _finds_webhook_configurations(found: facts.Facts) -> bool:
    """Return whether the hook must find the operator's webhook configurations by listing."""
    return not found.webhook_configurations and bool(found.operator_services)


def _labels(found: facts.Facts) -> Dict[str, str]:
    labels = {
        "app.kubernetes.io/name": BASE_NAME,
        "app.kubernetes.io/component": "pre-delete-cleanup",
        "app.kubernetes.io/part-of": facts.OPERATOR_COMPONENT,
    }
    if found.release:
        labels[facts.INSTANCE_LABEL] = found.release
    return labels


def _subject(service_account: str, namespace: str) -> Dict[str, str]:
    # NOTE: a subject needs a namespace. When the chart renders none, "default"
    # is what `helm template` renders too, but an install elsewhere needs the chart to name it.
    return {"kind": "ServiceAccount", "name": service_account, "namespace": namespace or "default"}


def _job_spec(
    found: facts.Facts, *, name: str, image: str, allow_busy_gpus: bool
) -> Dict[str, Any]:
    finds = _finds_webhook_configurations(found)
    script = hookscript.script(
        cluster_operators=found.cluster_operators,
        webhook_configurations=found.webhook_configurations,
        webhook_services=found.operator_services if finds else found.webhook_services,
        allow_busy_gpus=allow_busy_gpus,
        find_webhook_configurations=finds,
    )
    container = {
        "name": "cleanup",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", script],
        "env": [
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
            },
            {"name": "HOME", "value": "/tmp"},  # kubectl writes its discovery cache under $HOME
        ],
        "resources": RESOURCES,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_spec: Dict[str, Any] = {
        "serviceAccountName": name,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "32Mi"}}],
    }
    pod_spec.update(found.operator_pod_settings)
    return {
        "backoffLimit": BACKOFF_LIMIT,
        "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
        "template": {"metadata": {"labels": _labels(found)}, "spec": pod_spec},
    }
