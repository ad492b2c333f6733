"""Collect, from the rendered documents, the names the pre-delete cleanup hook works on.

Every name placed into the hook comes from here, read from the chart's own
output and checked as a Kubernetes name: the operator's namespace and
release, the ClusterOperator objects, the validating webhook configurations
with the services they call, the Services that select the operator's pods,
the chart's own pre-delete hook weights, and the operator Deployment's
pull secrets, node selector and tolerations (the hook Job runs where the
operator runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import yaml

from kubectl_metax.i18n import _
from kubectl_metax.manifests import events, stream

HELM4_FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"
HOOK_ANNOTATION = "helm.sh/hook"
HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
# Marks the documents this tool adds, so that a second run recognises them.
GENERATED_ANNOTATION = "kubectl-metax/generated-by"
GENERATED_VALUE = "post-render"

OPERATOR_COMPONENT_LABEL = "app.kubernetes.io/component"
OPERATOR_COMPONENT = "metax-operator"
INSTANCE_LABEL = "app.kubernetes.io/instance"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
CLUSTER_OPERATOR_KIND = "ClusterOperator"
CLUSTER_OPERATOR_GROUP = "gpu.metax-tech.com"

# Object names are DNS-1123 subdomains: lowercase alphanumerics, "-" and ".".
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
MAX_SUBDOMAIN_LENGTH = 253
# Namespaces are DNS-1123 labels: lowercase alphanumerics and "-", no ".".
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
MAX_LABEL_LENGTH = 63

# A document must contain one of these substrings, or the operator label,
# for anything here to read it.
TREE_MARKERS = (
    CLUSTER_OPERATOR_KIND,
    "WebhookConfiguration",
    HOOK_ANNOTATION,
    GENERATED_ANNOTATION,
)
_OPERATOR_LABEL = re.compile(r"""component["']?\s*:\s*["']?metax-operator\b""")


def needs_tree(text: str) -> bool:
    """Return whether a document's text may hold something ``Facts.observe`` reads."""
    return any(marker in text for marker in TREE_MARKERS) or bool(_OPERATOR_LABEL.search(text))


@dataclass(frozen=True)
class NamespacedName:
    namespace: str  # "" when the document leaves it to Helm (the release namespace)
    name: str


@dataclass
class Facts:
    """Names and settings of the operator's objects, read from the rendered chart."""

    helm4: bool = False
    generated_present: bool = False
    chart_pre_delete_weights: List[int] = field(default_factory=list)
    cluster_operators: List[NamespacedName] = field(default_factory=list)
    webhook_configurations: List[str] = field(default_factory=list)
    webhook_services: List[NamespacedName] = field(default_factory=list)
    # Services that select the operator's pods: a webhook configuration the
    # operator creates at run time calls one of them.
    operator_services: List[NamespacedName] = field(default_factory=list)
    operator_namespace: str = ""
    release: str = ""
    operator_deployment_found: bool = False
    operator_pod_settings: Dict[str, Any] = field(default_factory=dict)
    problems: List[stream.MalformedStream] = field(default_factory=list)

    @property
    def operator_found(self) -> bool:
        return bool(self.cluster_operators) or self.operator_deployment_found

    def observe(self, document: stream.Document, root: Optional[Dict[str, Any]]) -> None:
        """Record what one kept document contributes.

        A missing or invalid name goes to ``problems``: it matters only when
        a hook is built from it.
        """
        if HELM4_FILENAME_ANNOTATION in document.text:
            self.helm4 = True
        if root is None:
            return
        try:
            self._observe(document, root)
        except stream.MalformedStream as problem:
            self.problems.append(problem)

    def _observe(self, document: stream.Document, root: Dict[str, Any]) -> None:
        metadata = _mapping(root.get("metadata"))
        annotations = _mapping(metadata.get("annotations"))
        labels = _mapping(metadata.get("labels"))
        kind = _value(root.get("kind"))

        if _value(annotations.get(GENERATED_ANNOTATION)) == GENERATED_VALUE:
            self.generated_present = True
            return
        hook = _value(annotations.get(HOOK_ANNOTATION))
        if hook and "pre-delete" in [part.strip() for part in hook.split(",")]:
            self.chart_pre_delete_weights.append(
                _weight(_value(annotations.get(HOOK_WEIGHT_ANNOTATION)))
            )
        if hook:
            return  # the chart's hooks are not the operator's running objects

        if kind == CLUSTER_OPERATOR_KIND and _value(root.get("apiVersion")).startswith(
            CLUSTER_OPERATOR_GROUP + "/"
        ):
            self.cluster_operators.append(
                NamespacedName(
                    namespace=_namespace(document, metadata.get("namespace")),
                    name=_name(document, metadata.get("name")),
                )
            )
        elif kind == "ValidatingWebhookConfiguration":
            self._webhook_configuration(document, root, metadata)
        elif kind == "Service" and _value(root.get("apiVersion")) == "v1":
            self._service(document, root, metadata)
        elif (
            kind == "Deployment"
            and _value(labels.get(OPERATOR_COMPONENT_LABEL)) == OPERATOR_COMPONENT
        ):
            self._operator_deployment(document, metadata, labels, annotations)

    def _webhook_configuration(
        self, document: stream.Document, root: Dict[str, Any], metadata: Dict[str, Any]
    ) -> None:
        self.webhook_configurations.append(_name(document, metadata.get("name")))
        webhooks = root.get("webhooks")
        for webhook in webhooks if isinstance(webhooks, list) else []:
            service = _mapping(_mapping(_mapping(webhook).get("clientConfig")).get("service"))
            if service:
                entry = NamespacedName(
                    namespace=_namespace(document, service.get("namespace")),
                    name=_name(document, service.get("name")),
                )
                if entry not in self.webhook_services:
                    self.webhook_services.append(entry)

    def _service(
        self, document: stream.Document, root: Dict[str, Any], metadata: Dict[str, Any]
    ) -> None:
        selector = _mapping(_mapping(root.get("spec")).get("selector"))
        if _value(selector.get(OPERATOR_COMPONENT_LABEL)) != OPERATOR_COMPONENT:
            return
        entry = NamespacedName(
            namespace=_namespace(document, metadata.get("namespace")),
            name=_name(document, metadata.get("name")),
        )
        if entry not in self.operator_services:
            self.operator_services.append(entry)

    def _operator_deployment(
        self,
        document: stream.Document,
        metadata: Dict[str, Any],
        labels: Dict[str, Any],
        annotations: Dict[str, Any],
    ) -> None:
        self.operator_deployment_found = True
        self.operator_namespace = _namespace(document, metadata.get("namespace"))
        release_node = labels.get(INSTANCE_LABEL) or annotations.get(RELEASE_NAME_ANNOTATION)
        if isinstance(release_node, events.Scalar):
            self.release = _name(document, release_node, pattern=_LABEL, limit=MAX_LABEL_LENGTH)

        # The pod settings are copied into the hook Job as data, so read them with their types.
        loaded = yaml.load(
            document.normalized(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        pod_spec = _dig(loaded, "spec", "template", "spec")
        self.operator_pod_settings = {
            key: pod_spec[key]
            for key in ("imagePullSecrets", "nodeSelector", "tolerations")
            if pod_spec.get(key)
        }

    def hook_weight_base(self) -> int:
        """Return the highest weight among the chart's own pre-delete hooks (0 without any)."""
        return max(self.chart_pre_delete_weights, default=0)


def _mapping(node: Any) -> Dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _value(node: Any) -> str:
    return node.value if isinstance(node, events.Scalar) else ""


def _dig(data: Any, *keys: str) -> Dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _weight(text: str) -> int:
    # Helm reads an unparsable or missing weight as 0 (strconv.Atoi error ignored).
    try:
        return int(text.strip())
    except ValueError:
        return 0


def _name(
    document: stream.Document,
    node: Any,
    *,
    pattern: re.Pattern[str] = _SUBDOMAIN,
    limit: int = MAX_SUBDOMAIN_LENGTH,
) -> str:
    if not isinstance(node, events.Scalar):
        raise document.error(line=1, detail=_("a name the cleanup hook needs is missing"))
    if len(node.value) > limit or not pattern.match(node.value):
        raise document.error(
            line=node.line,
            detail=_(
                "{name!r} is not a valid Kubernetes name, "
                "so it cannot be placed into the cleanup hook"
            ).format(name=node.value),
        )
    return node.value


def _namespace(document: stream.Document, node: Any) -> str:
    if node is None:
        return ""
    return _name(document, node, pattern=_LABEL, limit=MAX_LABEL_LENGTH)


def check_name(value: str, *, namespace: bool = False) -> Tuple[bool, str]:
    """Return whether ``value`` is a valid object name (or namespace) and the rule it broke."""
    pattern, limit = (_LABEL, MAX_LABEL_LENGTH) if namespace else (_SUBDOMAIN, MAX_SUBDOMAIN_LENGTH)
    if len(value) > limit:
        return False, f"longer than {limit} characters"
    if not pattern.match(value):
        return False, "not a DNS-1123 name"
    return True, ""
