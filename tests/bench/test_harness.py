"""The benchmark harness: measuring children, counting API requests, the table.

Covers: ``run_once`` passing stdin and stdout files, attributing peak RSS to
the one child it ran, rejecting unexpected exit codes and killing a child
at its timeout; the audit-entry count and the kinds-plus-pages bound of P3;
the ``-X importtime`` line parser of P2; the text and Markdown tables and
RESULTS.md writing.

Leaves out: whether any figure meets its target (``make bench``), and
every wall-clock value: nothing here asserts on time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import apirequests, reporting, startup
from bench.measuring import Command, CommandFailed, run_once
from bench.results import Row, Section, not_measured

REPO = Path(__file__).resolve().parents[2]


def test_run_once_passes_stdin_and_stdout(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("line one\nline two\n", encoding="utf-8")
    output = tmp_path / "out.txt"
    run = run_once(Command("cat", ["cat"], stdin=source), stdout=output)
    assert run.returncode == 0
    assert output.read_text(encoding="utf-8") == "line one\nline two\n"


MEASURE_BOTH = """
import sys
from bench.measuring import Command, run_once
allocate = "data = bytearray(80 * 1024 * 1024); data[::4096] = b'x' * len(data[::4096])"
big = run_once(Command("big", [sys.executable, "-c", allocate]))
small = run_once(Command("small", [sys.executable, "-c", "pass"]))
print(big.max_rss_mb, small.max_rss_mb)
"""


def test_run_once_reports_child_peak_rss() -> None:
    # Measured from a fresh, small process: Linux counts in a child's peak RSS
    # the copy of the parent it was forked from, and a test worker grows large.
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_BOTH],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    big, small = (float(value) for value in result.stdout.split())
    assert big >= 80
    assert small < big


def test_run_once_rejects_unexpected_exit() -> None:
    command = Command("fails", [sys.executable, "-c", "import sys; sys.exit('boom')"])
    with pytest.raises(CommandFailed, match="exit code 1: boom"):
        run_once(command)


def test_run_once_accepts_listed_exit() -> None:
    command = Command("exits 2", [sys.executable, "-c", "raise SystemExit(2)"], accepted_codes=(2,))
    assert run_once(command).returncode == 2


def test_run_once_kills_at_timeout() -> None:
    command = Command("sleeps", ["sleep", "30"], timeout=0.5)
    with pytest.raises(CommandFailed, match="timed out"):
        run_once(command)


def _entry(path: str, verb: str = "list", resource: str = "pods") -> dict:
    return {"path": path, "verb": verb, "resource": resource}


def test_count_splits_resource_and_discovery() -> None:
    entries = [
        _entry("/api", verb="GET", resource=""),
        _entry("/api/v1/pods?limit=500"),
        _entry("/api/v1/pods?limit=500&continue=abc"),
        _entry("/api/v1/nodes?limit=250", resource="nodes"),
    ]
    counted = apirequests.count(entries)
    assert counted.total == 4
    assert counted.other_requests == 1
    assert counted.by_resource == {"pods": 2, "nodes": 1}
    assert counted.smallest_limit == {"pods": 500, "nodes": 250}


def test_count_records_unpaginated_list() -> None:
    counted = apirequests.count([_entry("/api/v1/pods")])
    assert counted.smallest_limit == {"pods": 0}


def test_bound_allows_pages_plus_one() -> None:
    entries = [_entry(f"/api/v1/pods?limit=500&continue={page}") for page in range(100)]
    counted = apirequests.count(entries)
    assert apirequests.request_bound(counted, {"pods": 50_000}) == 101


def test_bound_catches_per_namespace_lists() -> None:
    entries = [
        _entry(f"/api/v1/namespaces/team-{index:03d}/pods?limit=500") for index in range(500)
    ]
    counted = apirequests.count(entries)
    bound = apirequests.request_bound(counted, {"pods": 50_000})
    assert counted.resource_requests > bound


def test_bound_counts_missing_kinds_as_one_page() -> None:
    counted = apirequests.count(
        [_entry("/api/v1/secrets?limit=500&labelSelector=owner%3Dhelm", resource="secrets")]
    )
    assert apirequests.request_bound(counted, {}) == 2


def test_importtime_lines_parsed() -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = [
        match.group(4)
        for match in map(startup._IMPORT_LINE.match, completed.stderr.splitlines())
        if match
    ]
    assert "json" in modules
    assert "json.decoder" in modules


def test_kubernetes_modules_recognised() -> None:
    assert startup.is_kubernetes("kubernetes")
    assert startup.is_kubernetes("kubernetes.client.api_client")
    assert not startup.is_kubernetes("kubernetes_asyncio")
    assert not startup.is_kubernetes("kubectl_metax.kube")


def test_text_table_aligns_columns() -> None:
    rows = [
        Row("P1 short", "1 ms", "2 ms", "0.50", "<= 0.50", True),
        not_measured("P3 doctor", "doctor not available"),
    ]
    lines = reporting.text_table(rows).splitlines()
    assert lines[0].split() == ["figure", "ours", "anchor", "ratio", "target", "met?"]
    assert lines[2].index("1 ms") == lines[0].index("ours")
    assert lines[2].rstrip().endswith("yes")
    assert "not measured: doctor not available" in lines[3]


def test_missed_target_shows_no() -> None:
    assert Row("P2", "9 ms", met=False).verdict == "NO"
    assert Row("P2", "9 ms", met=None).verdict == "-"


def test_results_file_lists_rows_and_notes(tmp_path: Path) -> None:
    section = Section(name="P2", title="Start-up")
    section.rows.append(Row("P2 start-up: x", "300 ms", "100 ms", "3.00", "<= 3.0", False))
    section.notes.append("Why it missed.")
    section.details.append("| x | 300 ms | 1 ms | 20 MiB |")
    path = tmp_path / "RESULTS.md"
    reporting.write_results(
        path, [section], command="make bench", load_before=(1.0, 2.0, 3.0), load_after=(4, 5, 6)
    )
    text = path.read_text(encoding="utf-8")
    assert "| P2 start-up: x | 300 ms | 100 ms | 3.00 | <= 3.0 | NO |" in text
    assert "Missed: P2 start-up: x." in text
    assert "Why it missed." in text
    assert "- CPU: " in text
    assert "- Python: " in text
    assert "before the run: 1.0 / 2.0 / 3.0, after: 4.0 / 5.0 / 6.0" in text
