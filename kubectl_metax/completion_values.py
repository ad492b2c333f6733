"""Values offered for flag arguments during shell completion.

Fixed sets come from the image naming tables (``imagetable``) and doctor's
check registry. Namespaces and Helm release names come from the cluster that
the flags typed so far select, and contexts come from the kubeconfig. Every source
takes the word typed so far, the flag values typed before it (dest to
value) and the cluster look-up, and returns (value, description) pairs that
start with that word.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Tuple

from kubectl_metax import errors, imagetable

Candidate = Tuple[str, str]  # (value, description)

# Looks cluster names up: (kind, flag values typed so far) -> names.
ClusterLookup = Callable[[str, Dict[str, str]], List[str]]

# Each cluster request may take this long. NOTE: an estimate, not a
# measurement, of how long a person who pressed TAB waits before giving up.
CLUSTER_TIMEOUT = "1s"


def check_ids(current: str) -> List[Candidate]:
    """Complete the last ID of a comma-separated list of doctor check IDs, with titles."""
    # Deferred: the registry imports every check module, which only doctor needs.
    from kubectl_metax.checks import catalog

    done, comma, last = current.rpartition(",")
    chosen = set(done.split(",")) if comma else set()
    candidates = []
    for check_id in catalog.known_ids():
        if check_id.startswith(last) and check_id not in chosen:
            check = catalog.CHECKS.get(check_id)
            title = " ".join(check.title().split()) if check is not None else ""
            candidates.append((done + comma + check_id, title))
    return candidates


def gpu_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    """GPU products, spelt as the user started: MXC500, mxc500 or c500."""
    if not current:
        return [(model, "") for model in imagetable.PRODUCTS]
    found = []
    for model in imagetable.PRODUCTS:
        for spelling in (model, model[len("MX") :]):
            shaped = spelling.lower() if current.islower() else spelling
            if shaped.startswith(current):
                found.append((shaped, ""))
                break
    return found


def arch_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    names = list(imagetable.ARCHITECTURES)
    # x86_64/aarch64 are accepted too; offer them only to someone who started typing them.
    if current:
        names += [alias for alias in imagetable.ARCH_ALIASES if alias not in names]
    return [(name, "") for name in names if name.startswith(current)]


def distro_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    return [(name, "") for name in imagetable.DISTRO_EXAMPLES if name.startswith(current)]


def component_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    return [(name, "") for name in imagetable.COMPONENTS_BY_NAME if name.startswith(current)]


def namespace_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    names = lookup("namespaces", flags)
    return [(name, "") for name in names if name.startswith(current)]


def release_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    names = lookup("releases", flags)
    return [(name, "") for name in names if name.startswith(current)]


def context_values(current: str, flags: Dict[str, str], lookup: ClusterLookup) -> List[Candidate]:
    names = lookup("contexts", flags)
    return [(name, "") for name in names if name.startswith(current)]


# Flags of `doctor` that take comma-separated check IDs such as MX101,MX301.
CHECK_LIST_DESTS = frozenset({"only", "skip"})

ValueSource = Callable[[str, Dict[str, str], ClusterLookup], List[Candidate]]

VALUE_SOURCES: Dict[str, ValueSource] = {
    "gpu": gpu_values,
    "product": gpu_values,
    "arch": arch_values,
    "distro": distro_values,
    "component": component_values,
    "namespace": namespace_values,
    "release": release_values,
    "context": context_values,
}


def cluster_names(kind: str, flags: Dict[str, str]) -> List[str]:
    """Return kubeconfig context, namespace or Helm release names for the flags, or [].

    Helm releases are read from the labels of Helm's release Secrets
    (``owner=helm``, label ``name``), in the namespace given with -n, else in all.
    Any failure (no kubeconfig, unreachable, forbidden, timed out) gives [].
    """
    # Deferred: importing the Kubernetes client took 0.45 s (python -X importtime,
    # kubernetes 35.0.0, this project's 2-core build machine), too slow for every TAB.
    from kubectl_metax.kube import collecting, connection, transport
    from kubectl_metax.kube.errors import RequestTarget

    try:
        if kind == "contexts":
            return kubeconfig_contexts(flags)
        conn = connection.connect(
            kubeconfig=flags.get("kubeconfig"),
            context=flags.get("context"),
            request_timeout=CLUSTER_TIMEOUT,
        )
        # No pauses between retries: a refused connection should end the wait at once.
        api = transport.Api(conn, sleep=lambda seconds: None)
        if kind == "namespaces":
            path = transport.resource_path("", "v1", "namespaces")
            target = RequestTarget("list", "namespaces")
            selector = ""
        else:
            namespace = flags.get("namespace") or ""
            path = transport.resource_path("", "v1", "secrets", namespace=namespace)
            target = RequestTarget("list", "secrets", namespace=namespace)
            selector = "owner=helm"

        names = set()
        pages = api.list_pages(
            path, target=target, label_selector=selector, accept=collecting.METADATA_ONLY
        )
        for page in pages:
            for item in page:
                metadata = item.get("metadata") or {}
                labels = metadata.get("labels") or {}
                name = metadata.get("name") if kind == "namespaces" else labels.get("name")
                if name:
                    names.add(str(name))
        return sorted(names)
    except errors.MetaxError:
        return []


def kubeconfig_contexts(flags: Dict[str, str]) -> List[str]:
    """Return the context names of the kubeconfig files kubectl would read; no request is sent."""
    from kubectl_metax.kube import connection

    paths = connection.kubeconfig_paths(flags.get("kubeconfig"), os.environ)
    if not paths:
        return []
    contexts = connection.merged_config(paths).value.get("contexts") or []
    # The items are kube_config.ConfigNode objects: they support `in` and [], not .get().
    return sorted({str(item["name"]) for item in contexts if "name" in item})
