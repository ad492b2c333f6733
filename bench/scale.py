"""P3: doctor and unstick --dry-run on a kubesim cluster of 2,000 nodes and 50,000 pods.

kubesim runs out of process (``python -m tests.kubesim serve``) with an audit
file, so every API request of each run can be counted. The anchor is
``kubectl get pods -A -o json`` against the same server: one paginated read
of the largest kind, which any diagnosis of the cluster has to do too.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

from bench import clusterstate, measuring, profiling, startup
from bench.context import REPO, Context, command_available
from bench.measuring import Command, CommandFailed, Run, Sample
from bench.results import Row, Section, not_measured

ROUNDS = 3
QUICK_ROUNDS = 1
QUICK_SCALE = clusterstate.Scale(nodes=100, pods=2_000, namespaces=50)
WALL_TARGET = 1.5
RSS_TARGET_MB = 300
# kubesim parses the full state (about 45 MB of YAML) before it serves, which takes minutes.
READY_TIMEOUT = 900.0
RUN_TIMEOUT = 600.0
STOP_TIMEOUT = 30.0
KUBECTL = "kubectl get pods -A -o json"


@dataclass(frozen=True)
class Requests:
    """API requests of one run, as kubesim's audit file recorded them."""

    resource_requests: int
    other_requests: int  # discovery, /version, /openapi: paths without a resource
    by_resource: Dict[str, int]
    smallest_limit: Dict[str, int]  # resource -> smallest `limit` seen on its lists, 0 if none

    @property
    def total(self) -> int:
        return self.resource_requests + self.other_requests


def run(context: Context) -> Section:
    section = Section(name="P3", title="Cluster scale")
    missing = _missing(context)
    if missing:
        for figure in ("doctor", "unstick --dry-run"):
            section.rows.append(not_measured(f"P3 {figure}", missing))
        return section

    scale = QUICK_SCALE if context.quick else clusterstate.Scale()
    state = clusterstate.write(context.workdir / "cluster-state.yaml", scale)
    section.notes.append(
        f"State: {scale.nodes:,} nodes, {scale.pods:,} pods, {scale.namespaces:,} namespaces, "
        f"{sum(state.counts.values()):,} objects in all "
        f"({state.path.stat().st_size / 1e6:.0f} MB of YAML)."
    )
    server = _Server(context, state.path)
    try:
        server.start()
        section.notes.append(f"kubesim loaded the state in {server.load_seconds:.0f} s.")
        _measure(context, server, state, section)
    finally:
        server.stop()
    return section


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


