"""Fixtures for the hook's end-to-end tests: helm v4.1 with the metax plugin and kubesim.

``hook_helm`` is helm v4.1.4 with the plugin from helm-plugin/ installed
into private HELM_* homes, and a second plugin, ``metax-drop``, that runs
the same post-renderer and then drops one RBAC rule from the hook (for the
least-privilege tests). ``cluster`` starts kubesim with the operator,
workloads and jobs actors. The hook's waits are shortened through
KUBESIM_JOB_ENV so that the "operator too slow" case takes seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.kubesim.instance import KubeSim
from tests.post_render.conftest import CHART, PLUGIN, REPO, base_env

RELEASE = "mx"
NAMESPACE = "metax-operator"
HOOK_JOB = f"{RELEASE}-kubectl-metax-cleanup"
HOOK_USER = f"system:serviceaccount:{NAMESPACE}:{HOOK_JOB}"
CHART_HOOK_JOB = "metax-pre-delete"
WEBHOOK_CONFIGURATION = "upgrade-validating-webhook-configuration"
WEBHOOK_CONFIGURATIONS = ("admissionregistration.k8s.io", "validatingwebhookconfigurations")
CLUSTER_OPERATORS = ("gpu.metax-tech.com", "clusteroperators")
# The hook script's waits, shortened: the operator stand-in finalizes after 1 s
# by default, and a "too slow" operator gets a delay far beyond these.
HOOK_WAITS = {"OPERATOR_FINISH_SECONDS": "4", "OBJECT_GONE_SECONDS": "4", "POLL_SECONDS": "1"}
SLOW_OPERATOR_SECONDS = "600"
HELM_TIMEOUT = "150s"


@dataclass
class Helm:
    """helm v4.1.4 with private homes in which the metax plugins are installed."""

    binary: Path
    env: Dict[str, str]

    def run(self, *arguments: str, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *arguments],
            capture_output=True,
            text=True,
            env=dict(self.env, KUBECONFIG=str(kubeconfig)),
            start_new_session=True,
            check=False,
        )


DROP_PLUGIN_YAML = """\
apiVersion: v1
type: postrenderer/v1
name: metax-drop
version: 0.1.0
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: {command}
"""


@pytest.fixture(scope="session")
def hook_helm(helm4_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    home = tmp_path_factory.mktemp("hook-helm")
    env = base_env(
        HELM_DATA_HOME=str(home / "data"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_CACHE_HOME=str(home / "cache"),
        # helm v4.1.4 installs a local plugin under $HELM_DATA_HOME/plugins even when
        # HELM_PLUGINS points elsewhere, and looks plugins up in HELM_PLUGINS.
        HELM_PLUGINS=str(home / "data" / "plugins"),
    )
    helm = Helm(helm4_bin, env)
    command = home / "drop-rule.sh"
    command.write_text(
        f"#!/bin/sh\nPYTHONPATH='{REPO}' exec '{sys.executable}' -m tests.hook.droprule \"$@\"\n",
        encoding="utf-8",
    )
    command.chmod(0o755)
    drop_plugin = home / "drop-plugin"
    drop_plugin.mkdir()
    (drop_plugin / "plugin.yaml").write_text(
        DROP_PLUGIN_YAML.format(command=command), encoding="utf-8"
    )
    for plugin in (PLUGIN, drop_plugin):
        completed = helm.run("plugin", "install", str(plugin), kubeconfig=home / "none")
        assert completed.returncode == 0, completed.stderr
    return helm


@dataclass
class Cluster:
    """A kubesim with the operator, workloads and jobs actors, and helm pointed at it."""

    sim: KubeSim
    helm: Helm
    kubectl: Path

    def helm_run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return self.helm.run(*arguments, kubeconfig=self.sim.kubeconfig)

    def kubectl_run(self, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.kubectl), *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.sim.env(),
            check=False,
        )

    def install(
        self,
        *,
        webhook_create: bool,
        post_renderer: str = "metax",
        post_renderer_args: Optional[List[str]] = None,
    ) -> None:
        flags = ["--post-renderer", post_renderer]
        for argument in post_renderer_args or []:
            flags += ["--post-renderer-args", argument]
        completed = self.helm_run(
            "install",
            RELEASE,
            str(CHART),
            "-n",
            NAMESPACE,
            "--create-namespace",
            "--set",
            f"webhook.create={str(webhook_create).lower()}",
            # The chart creates the ClusterOperator with the webhook, before the
            # operator serves it, so the webhook starts with Ignore (see below).
            "--set",
            "webhook.failurePolicy=Ignore",
            *flags,
            "--wait",
            "--timeout",
            HELM_TIMEOUT,
        )
        assert completed.returncode == 0, completed.stderr
        if webhook_create:
            self.make_webhook_strict()
        # The stand-in adds its finalizer (and, with webhook.create=false, creates
        # its webhook configuration) once the ClusterOperator exists.
        waited = self.kubectl_run(
            "wait",
            "-n",
            NAMESPACE,
            "clusteroperators.gpu.metax-tech.com/cluster-operator",
            "--for=jsonpath={.metadata.finalizers[0]}=gpu.metax-tech.com",
            "--timeout=30s",
        )
        assert waited.returncode == 0, waited.stderr

    def make_webhook_strict(self) -> None:
        """Set the chart's webhook to failurePolicy Fail, which the vendor ships.

        With Fail from the start, the ClusterOperator that helm creates together
        with the webhook is rejected while the operator pod is not ready yet.
        """
        patched = self.kubectl_run(
            "patch",
            "validatingwebhookconfiguration",
            WEBHOOK_CONFIGURATION,
            "--type=json",
            "-p",
            '[{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Fail"}]',
        )
        assert patched.returncode == 0, patched.stderr

    def uninstall(self) -> subprocess.CompletedProcess[str]:
        return self.helm_run(
            "uninstall", RELEASE, "-n", NAMESPACE, "--wait", "--timeout", HELM_TIMEOUT
        )

    def names(self, resource: Any, namespace: str = "") -> List[str]:
        info = self.sim.cluster.resource_named(*resource)
        if info is None:
            return []
        return [item["metadata"]["name"] for item in self.sim.cluster.list(info, namespace)]

    def outputs(self, job: str) -> List[str]:
        """Return the output of each attempt of the Job, in the order they ran."""
        runner = next(c for c in self.sim.cluster.plugins.controllers if c.name == "jobs")
        return [
            text
            for (namespace, pod), text in list(runner.outputs.items())
            if namespace == NAMESPACE and pod.rsplit("-", 1)[0] == job
        ]

    def attempt_order(self) -> List[str]:
        """Return the Job of each attempt the jobs actor ran, in order."""
        runner = next(c for c in self.sim.cluster.plugins.controllers if c.name == "jobs")
        return [pod.rsplit("-", 1)[0] for (_, pod) in list(runner.outputs)]

    def hook_requests(self, verb: str, resource: str) -> List[str]:
        """Return the names the hook's ServiceAccount sent ``verb`` for, with the status codes."""
        return [
            f"{entry.name}:{entry.code}"
            for entry in self.sim.audit
            if entry.user == HOOK_USER and entry.verb == verb and entry.resource == resource
        ]


@pytest.fixture
def cluster(
    kubesim_factory: Any,
    hook_helm: Helm,
    kubectl_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Cluster:
    monkeypatch.setenv("KUBESIM_KUBECTL_DIR", str(kubectl_bin.parent))
    monkeypatch.setenv("KUBESIM_JOB_ENV", json.dumps(HOOK_WAITS))
    sim = kubesim_factory(actors=("operator", "workloads", "jobs"))
    return Cluster(sim=sim, helm=hook_helm, kubectl=kubectl_bin)
