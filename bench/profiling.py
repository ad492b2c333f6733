"""Profile one zipapp command with cProfile, for the notes on a missed target."""

from __future__ import annotations

import io
import pstats
import subprocess
from pathlib import Path
from typing import Optional, Sequence

from bench.context import Context

# Functions listed from the profile, by cumulative time.
TOP_FUNCTIONS = 25

# cProfile cannot open a zip file as a script, so the child runs the zipapp
# through runpy, which can. cProfile.runctx catches the SystemExit at the end.
_PROFILED_RUN = """
import cProfile, runpy, sys
zipapp, output = sys.argv[1], sys.argv[2]
sys.argv = [zipapp] + sys.argv[3:]
cProfile.runctx("runpy.run_path(zipapp, run_name='__main__')", globals(), locals(), output)
"""


def profile_command(
    context: Context,
    args: Sequence[str],
    *,
    stdin: Optional[Path] = None,
    name: str,
) -> str:
    """Run the zipapp with args under cProfile and return the top functions as text."""
    stats_file = context.workdir / f"{name}.prof"
    with open(stdin, "rb") if stdin else open("/dev/null", "rb") as stdin_file:
        subprocess.run(
            [
                context.zipapp_python,
                "-c",
                _PROFILED_RUN,
                str(context.zipapp),
                str(stats_file),
                *args,
            ],
            stdin=stdin_file,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=900,
            check=False,
            start_new_session=True,
        )
    if not stats_file.exists():
        return "(the profiled run wrote no statistics)"
    text = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(TOP_FUNCTIONS)
    return _trim(text.getvalue())


def _trim(report: str) -> str:
    """Drop pstats' preamble up to the column header."""
    lines = report.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("ncalls"):
            return "\n".join(lines[index:]).rstrip()
    return report.rstrip()
