"""Build an API client from kubectl-style flags, resolving the kubeconfig as kubectl does.

Order: ``--kubeconfig`` (one file, which must exist); else every existing file
listed in ``KUBECONFIG``, merged; else ``~/.kube/config``; else the in-cluster
service account. Merging follows kubectl: for clusters, contexts and users the
first file that defines a name wins, and so does the first file that sets
``current-context``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

import yaml
from kubernetes import client as k8s_client
from kubernetes.config import incluster_config, kube_config
from kubernetes.config.config_exception import ConfigException

from kubectl_metax.errors import InvalidInput
from kubectl_metax.i18n import _
from kubectl_metax.kube import durations

log = logging.getLogger(__name__)

DEFAULT_KUBECONFIG = os.path.join(".kube", "config")  # under $HOME
# Where Kubernetes mounts a Pod's service account token and CA certificate.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass
class Connection:
    """A configured API client and what the user chose to reach it."""

    api_client: Any  # kubernetes.client.ApiClient
    host: str
    context: str  # "" when the in-cluster service account is used
    request_timeout: Optional[float]  # seconds; None waits without limit


def kubeconfig_paths(flag: Optional[str], environ: Mapping[str, str]) -> List[str]:
    """Return the kubeconfig files to merge, first one first; empty means in-cluster.

    Raises InvalidInput when --kubeconfig names a file that does not exist.
    """
    if flag:
        path = os.path.expanduser(flag)
        if not os.path.isfile(path):
            raise InvalidInput(
                _("the kubeconfig file {path} given with --kubeconfig does not exist").format(
                    path=flag
                )
            )
        return [path]

    listed = environ.get("KUBECONFIG", "")
    if listed:
        # kubectl skips listed files that do not exist and keeps the order.
        candidates = [os.path.expanduser(part) for part in listed.split(os.pathsep) if part]
        return [path for path in candidates if os.path.isfile(path)]

    home = environ.get("HOME") or os.path.expanduser("~")
    default = os.path.join(home, DEFAULT_KUBECONFIG)
    return [default] if os.path.isfile(default) else []


def merged_config(paths: List[str]) -> Any:
    """Return the merged kubeconfig (a kube_config.ConfigNode) of paths, first file winning."""
    try:
        merger = kube_config.KubeConfigMerger(os.pathsep.join(paths))
    except (OSError, ValueError, ConfigException, yaml.YAMLError) as error:
        raise InvalidInput(
            _("cannot read the kubeconfig {paths}: {error}").format(
                paths=os.pathsep.join(paths), error=error
            )
        ) from error
    if merger.config is None:
        raise InvalidInput(
            _("the kubeconfig {paths} is empty").format(paths=os.pathsep.join(paths))
        )

    # NOTE: KubeConfigMerger (kubernetes 35.0.0) lets the LAST file's
    # current-context win; kubectl lets the first file that sets one win.
    for path in merger.paths:
        current = (merger.config_files.get(path) or {}).get("current-context")
        if current:
            merger.config.value["current-context"] = current
            break
    return merger.config


def _context_names(config: Any) -> List[str]:
    return [str(item["name"]) for item in config.value.get("contexts", []) if "name" in item]


def connect(
    *,
    kubeconfig: Optional[str],
    context: Optional[str],
    request_timeout: str,
    environ: Optional[Mapping[str, str]] = None,
    service_account_dir: str = SERVICE_ACCOUNT_DIR,
) -> Connection:
    """Return a Connection for the flags; raises InvalidInput for unusable flags or files."""
    env = os.environ if environ is None else environ
    timeout = durations.parse_request_timeout(request_timeout)
    configuration = k8s_client.Configuration()
    # Retries are ours (transport), with Retry-After and a bound; urllib3 must not add its own.
    configuration.retries = 0

    paths = kubeconfig_paths(kubeconfig, env)
    if paths:
        config = merged_config(paths)
        try:
            loader = kube_config.KubeConfigLoader(
                config_dict=config, active_context=context, config_base_path=None
            )
            loader.load_and_set(configuration)
        except ConfigException as error:
            if context and context not in _context_names(config):
                raise InvalidInput(
                    _(
                        "context {context!r} is not in the kubeconfig {paths}; contexts there: "
                        "{names}"
                    ).format(
                        context=context,
                        paths=os.pathsep.join(paths),
                        names=", ".join(_context_names(config)) or "-",
                    )
                ) from error
            raise InvalidInput(
                _("the kubeconfig {paths} cannot be used: {error}").format(
                    paths=os.pathsep.join(paths), error=error
                )
            ) from error
        chosen = context or str(config.value.get("current-context", ""))
    else:
        if context:
            raise InvalidInput(
                _("--context {context} was given but no kubeconfig file was found").format(
                    context=context
                )
            )
        try:
            incluster_config.InClusterConfigLoader(
                token_filename=os.path.join(service_account_dir, "token"),
                cert_filename=os.path.join(service_account_dir, "ca.crt"),
                environ=env,
            ).load_and_set(configuration)
        except ConfigException as error:
            raise InvalidInput(
                _(
                    "no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not "
                    "running inside a cluster: {error}"
                ).format(error=error)
            ) from error
        chosen = ""

    log.debug("using API server %s (context %r, timeout %s)", configuration.host, chosen, timeout)
    return Connection(
        api_client=k8s_client.ApiClient(configuration=configuration),
        host=str(configuration.host),
        context=chosen,
        request_timeout=timeout,
    )
