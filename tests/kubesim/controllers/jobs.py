"""The "jobs" actor: runs each Job's container command as a local subprocess.

The first container's command and args run as a local subprocess, ``sh -c``
scripts included. The subprocess runs in a fresh temporary directory with a
bounded time. The real kubectl is on PATH (its directory comes from
``KUBESIM_KUBECTL_DIR``), and ``KUBECONFIG`` points at a kubeconfig that
authenticates as the Job's ServiceAccount, so RBAC applies. A Job whose
ServiceAccount does not exist ("default" always does) waits without a Pod,
as the real job controller cannot create one either.

ConfigMap, Secret and emptyDir volumes are written into the temporary
directory and a command, args or env value that starts with a mountPath is
pointed there (the rule and its limit are in ``jobvolumes``). The image is
never pulled or looked at. The developer's own environment is
not passed on: only PATH, HOME, HOSTNAME, KUBECONFIG, the variables of the
JSON object in ``KUBESIM_JOB_ENV`` (a test's knob, such as shorter waits),
the container's env and the downward-API values are set.

Each attempt gets a Pod (owned by the Job, labelled job-name) whose status
records the exit code and whose annotation ``kubesim.io/log`` keeps the
output. backoffLimit (default 6) and activeDeadlineSeconds are honoured, and
the Job gets the status conditions Kubernetes 1.31+ writes: SuccessCriteriaMet
then Complete, or FailureTarget then Failed with reason BackoffLimitExceeded
or DeadlineExceeded (reasons and messages as in pkg/controller/job of
kubernetes/kubernetes). Retries wait RETRY_DELAY_SECONDS instead of the real
exponential back-off, and restartPolicy, parallelism and podFailurePolicy are
ignored: completions run one after another.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

from tests.kubesim.contract import POD_LOG_ANNOTATION, ApiError, Cluster, Object, ResourceInfo
from tests.kubesim.controllers import jobvolumes
from tests.kubesim.controllers.base import (
    ResyncController,
    condition_true,
    delete_quietly,
    now_rfc3339,
    owner_reference,
    parse_rfc3339,
    set_condition,
    update_with_retry,
)
from tests.kubesim.rbac import service_account_user

log = logging.getLogger(__name__)

KUBECTL_DIR_VARIABLE = "KUBESIM_KUBECTL_DIR"
# Extra variables for every Job command, such as shorter waits in tests; the
# container's own env wins over them.
EXTRA_ENV_VARIABLE = "KUBESIM_JOB_ENV"
LOG_ANNOTATION = POD_LOG_ANNOTATION
# Defaults of batch/v1 JobSpec (k8s.io/api batch/v1 types.go).
DEFAULT_BACKOFF_LIMIT = 6
# Upper bound on one attempt, so a runaway script cannot hang a test run.
MAX_ATTEMPT_SECONDS = 120.0
# Pause between attempts; the real controller backs off from 10 s exponentially.
RETRY_DELAY_SECONDS = 0.2
# Output kept in the pod annotation; the rest is cut, as kubelet rotates logs.
MAX_LOG_BYTES = 64 * 1024
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"

# (success, reason, message) of a finished Job, as pkg/controller/job writes them.
Verdict = Tuple[bool, str, str]
COMPLETIONS_REACHED: Verdict = (
    True,
    "CompletionsReached",
    "Reached expected number of succeeded pods",
)
BACKOFF_LIMIT_EXCEEDED: Verdict = (
    False,
    "BackoffLimitExceeded",
    "Job has reached the specified backoff limit",
)
DEADLINE_EXCEEDED: Verdict = (
    False,
    "DeadlineExceeded",
    "Job was active longer than specified deadline",
)


def kubeconfig_text(cluster: Cluster, token: str) -> str:
    """Return a kubeconfig (JSON is valid YAML) for cluster.url and the bearer token.

    NOTE: kubectl v1.35.2 sends no bearer token to an http:// server, so a
    Job's kubectl is anonymous unless kubesim serves TLS.
    """
    cluster_entry: Dict[str, object] = {"server": cluster.url}
    if cluster.ca_pem:
        cluster_entry["certificate-authority-data"] = base64.b64encode(
            cluster.ca_pem.encode()
        ).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubesim", "cluster": cluster_entry}],
        "users": [{"name": "job", "user": {"token": token}}],
        "contexts": [{"name": "kubesim", "context": {"cluster": "kubesim", "user": "job"}}],
        "current-context": "kubesim",
    }
    return json.dumps(config, indent=2)


class JobRunner(ResyncController):
    name = "jobs"

    def __init__(self) -> None:
        super().__init__()
        self._workers: Dict[str, threading.Thread] = {}
        self._processes: Dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        # (namespace, pod name) -> combined output, for tests and kubectl logs emulation.
        self.outputs: Dict[Tuple[str, str], str] = {}

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        return resource.group == "batch" and resource.resource == "jobs"

    def stop(self) -> None:
        super().stop()
        with self._lock:
            processes = list(self._processes.values())
            workers = list(self._workers.values())
        for process in processes:
            kill_group(process)
        for worker in workers:
            worker.join(timeout=10)

    def reconcile(self, cluster: Cluster) -> None:
        jobs = cluster.resource_named("batch", "jobs")
        if jobs is None:
            return
        for job in cluster.list(jobs):
            metadata = job["metadata"]
            uid = metadata.get("uid", "")
            finished = condition_true(job, "Complete") or condition_true(job, "Failed")
            if (
                finished
                or metadata.get("deletionTimestamp")
                or (job.get("spec") or {}).get("suspend")
            ):
                continue
            if not service_account_exists(cluster, job):
                # The real job controller cannot create the Pod either and retries.
                log.debug(
                    "job %s/%s waits for its ServiceAccount",
                    metadata.get("namespace"),
                    metadata.get("name"),
                )
                continue
            with self._lock:
                if uid in self._workers:
                    continue
                worker = threading.Thread(
                    target=self._run_job,
                    args=(cluster, jobs, job),
                    name=f"kubesim-job-{metadata.get('name')}",
                    daemon=True,
                )
                self._workers[uid] = worker
            worker.start()

    # -- one job ------------------------------------------------------------

    def _run_job(self, cluster: Cluster, jobs: ResourceInfo, job: Object) -> None:
        namespace = job["metadata"].get("namespace", "")
        name = job["metadata"]["name"]
        try:
            self._attempts(cluster, jobs, job)
        except ApiError as error:
            log.debug("job %s/%s: stopped on %s %s", namespace, name, error.code, error.message)
        finally:
            with self._lock:
                self._workers.pop(job["metadata"].get("uid", ""), None)

    def _attempts(self, cluster: Cluster, jobs: ResourceInfo, job: Object) -> None:
        namespace = job["metadata"].get("namespace", "")
        name = job["metadata"]["name"]
        spec = job.get("spec") or {}
        backoff_limit = spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)
        completions = spec.get("completions") or 1
        deadline_seconds = spec.get("activeDeadlineSeconds")
        started = update_with_retry(cluster, jobs, namespace, name, _mark_started, status=True)
        # reconcile may have listed the Job before an earlier worker finished it
        # and checked _workers after that worker left, so check the stored Job.
        if (
            started is None
            or started["metadata"].get("uid") != job["metadata"].get("uid")
            or condition_true(started, "Complete")
            or condition_true(started, "Failed")
        ):
            return
        status = started.get("status") or {}
        start_time = parse_rfc3339(status.get("startTime", ""))
        succeeded = int(status.get("succeeded") or 0)
        failed = int(status.get("failed") or 0)

        while not self.stopping:
            # activeDeadlineSeconds counts from the Job's startTime, across attempts.
            remaining: Optional[float] = None
            if deadline_seconds is not None and start_time is not None:
                remaining = float(deadline_seconds) - (time.time() - start_time.timestamp())
                if remaining <= 0:
                    self._finish(cluster, jobs, namespace, name, DEADLINE_EXCEEDED)
                    return

            outcome = self._run_pod(cluster, job, timeout=remaining)
            current = cluster.get(jobs, namespace, name)
            if (
                current is None
                or current["metadata"].get("deletionTimestamp")
                or current["metadata"].get("uid") != job["metadata"].get("uid")
            ):
                return
            if outcome == "succeeded":
                succeeded += 1
            else:
                failed += 1
            self._count(cluster, jobs, namespace, name, succeeded=succeeded, failed=failed)

            if outcome == "deadline":
                self._finish(cluster, jobs, namespace, name, DEADLINE_EXCEEDED)
                return
            if succeeded >= completions:
                self._finish(cluster, jobs, namespace, name, COMPLETIONS_REACHED)
                return
            if failed > backoff_limit:
                self._finish(cluster, jobs, namespace, name, BACKOFF_LIMIT_EXCEEDED)
                return
            time.sleep(RETRY_DELAY_SECONDS)

    def _count(
        self,
        cluster: Cluster,
        jobs: ResourceInfo,
        namespace: str,
        name: str,
        *,
        succeeded: int,
        failed: int,
    ) -> None:
        def write(edited: Object) -> bool:
            status = edited.setdefault("status", {})
            status.update({"succeeded": succeeded, "failed": failed, "active": 0, "ready": 0})
            return True

        update_with_retry(cluster, jobs, namespace, name, write, status=True)

    def _finish(
        self, cluster: Cluster, jobs: ResourceInfo, namespace: str, name: str, verdict: Verdict
    ) -> None:
        """Write SuccessCriteriaMet and Complete, or FailureTarget and Failed."""
        success, reason, message = verdict

        def write(edited: Object) -> bool:
            status = edited.setdefault("status", {})
            status["active"] = 0
            if success:
                set_condition(status, "SuccessCriteriaMet", "True", reason=reason, message=message)
                set_condition(status, "Complete", "True", reason=reason, message=message)
                status["completionTime"] = now_rfc3339()
            else:
                set_condition(status, "FailureTarget", "True", reason=reason, message=message)
                set_condition(status, "Failed", "True", reason=reason, message=message)
            return True

        update_with_retry(cluster, jobs, namespace, name, write, status=True)
        log.debug(
            "job %s/%s finished: %s (%s)",
            namespace,
            name,
            "Complete" if success else "Failed",
            reason,
        )

    # -- one pod ------------------------------------------------------------

    def _run_pod(self, cluster: Cluster, job: Object, *, timeout: Optional[float]) -> str:
        """Create the attempt's Pod, run its command and record the result; return the outcome."""
        pods = cluster.resource_named("", "pods")
        assert pods is not None
        namespace = job["metadata"].get("namespace", "")
        template = (job.get("spec") or {}).get("template") or {}
        pod_spec = template.get("spec") or {}
        account = service_account_name(job)
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update(
            {
                "job-name": job["metadata"]["name"],
                "batch.kubernetes.io/job-name": job["metadata"]["name"],
                "controller-uid": job["metadata"].get("uid", ""),
            }
        )
        pod = cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "generateName": f"{job['metadata']['name']}-",
                    "namespace": namespace,
                    "labels": labels,
                    "ownerReferences": [owner_reference(job)],
                },
                "spec": dict(pod_spec, serviceAccountName=account),
                "status": {"phase": "Running", "startTime": now_rfc3339()},
            }
        )
        pod_name = pod["metadata"]["name"]
        exit_code, output, timed_out = self._execute(cluster, pod, account, timeout=timeout)
        self.outputs[(namespace, pod_name)] = output
        log.debug("job pod %s/%s exited %s", namespace, pod_name, exit_code)

        def keep_log(edited: Object) -> bool:
            edited["metadata"].setdefault("annotations", {})[LOG_ANNOTATION] = output[
                -MAX_LOG_BYTES:
            ]
            return True

        def record(edited: Object) -> bool:
            status = edited.setdefault("status", {})
            status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
            containers = (edited.get("spec") or {}).get("containers") or [{}]
            status["containerStatuses"] = [
                {
                    "name": containers[0].get("name", ""),
                    "image": containers[0].get("image", ""),
                    "ready": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": "Completed" if exit_code == 0 else "Error",
                            "finishedAt": now_rfc3339(),
                        }
                    },
                }
            ]
            return True

        update_with_retry(cluster, pods, namespace, pod_name, keep_log)
        update_with_retry(cluster, pods, namespace, pod_name, record, status=True)
        if timed_out:
            delete_quietly(cluster, pods, namespace, pod_name)
            return "deadline"
        return "succeeded" if exit_code == 0 else "failed"

    def _execute(
        self, cluster: Cluster, pod: Object, account: str, *, timeout: Optional[float]
    ) -> Tuple[int, str, bool]:
        """Run the first container's command; return (exit code, output, deadline reached)."""
        container = ((pod.get("spec") or {}).get("containers") or [{}])[0]
        argv: List[str] = list(container.get("command") or []) + list(container.get("args") or [])
        if not argv:
            return (
                127,
                "kubesim: the container has no command; the image entrypoint cannot be run here\n",
                False,
            )
        namespace = pod["metadata"].get("namespace", "")
        token = cluster.issue_token(service_account_user(namespace, account))
        bound = MAX_ATTEMPT_SECONDS if timeout is None else min(timeout, MAX_ATTEMPT_SECONDS)
        with tempfile.TemporaryDirectory(prefix="kubesim-job-") as workdir:
            kubeconfig = os.path.join(workdir, "kubeconfig")
            with open(kubeconfig, "w", encoding="utf-8") as handle:
                handle.write(kubeconfig_text(cluster, token))
            try:
                mounts = jobvolumes.project(
                    cluster, pod, container, root=os.path.join(workdir, "volumes")
                )
            except (jobvolumes.VolumeError, OSError, ValueError) as error:
                return 1, f"kubesim: cannot mount the pod's volumes: {error}\n", False
            argv = [jobvolumes.mapped(argument, mounts) for argument in argv]
            env = self._environment(
                cluster, pod, container, account, workdir=workdir, kubeconfig=kubeconfig
            )
            for variable in container.get("env") or []:
                if variable.get("name") in env:
                    env[variable["name"]] = jobvolumes.mapped(env[variable["name"]], mounts)
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=workdir,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # A session of its own, so a timeout kills the script's children too.
                    start_new_session=True,
                )
            except OSError as error:
                return 127, f"kubesim: cannot run {argv[0]!r}: {error}\n", False
            key = pod["metadata"].get("uid", pod["metadata"]["name"])
            with self._lock:
                self._processes[key] = process
            try:
                output, _ = process.communicate(timeout=bound)
                return process.returncode, output.decode("utf-8", "replace"), False
            except subprocess.TimeoutExpired:
                kill_group(process)
                output, _ = process.communicate()
                deadline_reached = timeout is not None and timeout <= MAX_ATTEMPT_SECONDS
                return 137, output.decode("utf-8", "replace"), deadline_reached
            finally:
                with self._lock:
                    self._processes.pop(key, None)

    def _environment(
        self,
        cluster: Cluster,
        pod: Object,
        container: Object,
        account: str,
        *,
        workdir: str,
        kubeconfig: str,
    ) -> Dict[str, str]:
        kubectl_dir = os.environ.get(KUBECTL_DIR_VARIABLE, "")
        env = {
            "PATH": f"{kubectl_dir}:{SYSTEM_PATH}" if kubectl_dir else SYSTEM_PATH,
            "HOME": workdir,
            "KUBECONFIG": kubeconfig,
            "HOSTNAME": pod["metadata"]["name"],
        }
        env.update(extra_environment())
        fields = {
            "metadata.name": pod["metadata"]["name"],
            "metadata.namespace": pod["metadata"].get("namespace", ""),
            "metadata.uid": pod["metadata"].get("uid", ""),
            "spec.serviceAccountName": account,
            "spec.nodeName": (pod.get("spec") or {}).get("nodeName", ""),
        }
        for variable in container.get("env") or []:
            source = variable.get("valueFrom") or {}
            if "value" in variable:
                env[variable["name"]] = str(variable["value"])
            elif source.get("fieldRef"):
                env[variable["name"]] = fields.get(source["fieldRef"].get("fieldPath", ""), "")
            else:
                value = self._key_ref(cluster, pod["metadata"].get("namespace", ""), source)
                if value is not None:
                    env[variable["name"]] = value
        return env

    @staticmethod
    def _key_ref(cluster: Cluster, namespace: str, source: Object) -> Optional[str]:
        """Resolve configMapKeyRef and secretKeyRef; None when the key is missing."""
        for field, plural, encoded in (
            ("configMapKeyRef", "configmaps", False),
            ("secretKeyRef", "secrets", True),
        ):
            ref = source.get(field)
            if not ref:
                continue
            resource = cluster.resource_named("", plural)
            stored = cluster.get(resource, namespace, ref.get("name", "")) if resource else None
            value = ((stored or {}).get("data") or {}).get(ref.get("key", ""))
            if value is None:
                return None
            return base64.b64decode(value).decode("utf-8", "replace") if encoded else str(value)
        return None


def extra_environment() -> Dict[str, str]:
    """Return the variables that KUBESIM_JOB_ENV (a JSON object) gives every Job command."""
    raw = os.environ.get(EXTRA_ENV_VARIABLE, "")
    if not raw:
        return {}
    loaded = json.loads(raw)
    if not isinstance(loaded, dict):
        raise ValueError(f"{EXTRA_ENV_VARIABLE} must be a JSON object")
    return {str(key): str(value) for key, value in loaded.items()}


def service_account_name(job: Object) -> str:
    pod_spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    return str(pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount") or "default")


def service_account_exists(cluster: Cluster, job: Object) -> bool:
    """Say whether the Job's ServiceAccount exists; "default" always does, as in every namespace."""
    name = service_account_name(job)
    if name == "default":
        return True
    accounts = cluster.resource_named("", "serviceaccounts")
    namespace = job["metadata"].get("namespace", "")
    return accounts is not None and cluster.get(accounts, namespace, name) is not None


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a command started with start_new_session and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _mark_started(edited: Object) -> bool:
    status = edited.setdefault("status", {})
    if status.get("startTime"):
        return False
    status.update({"startTime": now_rfc3339(), "active": 1, "ready": 0})
    return True
