"""Print the results table, write bench/RESULTS.md and plot P1 into bench/p1.png."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path
from typing import List, Sequence

from bench.results import Row, Section

HEADERS = ("figure", "ours", "anchor", "ratio", "target", "met?")


def machine(*, load_before: Sequence[float], load_after: Sequence[float]) -> List[str]:
    """Describe the machine the figures were measured on, one Markdown bullet each."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- CPU: {model}, {os.cpu_count()} cores (as the kernel reports them)",
        f"- Memory: {memory_kib / 1024 / 1024:.1f} GiB",
        f"- Python: {platform.python_version()} ({platform.python_implementation()})",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Date: {now}",
        f"- Load average (1, 5, 15 min) before the run: {_loads(load_before)}, "
        f"after: {_loads(load_after)}",
    ]


def _loads(loads: Sequence[float]) -> str:
    return " / ".join(f"{load:.1f}" for load in loads)


def _cells(row: Row) -> List[str]:
    return [row.figure, row.ours, row.anchor, row.ratio, row.target, row.verdict]


def text_table(rows: Sequence[Row]) -> str:
    """Return the table as aligned plain text for the terminal."""
    lines = [list(HEADERS)] + [_cells(row) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADERS))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in _cells(row)) + " |")
    return "\n".join(lines)


DETAIL_HEADERS = {
    "P1": "| documents | command | wall: median (min-max, n) | CPU median | peak RSS |",
    "P2": "| command | wall: median (min-max, n) | CPU median | peak RSS |",
    "P3": "| command | wall: median (min-max, n) | CPU median | peak RSS | API requests |",
}


def write_results(
    path: Path,
    sections: Sequence[Section],
    *,
    command: str,
    load_before: Sequence[float],
    load_after: Sequence[float],
    plot: str = "",
) -> None:
    rows = [row for section in sections for row in section.rows]
    parts = [
        "# Benchmark results",
        "",
        f"Written by `{command}` (bench/README.md explains each figure). Times are whole "
        "processes: the median of the runs, with the fastest and slowest run and the number "
        "of runs in brackets. Every ratio compares commands measured in the same run. "
        "The figure in brackets after a ratio, marked CPU, compares user plus system time. "
        "The machine is shared: when the load average is above the core count, other "
        "processes stretch wall times, and CPU times much less.",
        "",
        "## Machine",
        "",
        *machine(load_before=load_before, load_after=load_after),
        "",
        "## Summary",
        "",
        markdown_table(rows),
        "",
    ]
    for section in sections:
        parts += [f"## {section.name}: {section.title}", ""]
        if section.details:
            header = DETAIL_HEADERS[section.name]
            parts += [header, "|" + "---|" * (header.count("|") - 1), *section.details, ""]
        if section.name == "P1" and plot:
            parts += [f"![P1: time against documents]({plot})", ""]
        missed = section.missed
        if missed:
            names = ", ".join(row.figure for row in missed)
            parts += [f"Missed: {names}. See the notes below.", ""]
        for note in section.notes:
            parts += [note, ""]
    path.write_text("\n".join(parts), encoding="utf-8")


def plot_p1(path: Path, section: Section) -> bool:
    """Plot P1 time against documents on log-log axes; return False without data."""
    if not section.series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=110)
    markers = iter("osD^v")
    for label, points in section.series.items():
        sizes = sorted(points)
        times = [points[size] for size in sizes]
        if label.startswith("target"):
            axes.plot(sizes, times, linestyle=":", color="grey", label=label)
            continue
        axes.plot(
            sizes,
            times,
            marker=next(markers, "x"),
            label=label,
            linewidth=2 if label.startswith("kubectl-metax") else 1.2,
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("documents in the stream")
    axes.set_ylabel("wall time, median of runs (s)")
    axes.set_title("P1: post-render throughput against its anchors")
    axes.grid(True, which="both", linestyle=":", linewidth=0.6)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return True
