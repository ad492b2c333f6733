"""meta.k8s.io/v1 Table responses for `kubectl get` (Accept: ...;as=Table).

Columns: NAME and AGE for every kind, a few kind-specific columns that
kubectl users expect (STATUS for namespaces and pods, READY for workloads),
and a CRD's additionalPrinterColumns (simple JSONPath `.a.b` only).
https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from tests.kubesim.registry import Served

Object = Dict[str, Any]
Column = Tuple[str, str, Callable[[Object], Any]]


def _age(obj: Object) -> str:
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    seconds = int((datetime.now(timezone.utc) - created).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _get(obj: Object, path: str) -> Any:
    current: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _ready(ready_path: str, total_path: str) -> Callable[[Object], str]:
    return lambda obj: f"{_get(obj, ready_path) or 0}/{_get(obj, total_path) or 0}"


def _pod_ready(obj: Object) -> str:
    statuses = _get(obj, "status.containerStatuses") or []
    total = len(_get(obj, "spec.containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


_KIND_COLUMNS: Dict[str, List[Column]] = {
    "Namespace": [("Status", "string", lambda o: _get(o, "status.phase") or "")],
    "Pod": [
        ("Ready", "string", _pod_ready),
        (
            "Status",
            "string",
            lambda o: (
                "Terminating"
                if _get(o, "metadata.deletionTimestamp")
                else (_get(o, "status.phase") or "Pending")
            ),
        ),
        (
            "Restarts",
            "integer",
            lambda o: sum(
                s.get("restartCount", 0) for s in _get(o, "status.containerStatuses") or []
            ),
        ),
    ],
    "Deployment": [
        ("Ready", "string", _ready("status.readyReplicas", "spec.replicas")),
        ("Up-to-date", "integer", lambda o: _get(o, "status.updatedReplicas") or 0),
        ("Available", "integer", lambda o: _get(o, "status.availableReplicas") or 0),
    ],
    "DaemonSet": [
        ("Desired", "integer", lambda o: _get(o, "status.desiredNumberScheduled") or 0),
        ("Current", "integer", lambda o: _get(o, "status.currentNumberScheduled") or 0),
        ("Ready", "integer", lambda o: _get(o, "status.numberReady") or 0),
    ],
    "Service": [
        ("Type", "string", lambda o: _get(o, "spec.type") or ""),
        ("Cluster-IP", "string", lambda o: _get(o, "spec.clusterIP") or "<none>"),
    ],
    "ConfigMap": [
        ("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))
    ],
    "Secret": [
        ("Type", "string", lambda o: o.get("type", "")),
        ("Data", "integer", lambda o: len(o.get("data") or {})),
    ],
    "Job": [
        (
            "Status",
            "string",
            lambda o: "Complete" if (_get(o, "status.succeeded") or 0) > 0 else "Running",
        )
    ],
}


def _columns(served: Served, crd: Optional[Object]) -> List[Column]:
    columns: List[Column] = [("Name", "string", lambda o: o["metadata"]["name"])]
    if crd is not None:
        for version in crd.get("spec", {}).get("versions", []):
            if version.get("name") != served.info.version:
                continue
            for column in version.get("additionalPrinterColumns", []) or []:
                path = column.get("jsonPath", "")
                columns.append(
                    (
                        column.get("name", ""),
                        column.get("type", "string"),
                        lambda o, p=path: _get(o, p) if _get(o, p) is not None else "",
                    )
                )
    else:
        columns.extend(_KIND_COLUMNS.get(served.info.kind, []))
    columns.append(("Age", "date", _age))
    return columns


def table(
    served: Served,
    objects: List[Object],
    *,
    crd: Optional[Object],
    include_object: str,
    list_meta: Object,
) -> Object:
    columns = _columns(served, crd)
    rows = []
    for obj in objects:
        row: Object = {"cells": [fn(obj) for _, _, fn in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [
            {
                "name": name,
                "type": kind,
                "format": "name" if name == "Name" else "",
                "description": name,
                "priority": 0,
            }
            for name, kind, _ in columns
        ],
        "rows": rows,
    }
