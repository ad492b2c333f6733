"""KubeSim: one running emulator (cluster, HTTP(S) server, controllers, kubeconfig)."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import yaml

from tests.kubesim import certs as certs_module
from tests.kubesim import state
from tests.kubesim.audit import AuditEntry
from tests.kubesim.cluster import ADMIN, SimCluster
from tests.kubesim.contract import PluginSet, ResourceInfo, UserInfo
from tests.kubesim.faults import FaultInjector
from tests.kubesim.server import ApiServer

Object = Dict[str, Any]
LOG = logging.getLogger(__name__)

# The namespaces every cluster starts with.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeSim:
    """Start with ``start()``; every attribute named in the fixtures API is here."""

    def __init__(
        self,
        *,
        tls: bool = True,
        plugins: Optional[PluginSet] = None,
        state_source: Optional[Union[str, Path]] = None,
        audit_path: Optional[Union[str, Path]] = None,
        port: int = 0,
        kubeconfig: Optional[Path] = None,
        home: Optional[Path] = None,
    ) -> None:
        self.cluster = SimCluster(plugins, audit_path=str(audit_path) if audit_path else None)
        self._certs = certs_module.generate() if tls else None
        self._server = ApiServer(self.cluster, certs=self._certs, port=port)
        self.url = self.cluster.url
        self.kubeconfig = kubeconfig or Path("kubeconfig")
        self.home = home
        self._state_source = state_source
        self._started = False

    # ----- lifecycle ---------------------------------------------------------

    def start(self) -> KubeSim:
        for name in SYSTEM_NAMESPACES:
            self.cluster.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            )
        if self._state_source is not None:
            self.load(self._state_source)
        self.write_kubeconfig(self.kubeconfig, ADMIN, token=self.cluster.admin_token)
        self._server.start()
        for controller in self.cluster.plugins.controllers:
            LOG.info("starting controller %s", getattr(controller, "name", controller))
            controller.start(self.cluster)
        self._started = True
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        for controller in reversed(self.cluster.plugins.controllers):
            try:
                controller.stop()
            except Exception:
                LOG.exception(
                    "controller %s failed to stop", getattr(controller, "name", controller)
                )
        self._server.stop()
        self.cluster.close()

    # ----- the fixtures API ----------------------------------------------------

    @property
    def audit(self) -> List[AuditEntry]:
        return self.cluster.audit.entries()

    @property
    def faults(self) -> FaultInjector:
        return self.cluster.faults

    @property
    def ca_pem(self) -> str:
        return self.cluster.ca_pem

    def load(self, yaml_text: Union[str, Path]) -> List[Object]:
        return state.load(self.cluster, yaml_text)

    def dump(self) -> str:
        return state.dump(self.cluster)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Optional[Object]:
        resource: Optional[ResourceInfo] = self.cluster.resource_for(api_version, kind)
        if resource is None:
            return None
        return self.cluster.get(resource, namespace, name)

    def token_for(self, user: UserInfo) -> str:
        return self.cluster.issue_token(user)

    def write_kubeconfig(
        self, path: Union[str, Path], user: UserInfo, *, token: Optional[str] = None
    ) -> Path:
        """Write a kubeconfig that authenticates as user (a new token unless one is given)."""
        path = Path(path)
        token = token or self.token_for(user)
        cluster: Object = {"server": self.cluster.url}
        if self.cluster.ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(
                self.cluster.ca_pem.encode("ascii")
            ).decode("ascii")
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubesim", "cluster": cluster}],
            "users": [{"name": user.username, "user": {"token": token}}],
            "contexts": [
                {
                    "name": "kubesim",
                    "context": {
                        "cluster": "kubesim",
                        "user": user.username,
                        "namespace": "default",
                    },
                }
            ],
            "current-context": "kubesim",
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        path.chmod(0o600)
        return path

    def env(self) -> Dict[str, str]:
        import os

        environment = dict(os.environ)
        environment["KUBECONFIG"] = str(self.kubeconfig)
        if self.home is not None:
            self.home.mkdir(parents=True, exist_ok=True)
            environment["HOME"] = str(self.home)
            environment["XDG_CACHE_HOME"] = str(self.home / ".cache")
            environment["XDG_CONFIG_HOME"] = str(self.home / ".config")
            environment["XDG_DATA_HOME"] = str(self.home / ".local" / "share")
            environment["HELM_CACHE_HOME"] = str(self.home / ".cache" / "helm")
            environment["HELM_CONFIG_HOME"] = str(self.home / ".config" / "helm")
            environment["HELM_DATA_HOME"] = str(self.home / ".local" / "share" / "helm")
        environment.pop("KUBERNETES_SERVICE_HOST", None)
        return environment


def build(
    *,
    tls: bool = True,
    actors: Sequence[str] = (),
    state_source: Optional[Union[str, Path]] = None,
    audit_path: Optional[Union[str, Path]] = None,
    port: int = 0,
    kubeconfig: Optional[Path] = None,
    home: Optional[Path] = None,
) -> KubeSim:
    """Build (not start) a KubeSim with the semantics plug-ins and the named actors."""
    from tests.kubesim.semantics import build_plugins

    return KubeSim(
        tls=tls,
        plugins=build_plugins(tuple(actors)),
        state_source=state_source,
        audit_path=audit_path,
        port=port,
        kubeconfig=kubeconfig,
        home=home,
    )
