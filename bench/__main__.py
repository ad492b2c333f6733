"""Run the benchmarks: ``python -m bench`` (``make bench`` builds the zipapp first).

Prints the results table, writes bench/RESULTS.md and bench/p1.png. The exit
code is 0 when the run completed, whether or not every target was met: the
table is the result.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from bench import reporting, scale, startup, throughput
from bench.context import REPO, Context
from bench.measuring import CommandFailed
from bench.results import Section, not_measured

log = logging.getLogger("bench")

FIGURES: Dict[str, Callable[[Context], Section]] = {
    "P1": throughput.run,
    "P2": startup.run,
    "P3": scale.run,
}
TITLES = {"P1": "Post-render throughput", "P2": "Start-up", "P3": "Cluster scale"}


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--zipapp", type=Path, default=REPO / "dist" / "kubectl-metax")
    parser.add_argument(
        "--kubectl", type=Path, default=REPO / ".cache" / "binaries" / "kubectl" / "kubectl"
    )
    parser.add_argument(
        "--only",
        default="P1,P2,P3",
        help="comma-separated figures to run (default: P1,P2,P3)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few rounds, to try the harness; not for RESULTS.md",
    )
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--plot", type=Path, default=REPO / "bench" / "p1.png")
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep the generated streams and state"
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    figures = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in figures if name not in FIGURES]
    if unknown:
        print(f"unknown figure {', '.join(unknown)}; expected P1, P2 or P3", file=sys.stderr)
        return 2
    for program in (args.zipapp, args.kubectl):
        if not program.is_file():
            print(f"{program} is missing: run `make build binaries` first", file=sys.stderr)
            return 2

    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="kmx-bench-"))
    context = Context(
        zipapp=args.zipapp.resolve(),
        kubectl=args.kubectl.resolve(),
        workdir=workdir,
        quick=args.quick,
    )
    sections: List[Section] = []
    try:
        for name in figures:
            log.info("measuring %s (%s)", name, TITLES[name])
            sections.append(_run_figure(name, context))
    finally:
        if args.keep_workdir:
            log.info("generated files kept in %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [row for section in sections for row in section.rows]
    print(reporting.text_table(rows))
    plot = ""
    p1 = next((section for section in sections if section.name == "P1"), None)
    if p1 is not None and reporting.plot_p1(args.plot, p1):
        plot = args.plot.name
    command = "make bench" if not args.quick else "python -m bench --quick"
    reporting.write_results(
        args.results,
        sections,
        command=command,
        load_before=load_before,
        load_after=os.getloadavg(),
        plot=plot,
    )
    log.info("wrote %s", args.results)
    return 0


def _run_figure(name: str, context: Context) -> Section:
    """Run one figure; a failure of the harness or an anchor becomes a row, not a crash."""
    try:
        return FIGURES[name](context)
    except (CommandFailed, subprocess.SubprocessError, OSError) as error:
        log.error("%s failed: %s", name, error)
        section = Section(name=name, title=TITLES[name])
        section.rows.append(not_measured(f"{name} {TITLES[name].lower()}", f"run failed: {error}"))
        return section


if __name__ == "__main__":
    sys.exit(main())