class _Server:
    """kubesim serving the state out of process on 127.0.0.1, with an audit file."""

    def __init__(self, context: Context, state: Path) -> None:
        self.context = context
        self.state = state
        self.kubeconfig = context.workdir / "kubeconfig"
        self.audit = context.workdir / "audit.jsonl"
        self.stdout = context.workdir / "kubesim.out"
        self.stderr = context.workdir / "kubesim.err"
        self.process: Optional[subprocess.Popen] = None  # type: ignore[type-arg]
        self.load_seconds = 0.0

    def start(self) -> None:
        argv = [self.context.python, "-m", "tests.kubesim", "serve", "--state", str(self.state)]
        argv += ["--kubeconfig", str(self.kubeconfig), "--audit", str(self.audit), "--tls"]
        started = time.perf_counter()
        with open(self.stdout, "wb") as stdout, open(self.stderr, "wb") as stderr:
            self.process = subprocess.Popen(
                argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
            )
        deadline = started + READY_TIMEOUT
        while time.perf_counter() < deadline:
            if self.stdout.read_text(encoding="utf-8", errors="replace").startswith("ready "):
                self.load_seconds = time.perf_counter() - started
                return
            if self.process.poll() is not None:
                tail = self.stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise CommandFailed(f"kubesim exited with {self.process.returncode}: {tail}")
            time.sleep(0.2)
        raise CommandFailed(f"kubesim was not ready within {READY_TIMEOUT:.0f} s")

    def audit_size(self) -> int:
        return self.audit.stat().st_size if self.audit.exists() else 0

    def audit_since(self, offset: int) -> List[Dict[str, object]]:
        if not self.audit.exists():
            return []
        with open(self.audit, "rb") as audit:
            audit.seek(offset)
            return [json.loads(line) for line in audit.read().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _measure(
    context: Context, server: _Server, state: clusterstate.State, section: Section
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

    # One unmeasured round warms the page cache, shiv's extraction and kubectl's discovery cache.
    for command in commands:
        _audited_run(server, command)
    samples = {command.label: Sample(command) for command in commands}
    requests: Dict[str, List[Requests]] = defaultdict(list)
    for _ in range(QUICK_ROUNDS if context.quick else ROUNDS):
        for command in commands:
            run, entries = _audited_run(server, command)
            samples[command.label].runs.append(run)
            requests[command.label].append(_count(entries))

    anchor = samples[KUBECTL]
    for label, sample in samples.items():
        counted = requests[label][-1]
        codes = sorted({run.returncode for run in sample.runs})
        section.details.append(
            f"| {label} (exit {', '.join(map(str, codes))}) | {sample.describe()} | "
            f"{sample.cpu_median:.2f} s | {sample.peak_rss_mb:.0f} MiB | "
            f"{counted.total} ({counted.other_requests} without a resource) |"
        )
    for command in commands[:2]:
        section.rows.extend(
            _rows(command.label, samples[command.label], anchor, requests[command.label], state)
        )
        last = samples[command.label].runs[-1]
        if last.returncode != 0 and last.stderr_tail:
            section.notes.append(
                f"`{command.label}` exited {last.returncode}; the end of its stderr:\n\n"
                f"```\n{last.stderr_tail}\n```"
            )
        section.notes.append(_request_breakdown(command.label, requests[command.label][-1], state))

    section.notes.append(_client_import_cost(commands[0]))
    if section.missed:
        profile = profiling.profile_command(
            context, ["doctor", "--kubeconfig", kubeconfig], name="doctor-scale"
        )
        section.notes.append(
            "cProfile of `doctor` on this state (top functions by cumulative time; waits "
            f"for the server count as time in the socket calls):\n\n```\n{profile}\n```"
        )


def _client_import_cost(command: Command) -> str:
    """Describe how long the command spends importing the Kubernetes client."""
    modules = startup.imports(command)
    client = [own for name, (own, _) in modules.items() if startup.is_kubernetes(name)]
    return (
        f"`{command.label}` spends {sum(client) / 1000:.0f} ms importing {len(client)} modules "
        "of the Kubernetes client (the sum of their own times in one `-X importtime` run, "
        "without their dependencies)."
    )


def _audited_run(server: _Server, command: Command) -> Tuple[Run, List[Dict[str, object]]]:
    offset = server.audit_size()
    run = measuring.run_once(command)
    # kubesim appends each entry before it responds, so this run's entries are all in the file.
    return run, server.audit_since(offset)


def _count(entries: Sequence[Dict[str, object]]) -> Requests:
    by_resource: Counter[str] = Counter()
    smallest_limit: Dict[str, int] = {}
    other = 0
    for entry in entries:
        resource = str(entry.get("resource") or "")
        if not resource:
            other += 1
            continue
        by_resource[resource] += 1
        query = parse_qs(urlsplit(str(entry.get("path", ""))).query)
        if entry.get("verb") == "list":
            limit = int(query.get("limit", ["0"])[0] or 0)
            known = smallest_limit.get(resource)
            smallest_limit[resource] = limit if known is None else min(known, limit)
    return Requests(
        resource_requests=sum(by_resource.values()),
        other_requests=other,
        by_resource=dict(by_resource),
        smallest_limit=smallest_limit,
    )


def request_bound(counted: Requests, counts: Dict[str, int]) -> int:
    """Return the most resource requests a run may make: kinds plus pages.

    Each resource the run read may take the pages a full list needs at the
    page size the run asked for, plus one more request (a get, or a last
    empty page). A run that reads objects one by one, or lists namespace by
    namespace, exceeds it.
    """
    bound = 0
    for resource in counted.by_resource:
        objects = max(counts.get(resource, 0), 1)
        limit = counted.smallest_limit.get(resource, 0)
        pages = math.ceil(objects / limit) if limit else 1
        bound += pages + 1
    return bound


def _rows(
    label: str,
    sample: Sample,
    anchor: Sample,
    counted: Sequence[Requests],
    state: clusterstate.State,
) -> List[Row]:
    last = counted[-1]
    bound = request_bound(last, state.counts)
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
            ratio=f"{wall_ratio:.2f}",
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


def _request_breakdown(label: str, counted: Requests, state: clusterstate.State) -> str:
    lines = [f"API requests of `{label}` by resource (objects in the state, smallest page size):"]
    lines.append("")
    for resource, requests in sorted(counted.by_resource.items()):
        limit = counted.smallest_limit.get(resource)
        if limit is None:
            page = "no list"
        elif limit == 0:
            page = "no limit"
        else:
            page = f"limit {limit}"
        lines.append(
            f"- {resource}: {requests} ({state.counts.get(resource, 0):,} objects, {page})"
        )
    lines.append(f"- without a resource (discovery, version, OpenAPI): {counted.other_requests}")
    return "\n".join(lines)
