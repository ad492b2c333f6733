"""Time whole processes: wall clock, CPU time and peak RSS of each child.

Every figure in the benchmarks is a ratio between commands measured in the
same run. So the helpers here run several commands in rounds, one run of
each command per round, and noise on the shared machine falls on all of
them alike. Wall time is ``time.perf_counter`` around the child's life; CPU
time and peak RSS come from ``os.wait4``, which returns the resource usage
of that one child (``RUSAGE_CHILDREN`` would mix all children together).

NOTE: Linux counts in a child's peak RSS the copy of the parent it was
forked from, up to its exec, so a peak below the parent's own RSS reads as
the parent's. The figures are upper bounds; the harness process stays small.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

# Lines of a failing child's stderr kept for the report.
STDERR_TAIL_LINES = 5


class CommandFailed(RuntimeError):
    """A measured command exited with a code the caller did not accept."""


@dataclass(frozen=True)
class Command:
    """One command line to measure, with where its input comes from."""

    label: str
    argv: Sequence[str]
    stdin: Optional[Path] = None
    env: Optional[Mapping[str, str]] = None
    accepted_codes: Sequence[int] = (0,)
    timeout: float = 600.0


@dataclass(frozen=True)
class Run:
    """One run of a command."""

    wall: float  # seconds
    cpu: float  # user + system seconds
    max_rss_mb: float  # peak resident set size in MiB
    returncode: int
    stderr_tail: str


@dataclass
class Sample:
    """Every run of one command, summarised by the median."""

    command: Command
    runs: List[Run] = field(default_factory=list)

    @property
    def walls(self) -> List[float]:
        return [run.wall for run in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def minimum(self) -> float:
        return min(self.walls)

    @property
    def maximum(self) -> float:
        return max(self.walls)

    @property
    def cpu_median(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(run.max_rss_mb for run in self.runs)

    def ratio_to(self, anchor: Sample) -> str:
        """Return the wall-time ratio to anchor, with the CPU-time ratio beside it.

        On a loaded machine wall time stretches with the wait for a core, and
        CPU time much less, so the second ratio shows how much is contention.
        """
        wall = self.median / anchor.median
        if anchor.cpu_median <= 0:
            return f"{wall:.2f}"
        return f"{wall:.2f} (CPU {self.cpu_median / anchor.cpu_median:.2f})"

    def describe(self) -> str:
        """Return "median s (min-max, N runs)", the form every table uses."""
        return (
            f"{format_seconds(self.median)} "
            f"({format_seconds(self.minimum)}-{format_seconds(self.maximum)}, n={len(self.runs)})"
        )


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def run_once(
    command: Command,
    *,
    stdout: Optional[Path] = None,
) -> Run:
    """Run the command to completion and measure it.

    The child gets a new session, so nothing it does reaches the terminal
    that runs the benchmark (the post-renderer writes warnings to /dev/tty
    when it has one). Raises CommandFailed on a timeout or an exit code not
    in ``command.accepted_codes``.
    """
    with contextlib.ExitStack() as files:
        stderr_file = files.enter_context(tempfile.TemporaryFile())
        stdin_file = files.enter_context(open(command.stdin, "rb")) if command.stdin else None
        stdout_file = files.enter_context(open(stdout, "wb")) if stdout else None

        started = time.perf_counter()
        process = subprocess.Popen(
            list(command.argv),
            stdin=stdin_file or subprocess.DEVNULL,
            stdout=stdout_file or subprocess.DEVNULL,
            stderr=stderr_file,
            env=dict(command.env) if command.env is not None else None,
            start_new_session=True,
        )
        timed_out = threading.Event()
        timer = threading.Timer(command.timeout, _kill, args=(process, timed_out))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        finally:
            timer.cancel()
        # wait4 reaped the child, so tell Popen not to wait for it again.
        process.returncode = os.waitstatus_to_exitcode(status)

        stderr_file.seek(0)
        lines = stderr_file.read().decode("utf-8", "replace").splitlines()
        tail = "\n".join(lines[-STDERR_TAIL_LINES:])

    if timed_out.is_set():
        raise CommandFailed(f"{command.label}: timed out after {command.timeout:.0f} s")
    if process.returncode not in command.accepted_codes:
        raise CommandFailed(f"{command.label}: exit code {process.returncode}: {tail}")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        returncode=process.returncode,
        stderr_tail=tail,
    )


def _kill(process: subprocess.Popen, timed_out: threading.Event) -> None:  # type: ignore[type-arg]
    timed_out.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def measure_rounds(
    commands: Sequence[Command],
    *,
    rounds: int,
    warmup: bool = True,
) -> Dict[str, Sample]:
    """Run every command once per round, after one unmeasured warm-up round.

    The warm-up fills the page cache and lets shiv extract the zipapp once,
    which a user pays only on the first run after an install.
    """
    samples = {command.label: Sample(command) for command in commands}
    if warmup:
        for command in commands:
            run_once(command)
    for _ in range(rounds):
        for command in commands:
            samples[command.label].runs.append(run_once(command))
    return samples
