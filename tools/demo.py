"""The main job on a built-in default: a stuck MetaX GPU Operator uninstall, cleaned up.

The demo runs everything for real except the API server, which is the
test suite's emulator (tests/kubesim) on 127.0.0.1:

1. start the emulator with the MetaX operator stand-in and a workloads
   controller, and install the example chart with the real helm v3.17;
2. uninstall it the way that hangs in the field: helm removes the
   operator together with its ClusterOperator, so no controller is left to remove the
   finalizer and the operator's validating webhook is left without a
   service (the vendor's FAQ describes exactly this);
3. run `kubectl metax doctor`, then `kubectl metax unstick` (the plan,
   then the cleanup with `--yes --helm-uninstall`), then doctor again,
   all through kubectl's own plugin mechanism with the built zipapp.

Usage: python tools/demo.py --zipapp dist/kubectl-metax [--cache .cache]
"""

from __future__ import annotations

import argparse
import os
import select
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP))

from kubectl_metax import i18n  # noqa: E402
from kubectl_metax.i18n import _  # noqa: E402

CHART = TOP / "examples" / "charts" / "metax-operator"
RELEASE = "metax-operator"
NAMESPACE = "metax-operator"
# The emulator responds in milliseconds; these bounds only stop a demo that went wrong.
READY_TIMEOUT_SECONDS = 30
OPERATOR_SETTLE_SECONDS = 30
HANGING_UNINSTALL_TIMEOUT = "10s"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def run(command: List[str], env: Dict[str, str], *, show: Optional[str] = None) -> int:
    """Echo a command as the user would type it, run it, and return its exit code."""
    print(f"$ {show or shlex.join(command)}", flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def capture(command: List[str], env: Dict[str, str]) -> str:
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False).stdout


def start_emulator(workdir: Path, cache: Path) -> Tuple[subprocess.Popen[str], Path]:
    """Serve the emulator with the operator stand-in, workloads and a job runner that
    runs Helm hook Jobs with the real kubectl."""
    kubeconfig = workdir / "kubeconfig"
    env = dict(os.environ, KUBESIM_KUBECTL_DIR=str(cache / "binaries" / "kubectl"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kubesim",
            "serve",
            "--kubeconfig",
            str(kubeconfig),
            "--actors",
            "operator,workloads,jobs",
        ],
        cwd=TOP,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    readable, _unused, _unused = select.select([server.stdout], [], [], READY_TIMEOUT_SECONDS)
    line = server.stdout.readline() if readable else ""
    if not line.startswith("ready "):
        server.terminate()
        raise SystemExit(_("the emulated cluster did not start: {line}").format(line=line.strip()))
    print(_("emulated cluster serving at {url}").format(url=line.split()[1]), flush=True)
    return server, kubeconfig


def plugin_path(workdir: Path, zipapp: Path, cache: Path) -> str:
    """A PATH with kubectl, helm and kubectl-metax, as an operator's host has them."""
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl-metax").symlink_to(zipapp.resolve())
    (bin_dir / "kubectl").symlink_to(cache / "binaries" / "kubectl" / "kubectl")
    (bin_dir / "helm").symlink_to(cache / "binaries" / "helm3" / "helm")
    return os.pathsep.join([str(bin_dir), os.environ.get("PATH", "/usr/bin:/bin")])


def wait_for_finalizer(env: Dict[str, str]) -> bool:
    deadline = time.monotonic() + OPERATOR_SETTLE_SECONDS
    while time.monotonic() < deadline:
        finalizers = capture(
            [
                "kubectl",
                "get",
                "clusteroperators.gpu.metax-tech.com",
                "cluster-operator",
                "-n",
                NAMESPACE,
                "-o",
                "jsonpath={.metadata.finalizers}",
            ],
            env,
        )
        if "gpu.metax-tech.com" in finalizers:
            return True
        time.sleep(0.5)
    return False


def demo(zipapp: Path, cache: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="kubectl-metax-demo-") as scratch:
        workdir = Path(scratch)
        env = dict(os.environ, PATH=plugin_path(workdir, zipapp, cache), HOME=str(workdir))
        server, kubeconfig = start_emulator(workdir, cache)
        env["KUBECONFIG"] = str(kubeconfig)
        try:
            return scenario(env, workdir)
        finally:
            server.terminate()
            server.wait(timeout=30)


def scenario(env: Dict[str, str], workdir: Path) -> int:
    banner(_("1. Install the MetaX GPU Operator example chart with helm"))
    if (
        run(
            [
                "helm",
                "install",
                RELEASE,
                str(CHART.relative_to(TOP)),
                "-n",
                NAMESPACE,
                "--create-namespace",
                "--set",
                "webhook.create=false",
                "--set",
                "preDelete.enabled=false",
                "--wait",
                "--timeout",
                "60s",
            ],
            env,
        )
        != 0
    ):
        return 1
    if not wait_for_finalizer(env):
        print(_("the operator did not add its finalizer in time"), file=sys.stderr)
        return 1
    run(["kubectl", "get", "validatingwebhookconfigurations"], env)

    banner(_("2. Uninstall it the way that hangs: the operator goes before it can finalize"))
    run(
        [
            "helm",
            "uninstall",
            RELEASE,
            "-n",
            NAMESPACE,
            "--wait",
            "--timeout",
            HANGING_UNINSTALL_TIMEOUT,
        ],
        env,
    )
    run(
        [
            "kubectl",
            "get",
            "clusteroperators.gpu.metax-tech.com",
            "-n",
            NAMESPACE,
            "-o",
            "custom-columns=NAME:.metadata.name,DELETING:.metadata.deletionTimestamp,"
            "FINALIZERS:.metadata.finalizers",
        ],
        env,
    )

    banner(_("3. Diagnose"))
    run(["kubectl", "metax", "doctor"], env)

    banner(_("4. Show the cleanup plan without changing anything"))
    run(["kubectl", "metax", "unstick", "--dry-run"], env)

    banner(_("5. Clean up, verify, and finish the Helm uninstall"))
    code = run(
        ["kubectl", "metax", "unstick", "--yes", "--helm-uninstall", "--backup-dir", str(workdir)],
        env,
    )

    banner(_("6. Diagnose again"))
    doctor = run(["kubectl", "metax", "doctor"], env)
    print()
    if code == 0:
        print(_("Demo finished: the stuck uninstall was cleaned up and verified."))
    else:
        print(_("Demo finished, but unstick exited with code {code}.").format(code=code))
    return code or doctor


def main() -> None:
    i18n.setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zipapp", type=Path, default=TOP / "dist" / "kubectl-metax")
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("KMX_CACHE", TOP / ".cache"))
    )
    args = parser.parse_args()
    sys.exit(demo(args.zipapp.resolve(), args.cache.resolve()))


if __name__ == "__main__":
    main()
