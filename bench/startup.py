"""P2: start-up time of light commands against `kubectl version --client`.

Also checks that none of these commands imports the Kubernetes client,
from the ``-X importtime`` report of each run.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from typing import Dict, List, Optional, Tuple

from bench import measuring, profiling, streams
from bench.context import Context, command_available
from bench.measuring import Command, CommandFailed
from bench.results import Row, Section, not_measured

ROUNDS = 15
QUICK_ROUNDS = 5
TARGET_RATIO = 3.0
KUBECTL = "kubectl version --client"
DRIVER_PACKAGE = "metax-k8s-driver-image.2.24.0.8-x86_64.run"
# Imports listed in the notes when the target is missed.
SLOWEST_IMPORTS = 12

# One line of `python -X importtime`: "import time: <self us> | <cumulative us> | <module>".
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def run(context: Context) -> Section:
    section = Section(name="P2", title="Start-up")
    candidates = _candidates(context)
    anchor = Command(KUBECTL, [str(context.kubectl), "version", "--client"])

    ours: List[Command] = []
    for label, command, missing in candidates:
        if command is None:
            section.rows.append(not_measured(f"P2 start-up: {label}", missing))
            continue
        try:
            measuring.run_once(command)
        except CommandFailed as error:
            section.rows.append(not_measured(f"P2 start-up: {label}", str(error)))
            continue
        ours.append(command)

    rounds = QUICK_ROUNDS if context.quick else ROUNDS
    samples = measuring.measure_rounds([*ours, anchor], rounds=rounds)
    kubectl = samples[KUBECTL]
    for label, sample in samples.items():
        section.details.append(
            f"| {label} | {sample.describe()} | {sample.cpu_median * 1000:.0f} ms | "
            f"{sample.peak_rss_mb:.0f} MiB |"
        )
    slow = set()
    for command in ours:
        sample = samples[command.label]
        ratio = sample.median / kubectl.median
        if ratio > TARGET_RATIO:
            slow.add(command.label)
        section.rows.append(
            Row(
                figure=f"P2 start-up: {command.label}",
                ours=sample.describe(),
                anchor=kubectl.describe(),
                ratio=sample.ratio_to(kubectl),
                target=f"<= {TARGET_RATIO:.1f}",
                met=ratio <= TARGET_RATIO,
            )
        )

    for command in ours:
        modules = imports(command)
        client = sorted(name for name in modules if is_kubernetes(name))
        section.rows.append(
            Row(
                figure=f"P2 imports: {command.label}",
                ours=f"kubernetes imported ({len(client)} modules)" if client else "no kubernetes",
                target="no kubernetes",
                met=not client,
            )
        )
        if command.label in slow:
            section.notes.append(_slowest_imports(command.label, modules))
            section.notes.append(_profile(context, command))
    return section


def _profile(context: Context, command: Command) -> str:
    # argv is [python, zipapp, *args]: the profiler runs the same zipapp itself.
    args = list(command.argv[2:])
    name = "startup-" + "-".join(arg.strip("-") for arg in args[:2])
    profile = profiling.profile_command(context, args, stdin=command.stdin, name=name)
    return profiling.describe(profile, f"cProfile of `{command.label}`")


def _candidates(context: Context) -> List[Tuple[str, Optional[Command], str]]:
    """Return (label, command or None, why it is missing) for each measured command."""
    package = context.workdir / DRIVER_PACKAGE
    package.touch()
    one_document = streams.generate(1).write(context.workdir / "stream-1.yaml")

    candidates: List[Tuple[str, Optional[Command], str]] = []
    label = "kubectl-metax --version"
    candidates.append((label, Command(label, context.metax("--version")), ""))
    if command_available(context, ["images", "parse"]):
        label = "kubectl-metax images parse FILE"
        argv = context.metax("images", "parse", str(package))
        candidates.append((label, Command(label, argv), ""))
    else:
        candidates.append(("images parse", None, "images parse not available"))
    if command_available(context, ["post-render"]):
        label = "kubectl-metax post-render (1 doc)"
        argv = context.metax("post-render", "--registry", "harbor.example.cn/mximages")
        candidates.append((label, Command(label, argv, stdin=one_document), ""))
    else:
        candidates.append(("post-render", None, "post-render not available"))
    return candidates


def imports(command: Command) -> Dict[str, Tuple[int, int]]:
    """Run the command with PYTHONPROFILEIMPORTTIME and return module -> (self, cumulative) us."""
    env = dict(command.env if command.env is not None else os.environ)
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    with contextlib.ExitStack() as files:
        stdin = files.enter_context(open(command.stdin, "rb")) if command.stdin else None
        completed = subprocess.run(
            list(command.argv),
            stdin=stdin or subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
            start_new_session=True,
        )
    imports: Dict[str, Tuple[int, int]] = {}
    for line in completed.stderr.decode("utf-8", "replace").splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            imports[match.group(4)] = (int(match.group(1)), int(match.group(2)))
    return imports


def is_kubernetes(module: str) -> bool:
    return module == "kubernetes" or module.startswith("kubernetes.")


def _slowest_imports(label: str, imports: Dict[str, Tuple[int, int]]) -> str:
    top = sorted(imports.items(), key=lambda item: item[1][1], reverse=True)[:SLOWEST_IMPORTS]
    lines = [f"{cumulative / 1000:8.1f} ms  {name}" for name, (_, cumulative) in top]
    return (
        f"Slowest imports of `{label}` (cumulative, from `-X importtime`):\n\n```\n"
        + "\n".join(lines)
        + "\n```"
    )
