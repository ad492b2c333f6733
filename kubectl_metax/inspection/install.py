"""Find where the MetaX GPU Operator lives: namespace, Helm releases, Deployments.

Names vary between chart versions, so everything is discovered: the
operator Deployment by its component label or by the two name patterns
charts have used, the namespace by the evidence that points at it, and the
releases from Helm's own release storage (labels only).
"""

from __future__ import annotations

import re
from typing import Counter, Dict, List, Optional, Tuple, TypedDict

from kubectl_metax.inspection import snapshot
from kubectl_metax.inspection.snapshot import Meta, Snapshot, WorkloadRecord

METAX_GROUP = "gpu.metax-tech.com"
COMPONENT_LABEL = "app.kubernetes.io/component"
COMPONENT_VALUE = "metax-operator"
# Charts name the Deployment "<release>-metax-operator"; older ones "metax-operator-<suffix>".
DEPLOYMENT_NAME = re.compile(r"(^|.*-)metax-operator(-[a-z0-9]+)?$")
RELEASE_DEPLOYMENT_SUFFIX = "-metax-operator"
DEFAULT_NAMESPACE = "metax-operator"
# Evidence that only the namespace's conventional name exists: Helm leaves the
# namespace behind after an uninstall, so on its own it does not mean an install.
NAME_ONLY_EVIDENCE = "default-namespace"
# Evidence that the namespace was named on the command line with -n.
NAMESPACE_FLAG_EVIDENCE = "flag"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"


class Release(TypedDict):
    name: str
    namespace: str
    status: str  # Helm's: deployed, uninstalling, failed, pending-install...
    version: int
    storage: str  # Secret or ConfigMap


class Install(TypedDict):
    namespace: str  # "" when nothing points at one
    evidence: List[str]  # why this namespace, e.g. "operator-deployment"
    releases: List[Release]
    # Releases named by Helm storage or by the Helm annotations of MetaX objects
    # in the namespace: the storage may already be gone in a broken uninstall.
    release_names: List[str]
    deployments: List[str]
    # True: an operator Deployment has an available or ready replica; False: none does (or
    # none exists); None: Deployments could not be listed, so it is unknown.
    available: Optional[bool]


def operator_deployments(snap: Snapshot) -> List[WorkloadRecord]:
    return [
        workload
        for workload in snap["workloads"]
        if workload["kind"] == "Deployment"
        and (
            workload["meta"]["labels"].get(COMPONENT_LABEL) == COMPONENT_VALUE
            or DEPLOYMENT_NAME.match(workload["meta"]["name"])
        )
    ]


def metax_metas(snap: Snapshot) -> List[Meta]:
    """Return the metadata of every object that is MetaX's by its API group.

    Webhook configurations count when a rule matches the MetaX group: after a
    broken uninstall such a configuration may be all that is left.
    """
    metas = [item["meta"] for item in snap["custom_resources"]]
    metas += [crd["meta"] for crd in snap["crds"] if crd["group"] == METAX_GROUP]
    metas += [
        config["meta"]
        for config in snap["webhook_configurations"]
        if any(METAX_GROUP in hook["groups"] for hook in config["webhooks"])
    ]
    return metas


def _release_names(snap: Snapshot, deployments: List[WorkloadRecord]) -> Dict[str, str]:
    """Return release name -> namespace named by the Helm annotations of MetaX objects."""
    names: Dict[str, str] = {}
    for item in metax_metas(snap) + [workload["meta"] for workload in deployments]:
        release = item["annotations"].get(RELEASE_NAME_ANNOTATION)
        if release:
            names.setdefault(release, item["annotations"].get(RELEASE_NAMESPACE_ANNOTATION, ""))
    for workload in deployments:
        # "<release>-metax-operator" names its release even without Helm annotations.
        name = workload["meta"]["name"]
        if name.endswith(RELEASE_DEPLOYMENT_SUFFIX) and len(name) > len(RELEASE_DEPLOYMENT_SUFFIX):
            names.setdefault(name[: -len(RELEASE_DEPLOYMENT_SUFFIX)], workload["meta"]["namespace"])
    return names


def _vote_namespace(
    snap: Snapshot, deployments: List[WorkloadRecord]
) -> List[Tuple[str, List[str]]]:
    """Return (namespace, evidence kinds) pairs, the best supported namespace first."""
    votes: Counter[str] = Counter()
    evidence: Dict[str, List[str]] = {}

    def vote(namespace: str, kind: str, weight: int) -> None:
        if namespace:
            votes[namespace] += weight
            evidence.setdefault(namespace, []).append(kind)

    for workload in deployments:
        vote(workload["meta"]["namespace"], "operator-deployment", 4)
    for namespace in _release_names(snap, deployments).values():
        vote(namespace, "helm-annotations", 3)
    for item in snap["custom_resources"]:
        vote(item["meta"]["namespace"], "metax-custom-resource", 2)
    for release in snap["helm_releases"]:
        if "metax" in release["release"]:
            vote(release["namespace"], "helm-release-name", 2)
    if any(item["meta"]["name"] == DEFAULT_NAMESPACE for item in snap["namespaces"]):
        vote(DEFAULT_NAMESPACE, NAME_ONLY_EVIDENCE, 1)

    return [(namespace, evidence[namespace]) for namespace, _count in votes.most_common()]


def latest_releases(snap: Snapshot, namespace: str, names: List[str]) -> List[Release]:
    """Return the newest revision of each release in namespace whose name is in names
    or contains "metax"."""
    newest: Dict[str, Release] = {}
    for record in snap["helm_releases"]:
        if record["namespace"] != namespace:
            continue
        if record["release"] not in names and "metax" not in record["release"]:
            continue
        current = newest.get(record["release"])
        if current is None or record["version"] > current["version"]:
            newest[record["release"]] = Release(
                name=record["release"],
                namespace=namespace,
                status=record["status"],
                version=record["version"],
                storage=record["storage"],
            )
    return sorted(newest.values(), key=lambda release: release["name"])


def locate(snap: Snapshot, *, namespace: Optional[str] = None) -> Install:
    """Return where the operator is installed; namespace, when given, is taken as is."""
    deployments = operator_deployments(snap)
    ranked = _vote_namespace(snap, deployments)
    if namespace:
        chosen = namespace
        evidence = [NAMESPACE_FLAG_EVIDENCE]
    elif ranked:
        chosen, evidence = ranked[0]
    else:
        chosen, evidence = "", []

    here = [workload for workload in deployments if workload["meta"]["namespace"] == chosen]
    if snapshot.gap_for(snap, "deployments") is not None:
        available: Optional[bool] = None
    else:
        available = any(
            (workload["available"] > 0 or workload["ready"] > 0)
            and not workload["meta"]["deletion_timestamp"]
            for workload in here
        )
    annotated = _release_names(snap, deployments)
    releases = latest_releases(snap, chosen, list(annotated))
    names = [release["name"] for release in releases]
    names += sorted(
        name for name, where in annotated.items() if where == chosen and name not in names
    )
    return Install(
        namespace=chosen,
        evidence=evidence,
        releases=releases,
        release_names=names,
        deployments=[workload["meta"]["name"] for workload in here],
        available=available,
    )
