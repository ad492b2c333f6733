"""P3: doctor and unstick --dry-run on a kubesim cluster of 2,000 nodes and 50,000 pods.

kubesim runs out of process with an audit file, so every API request of
each run can be counted. The anchor is ``kubectl get pods -A -o json``
against the same server: one paginated read of the largest kind, which any
diagnosis of the cluster has to do too. When kubesim serves the full state
too slowly for the run to finish in time, the figures are measured on a
tenth of it instead, and the table shows both.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from bench import apirequests, clusterstate, measuring, profiling, startup
from bench.context import REPO, Context, command_available
from bench.kubesimserver import Server
from bench.measuring import Command, CommandFailed, Run, Sample
from bench.results import Row, Section, not_measured

ROUNDS = 3
QUICK_ROUNDS = 1
FULL_SCALE = clusterstate.Scale()
REDUCED_SCALE = clusterstate.Scale(nodes=200, pods=5_000, namespaces=50)
QUICK_SCALE = clusterstate.Scale(nodes=100, pods=2_000, namespaces=50)
# kubectl's default --chunk-size, and the page size of the probe request.
PAGE_SIZE = 500
# The maximum estimated time of one full pod listing (from one page) at
# which the full scale is measured in all its rounds, and in one round.
# Each round lists every pod about three times, and make bench should stay
# within about 15 minutes.
LISTING_BUDGET = 40.0
ONE_ROUND_LISTING_BUDGET = 150.0
WALL_TARGET = 1.5
RSS_TARGET_MB = 300
RUN_TIMEOUT = 600.0
KUBECTL = "kubectl get pods -A -o json"
FIGURES = ("kubectl-metax doctor", "kubectl-metax unstick --dry-run")


def run(context: Context) -> Section:
    section = Section(name="P3", title="Cluster scale")
    missing = _missing(context)
    if missing:
        for figure in FIGURES:
            section.rows.append(not_measured(f"P3 {figure}", missing))
        return section

    if context.quick:
        _measure_at(context, QUICK_SCALE, section, probe=False)
    elif not _measure_at(context, FULL_SCALE, section, probe=True):
        _measure_at(context, REDUCED_SCALE, section, probe=False)
    return section


def _measure_at(
    context: Context,
    scale: clusterstate.Scale,
    section: Section,
    *,
    probe: bool,
) -> bool:
    """Measure at scale. Return False, having measured nothing, if kubesim is too slow.

    With probe, one page of pods is timed first: the estimated full listing
    decides between all rounds, one round, or nothing at this scale.
    """
    tag = f"{scale.pods:,} pods"
    folder = context.workdir / f"p3-{scale.pods}"
    folder.mkdir()
    state = clusterstate.write(folder / "cluster-state.yaml", scale)
    section.notes.append(
        f"State at {tag}: {scale.nodes:,} nodes, {scale.pods:,} pods, "
        f"{scale.namespaces:,} namespaces, {sum(state.counts.values()):,} objects in all "
        f"({state.path.stat().st_size / 1e6:.0f} MB of YAML)."
    )

    server = Server(context, state.path, folder)
    try:
        try:
            server.start()
        except CommandFailed as error:
            if not probe:
                raise
            for figure in FIGURES:
                section.rows.append(not_measured(f"P3 [{tag}] {figure}", str(error)))
            return False
        section.notes.append(f"kubesim loaded the state at {tag} in {server.load_seconds:.0f} s.")
        rounds = QUICK_ROUNDS if context.quick else ROUNDS
        if probe:
            page = min(server.time_request(f"/api/v1/pods?limit={PAGE_SIZE}") for _ in range(2))
            listing = page * math.ceil(scale.pods / PAGE_SIZE)
            estimate = (
                f"kubesim took {page:.2f} s per {PAGE_SIZE}-pod page, so one full pod "
                f"listing would take about {listing:.0f} s"
            )
            if listing > ONE_ROUND_LISTING_BUDGET:
                reason = f"{estimate} (limit {ONE_ROUND_LISTING_BUDGET:.0f} s)"
                for figure in FIGURES:
                    section.rows.append(not_measured(f"P3 [{tag}] {figure}", reason))
                section.notes.append(
                    f"Not measured at {tag}: {reason}. The figures below are measured at "
                    f"{REDUCED_SCALE.pods:,} pods instead."
                )
                return False
            if listing > LISTING_BUDGET:
                rounds = 1
                section.notes.append(
                    f"At {tag}, {estimate}, over the {LISTING_BUDGET:.0f} s that "
                    "three rounds fit in, so this scale is measured in one round."
                )
        _measure(context, server, state, section, tag=tag, rounds=rounds)
    finally:
        server.stop()
    return True


def _missing(context: Context) -> str:
    missing = [name for name in ("doctor", "unstick") if not command_available(context, [name])]
    if missing:
        return f"{', '.join(missing)} not available"
    completed = subprocess.run(
        [context.python, "-m", "tests.kubesim", "serve", "--help"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        return "kubesim serve not available"
    return ""


def _measure(
    context: Context,
    server: Server,
    state: clusterstate.State,
    section: Section,
    *,
    tag: str,
    rounds: int,
) -> None:
    home = context.workdir / "home"
    home.mkdir(exist_ok=True)
    # A HOME of its own keeps kubectl's discovery cache out of the user's.
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env["HOME"] = str(home)
    kubeconfig = str(server.kubeconfig)
    commands = [
        Command(
            "kubectl-metax doctor",
            context.metax("doctor", "--kubeconfig", kubeconfig),
            env=env,
            accepted_codes=(0, 1),
            timeout=RUN_TIMEOUT,
        ),
        Command(
            "kubectl-metax unstick --dry-run",
            context.metax("unstick", "--dry-run", "--kubeconfig", kubeconfig),
            env=env,
            accepted_codes=(0, 1, 2),
            timeout=RUN_TIMEOUT,
        ),
        Command(
            KUBECTL,
            [context.kubectl.as_posix(), "get", "pods", "-A", "-o", "json"],
            env=dict(env, KUBECONFIG=kubeconfig),
            timeout=RUN_TIMEOUT,
        ),
    ]

    # Cheap unmeasured runs let shiv extract the zipapp and kubectl fill its
    # discovery cache, as both would have done on an operator's machine.
    warmups = [
        Command("warm-up", context.metax("--version")),
        Command(
            "warm-up",
            [context.kubectl.as_posix(), "get", "namespaces", "-o", "name"],
            env=dict(env, KUBECONFIG=kubeconfig),
        ),
    ]
    for command in warmups:
        measuring.run_once(command)
    samples = {command.label: Sample(command) for command in commands}
    requests: Dict[str, List[apirequests.Requests]] = defaultdict(list)
    for _ in range(rounds):
        for command in commands:
            run, entries = _audited_run(server, command)
            samples[command.label].runs.append(run)
            requests[command.label].append(apirequests.count(entries))

    anchor = samples[KUBECTL]
    for label, sample in samples.items():
        counted = requests[label][-1]
        codes = sorted({run.returncode for run in sample.runs})
        section.details.append(
            f"| [{tag}] {label} (exit {', '.join(map(str, codes))}) | {sample.describe()} | "
            f"{sample.cpu_median:.2f} s | {sample.peak_rss_mb:.0f} MiB | "
            f"{counted.total} ({counted.other_requests} without a resource) |"
        )
    for command in commands[:2]:
        section.rows.extend(
            _rows(
                f"[{tag}] {command.label}",
                samples[command.label],
                anchor,
                requests[command.label],
                state,
            )
        )
        last = samples[command.label].runs[-1]
        if last.returncode != 0 and last.stderr_tail:
            section.notes.append(
                f"`{command.label}` exited {last.returncode}; the end of its stderr:\n\n"
                f"```\n{last.stderr_tail}\n```"
            )
        counted = requests[command.label][-1]
        section.notes.append(apirequests.breakdown(command.label, counted, state.counts))

    section.notes.append(_client_import_cost(commands[0]))
    if section.missed:
        profile = profiling.profile_command(
            context, ["doctor", "--kubeconfig", kubeconfig], name=f"doctor-{state.counts['pods']}"
        )
        title = f"cProfile of `doctor` at {tag} (waits for the server count as socket calls)"
        section.notes.append(profiling.describe(profile, title))


def _client_import_cost(command: Command) -> str:
    """Describe how long the command spends importing the Kubernetes client."""
    modules = startup.imports(command)
    client = [own for name, (own, _) in modules.items() if startup.is_kubernetes(name)]
    return (
        f"`{command.label}` spends {sum(client) / 1000:.0f} ms importing {len(client)} modules "
        "of the Kubernetes client (the sum of their own times in one `-X importtime` run, "
        "without their dependencies)."
    )


def _audited_run(server: Server, command: Command) -> Tuple[Run, List[Dict[str, object]]]:
    offset = server.audit_size()
    run = measuring.run_once(command)
    return run, server.audit_since(offset)


def _rows(
    label: str,
    sample: Sample,
    anchor: Sample,
    counted: Sequence[apirequests.Requests],
    state: clusterstate.State,
) -> List[Row]:
    last = counted[-1]
    bound = apirequests.request_bound(last, state.counts)
    wall_ratio = sample.median / anchor.median
    return [
        Row(
            figure=f"P3 {label}: API requests",
            ours=f"{last.resource_requests} (+{last.other_requests} discovery)",
            anchor=f"kinds + pages = {bound}",
            ratio=f"{last.resource_requests / bound:.2f}",
            target="<= kinds + pages",
            met=last.resource_requests <= bound,
        ),
        Row(
            figure=f"P3 {label}: wall",
            ours=sample.describe(),
            anchor=f"{anchor.describe()} ({KUBECTL})",
            ratio=sample.ratio_to(anchor),
            target=f"<= {WALL_TARGET:.1f}",
            met=wall_ratio <= WALL_TARGET,
        ),
        Row(
            figure=f"P3 {label}: peak RSS",
            ours=f"{sample.peak_rss_mb:.0f} MiB",
            target=f"< {RSS_TARGET_MB} MiB",
            met=sample.peak_rss_mb < RSS_TARGET_MB,
        ),
    ]
