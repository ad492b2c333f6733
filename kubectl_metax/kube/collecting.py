"""Collect a cluster snapshot with a few paginated LISTs run in parallel.

A LIST that is forbidden, not served or timed out becomes a gap in the
snapshot (which kind, why) and the others go on. Only an API server that
cannot be reached at all aborts the collection.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Sequence

from kubectl_metax.errors import ActionFailed
from kubectl_metax.i18n import _
from kubectl_metax.inspection import records, snapshot
from kubectl_metax.inspection.snapshot import CrdRecord, Gap, Snapshot
from kubectl_metax.kube import errors
from kubectl_metax.kube.errors import RequestTarget
from kubectl_metax.kube.transport import Api, resource_path

log = logging.getLogger(__name__)

METAX_GROUP = "gpu.metax-tech.com"
# Enough parallel LISTs to hide latency without loading the API server; kubectl
# itself sends one at a time.
WORKERS = 4
# Asks for metadata only, so that Helm release payloads and Secret data never
# cross the wire; servers that do not support it return full objects,
# which the reducers drop.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
# Names that mark cluster-scoped RBAC as MetaX's.
METAX_NAME_MARKERS = ("metax", "mx-")

# Returns the record to keep, or None to drop the item.
Reducer = Callable[[Dict[str, Any]], Any]


@dataclass(frozen=True)
class ListJob:
    """One LIST: where its records go and how each item is reduced."""

    field: str  # the Snapshot list it fills
    gap_kind: str  # the kind named in a gap
    group: str
    version: str
    resource: str
    reduce: Reducer
    label_selector: str = ""
    metadata_only: bool = False


def _is_metax_rbac(raw: Dict[str, Any]) -> bool:
    metadata = raw.get("metadata") or {}
    name = str(metadata.get("name", "")).lower()
    release = str((metadata.get("annotations") or {}).get("meta.helm.sh/release-name", ""))
    return any(marker in name for marker in METAX_NAME_MARKERS) or "metax" in release.lower()


def base_jobs() -> List[ListJob]:
    """Return the LISTs that do not depend on the result of another LIST."""
    adm = "admissionregistration.k8s.io"
    return [
        ListJob("namespaces", "namespaces", "", "v1", "namespaces", records.namespace),
        ListJob(
            "crds",
            "customresourcedefinitions",
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            records.crd,
        ),
        ListJob(
            "webhook_configurations",
            "validatingwebhookconfigurations",
            adm,
            "v1",
            "validatingwebhookconfigurations",
            lambda raw: records.webhook_configuration(raw, "ValidatingWebhookConfiguration"),
        ),
        ListJob(
            "webhook_configurations",
            "mutatingwebhookconfigurations",
            adm,
            "v1",
            "mutatingwebhookconfigurations",
            lambda raw: records.webhook_configuration(raw, "MutatingWebhookConfiguration"),
        ),
        ListJob("services", "services", "", "v1", "services", records.service),
        ListJob("workloads", "deployments", "apps", "v1", "deployments", records.deployment),
        ListJob("workloads", "daemonsets", "apps", "v1", "daemonsets", records.daemonset),
        ListJob("pods", "pods", "", "v1", "pods", records.pod),
        ListJob(
            "helm_releases",
            "secrets",
            "",
            "v1",
            "secrets",
            lambda raw: records.helm_release(raw, "Secret"),
            label_selector="owner=helm",
            metadata_only=True,
        ),
        ListJob(
            "helm_releases",
            "configmaps",
            "",
            "v1",
            "configmaps",
            lambda raw: records.helm_release(raw, "ConfigMap"),
            label_selector="owner=helm",
            metadata_only=True,
        ),
        ListJob("nodes", "nodes", "", "v1", "nodes", records.node),
        ListJob("jobs", "jobs", "batch", "v1", "jobs", records.job),
        ListJob(
            "cluster_rbac",
            "clusterroles",
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            lambda raw: records.rbac(raw, "ClusterRole") if _is_metax_rbac(raw) else None,
            metadata_only=True,
        ),
        ListJob(
            "cluster_rbac",
            "clusterrolebindings",
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            lambda raw: records.rbac(raw, "ClusterRoleBinding") if _is_metax_rbac(raw) else None,
            metadata_only=True,
        ),
        # An unavailable APIService blocks namespace deletion cluster-wide.
        ListJob(
            "api_services",
            "apiservices",
            "apiregistration.k8s.io",
            "v1",
            "apiservices",
            records.api_service,
        ),
    ]


def _reduce_custom_resource(raw: Dict[str, Any], *, owner: CrdRecord) -> Any:
    return records.custom_resource(raw, owner)


def custom_resource_jobs(crds: Sequence[CrdRecord]) -> List[ListJob]:
    """Return one LIST per CRD of the MetaX group, named after the CRD."""
    jobs = []
    for crd in crds:
        if crd["group"] != METAX_GROUP or not crd["version"]:
            continue
        jobs.append(
            ListJob(
                "custom_resources",
                crd["meta"]["name"],
                crd["group"],
                crd["version"],
                crd["plural"],
                functools.partial(_reduce_custom_resource, owner=crd),
            )
        )
    return jobs


class Collector:
    """Run ListJobs against one API server and fill a snapshot."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def _gap(self, job: ListJob, error: errors.KubeError) -> Gap:
        if isinstance(error, errors.Forbidden):
            reason = "forbidden"
        elif isinstance(error, errors.NotFound):
            reason = "not-found"
        elif isinstance(error, errors.TimedOut):
            reason = "timeout"
        else:
            reason = "error"
        log.warning("could not list %s: %s", job.gap_kind, error)
        return Gap(kind=job.gap_kind, reason=reason, message=str(error))

    def run_job(self, job: ListJob) -> List[Any]:
        """Return the reduced items of one LIST; raises kube errors."""
        target = RequestTarget("list", job.resource, job.group)
        path = resource_path(job.group, job.version, job.resource)
        kept: List[Any] = []
        for page in self.api.list_pages(
            path,
            target=target,
            label_selector=job.label_selector,
            accept=METADATA_ONLY if job.metadata_only else "application/json",
        ):
            for raw in page:
                record = job.reduce(raw)
                if record is not None:
                    kept.append(record)
        log.debug("listed %s: kept %d", job.gap_kind, len(kept))
        return kept

    def _run_all(self, jobs: Sequence[ListJob], into: Snapshot) -> int:
        """Run jobs in parallel into the snapshot; return how many succeeded."""

        def attempt(job: ListJob) -> Any:
            try:
                return self.run_job(job)
            except errors.Unreachable as error:
                if not isinstance(error, errors.TimedOut):
                    raise
                return self._gap(job, error)
            except errors.KubeError as error:
                return self._gap(job, error)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(attempt, jobs))
        for job, result in zip(jobs, results):
            if isinstance(result, list):
                into[job.field].extend(result)  # type: ignore[literal-required]
            else:
                into["gaps"].append(result)
        return sum(isinstance(result, list) for result in results)

    def _endpoints(self, into: Snapshot) -> None:
        """List EndpointSlices and Endpoints, keeping per service the one with more ready.

        Both are read because either may be missing for a service: Endpoints
        are deprecated since Kubernetes 1.33, and EndpointSlices exist for
        hand-made Endpoints only where the mirroring controller runs.
        """
        slices = ListJob(
            "endpoints",
            "endpointslices",
            "discovery.k8s.io",
            "v1",
            "endpointslices",
            records.endpoint_slice,
        )
        plain = ListJob("endpoints", "endpoints", "", "v1", "endpoints", records.endpoints)
        found: List[Any] = []
        failures = []
        for job, merge in ((slices, records.merge_endpoints), (plain, list)):
            try:
                found.append(merge(self.run_job(job)))
            except (errors.NotFound, errors.Forbidden, errors.TimedOut) as error:
                log.debug("%s not usable: %s", job.gap_kind, error)
                failures.append((job, error))
        if not found:
            into["gaps"].append(self._gap(failures[-1][0], failures[-1][1]))
            return
        into["endpoints"].extend(records.best_endpoints([item for part in found for item in part]))

    def collect(self, *, server: str = "", context: str = "") -> Snapshot:
        """Return a snapshot of the cluster.

        Raises Unreachable when the server cannot be reached, and ActionFailed
        when every LIST failed.
        """
        result = snapshot.empty(server=server, context=context)
        result["collected_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if not self._run_all(base_jobs(), result) and result["gaps"]:
            # Nothing could be listed: a snapshot of gaps only would read as an empty cluster.
            raise ActionFailed(
                _("could not list anything from the API server: {error}").format(
                    error=result["gaps"][0]["message"]
                )
            )
        self._endpoints(result)
        self._run_all(custom_resource_jobs(result["crds"]), result)
        return result
