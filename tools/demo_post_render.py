"""Show what ``kubectl metax post-render`` changes, with real helm 3 and helm 4.

Renders examples/charts/metax-operator with ``helm template`` twice per
helm version, without and with the post-renderer, and prints the difference
as a unified diff. Helm 4 gets the ``metax`` plugin from helm-plugin/,
installed into temporary HELM_* homes, so the user's helm set-up is not
touched. The helm binaries come from ``make binaries`` (``$KMX_CACHE``,
default .cache/). Arguments after ``--`` go to the post-renderer.

    python tools/demo_post_render.py [--registry R] [-- --gpu MXC500 ...]
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "examples" / "charts" / "metax-operator"
PLUGIN = REPO / "helm-plugin"
RELEASE = "metax-operator-1743500897"
NAMESPACE = "metax-operator"
DEFAULT_REGISTRY = "harbor.example.cn/mximages"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--registry", default=DEFAULT_REGISTRY, help="registry to move MetaX images to"
    )
    parser.add_argument("extra", nargs="*", help="more post-render arguments (after --)")
    args = parser.parse_args(argv)
    post_render_args = [f"--registry={args.registry}", *args.extra]

    cache = Path(os.environ.get("KMX_CACHE", REPO / ".cache")).resolve()
    helm3 = cache / "binaries" / "helm3" / "helm"
    helm4 = cache / "binaries" / "helm4" / "helm"
    for binary in (helm3, helm4):
        if not binary.is_file():
            print(f"{binary} is missing: run `make binaries` first", file=sys.stderr)
            return 1

    with tempfile.TemporaryDirectory(prefix="kmx-demo-") as home:
        env = _environment(Path(home))
        flags3 = ["--post-renderer", "kubectl-metax", "--post-renderer-args", "post-render"]
        flags3 += [
            item for argument in post_render_args for item in ("--post-renderer-args", argument)
        ]
        _show("helm v3.17 (--post-renderer kubectl-metax)", helm3, [], flags3, env)

        _helm(helm4, ["plugin", "install", str(PLUGIN)], env)
        flags4 = ["--post-renderer", "metax"]
        flags4 += [
            item for argument in post_render_args for item in ("--post-renderer-args", argument)
        ]
        # helm 4 re-indents every document that passes a post-renderer, so the baseline is
        # a pass through the plugin that changes nothing (no registry, no hook).
        baseline4 = ["--post-renderer", "metax", "--post-renderer-args", "--hook=never"]
        _show(
            "helm v4.1 (--post-renderer metax, the plugin in helm-plugin/)",
            helm4,
            baseline4,
            flags4,
            env,
        )
    return 0


def _environment(home: Path) -> Dict[str, str]:
    env = dict(os.environ)
    # kubectl-metax must be on PATH for helm: the console script of this virtualenv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HELM_DATA_HOME"] = str(home / "data")
    env["HELM_CONFIG_HOME"] = str(home / "config")
    env["HELM_CACHE_HOME"] = str(home / "cache")
    env.pop("HELM_PLUGINS", None)  # helm 4 installs local plugins under $HELM_DATA_HOME/plugins
    return env


def _helm(binary: Path, arguments: List[str], env: Dict[str, str]) -> str:
    completed = subprocess.run(
        [str(binary), *arguments], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def _show(
    title: str, binary: Path, baseline: List[str], flags: List[str], env: Dict[str, str]
) -> None:
    template = ["template", RELEASE, str(CHART), "-n", NAMESPACE]
    before = _helm(binary, template + baseline, env)
    after = _helm(binary, template + flags, env)

    print(f"=== {title}")
    command = [str(binary), *template, *flags]
    print("=== " + " ".join(command))
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=" ".join(["helm template", *baseline]),
        tofile=" ".join(["helm template", *flags]),
        n=2,
    )
    sys.stdout.writelines(diff)
    print()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
