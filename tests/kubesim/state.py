"""Load and dump the whole store as multi-document YAML.

Load creates each object as the system and keeps the metadata it gives
(uid, creationTimestamp, deletionTimestamp, finalizers), so that a stuck
state, e.g. an object being deleted with a finalizer left, loads as it is.
Namespaces and CRDs are loaded first so that the objects in them are served.
Dump writes every stored object in a deterministic order
(group, resource, namespace, name) with sorted keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Union

import yaml

from tests.kubesim.cluster import SimCluster

Object = Dict[str, Any]

_FIRST = ("CustomResourceDefinition", "Namespace")


def parse(text_or_path: Union[str, Path]) -> List[Object]:
    if isinstance(text_or_path, Path) or (
        "\n" not in str(text_or_path) and Path(str(text_or_path)).is_file()
    ):
        text = Path(text_or_path).read_text(encoding="utf-8")
    else:
        text = str(text_or_path)
    documents = []
    for document in yaml.safe_load_all(text):
        if not document:
            continue
        if document.get("kind", "").endswith("List") and isinstance(document.get("items"), list):
            documents.extend(document["items"])
        else:
            documents.append(document)
    return documents


def load(cluster: SimCluster, text_or_path: Union[str, Path]) -> List[Object]:
    """Create every object of a YAML stream; return what was stored."""
    documents = parse(text_or_path)
    ordered = sorted(
        documents,
        key=lambda d: _FIRST.index(d.get("kind")) if d.get("kind") in _FIRST else len(_FIRST),
    )
    stored = []
    for document in ordered:
        meta = document.setdefault("metadata", {})
        if document.get("kind") != "Namespace" and not meta.get("namespace"):
            served = cluster.registry.find_kind(
                document.get("apiVersion", ""), document.get("kind", "")
            )
            if served is not None and served.info.namespaced:
                meta["namespace"] = "default"
        stored.append(cluster.load_object(document))
    return stored


def dump(cluster: SimCluster) -> str:
    objects = [obj for _, obj in cluster.all_objects()]
    return yaml.safe_dump_all(objects, sort_keys=True, default_flow_style=False)
