"""Pods that still use MetaX GPUs: they must stop before the operator is cleaned up."""

from __future__ import annotations

from typing import Dict, List

from kubectl_metax.inspection.snapshot import PodRecord, Snapshot

FINISHED_PHASES = ("Succeeded", "Failed")


def gpu_pods(snap: Snapshot) -> List[PodRecord]:
    """Return the pods not yet finished that request or limit a metax-tech.com/* resource."""
    return [pod for pod in snap["pods"] if pod["gpu"] and pod["phase"] not in FINISHED_PHASES]


def by_namespace(pods: List[PodRecord]) -> Dict[str, List[str]]:
    grouped: Dict[str, List[str]] = {}
    for pod in sorted(pods, key=lambda item: (item["namespace"], item["name"])):
        grouped.setdefault(pod["namespace"], []).append(pod["name"])
    return grouped
