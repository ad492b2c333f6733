"""Profile one zipapp command with cProfile, for the notes on a missed target."""

from __future__ import annotations

import io
import pstats
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

from bench.context import Context

# Functions listed from the profile, by cumulative time and by own time.
TOP_FUNCTIONS = 25
TOP_OWN_TIME = 15
# A share of the run worth explaining in the notes.
NOTABLE_SHARE = 0.1

# cProfile cannot open a zip file as a script, so the child runs the zipapp
# through runpy, which can. cProfile.runctx catches the SystemExit at the end.
_PROFILED_RUN = """
import cProfile, runpy, sys
zipapp, output = sys.argv[1], sys.argv[2]
sys.argv = [zipapp] + sys.argv[3:]
cProfile.runctx("runpy.run_path(zipapp, run_name='__main__')", globals(), locals(), output)
"""


@dataclass(frozen=True)
class Profile:
    """One profiled run: the top functions as text, and cumulative times by function name."""

    by_cumulative: str
    by_own_time: str
    total: float  # seconds, with the profiler's overhead
    cumulative: Dict[str, float]  # function name -> largest cumulative seconds under that name

    def share(self, function: str) -> float:
        """Return the fraction of the run spent in function and what it called."""
        if self.total <= 0:
            return 0.0
        return self.cumulative.get(function, 0.0) / self.total

    def markdown(self, title: str) -> str:
        return (
            f"{title}, top functions by cumulative time:\n\n```\n{self.by_cumulative}\n```\n\n"
            f"and by own time:\n\n```\n{self.by_own_time}\n```"
        )

    def breakdown(self) -> str:
        """Describe the shares of imports and of shiv's file check in the run."""
        imports = self.share("_find_and_load")
        check = self.share("ensure_no_modify")
        text = (
            f"In this profile, imports take {imports:.0%} of the run, shiv's check of the "
            f"extracted files (`ensure_no_modify`) {check:.0%}, and everything else "
            f"{max(0.0, 1 - imports - check):.0%}."
        )
        if check >= NOTABLE_SHARE:
            # shiv 1.0.8 calls ensure_no_modify at every start when built with --no-modify.
            text += (
                " shiv runs that check on every start because tools/build_zipapp.py builds "
                "with `--no-modify`: it hashes every extracted .py file, the Kubernetes "
                "client's included, so building without the flag removes this share."
            )
        return text


def describe(profile: Optional[Profile], title: str) -> str:
    """Return a Markdown note with the profile's shares and top functions."""
    if profile is None:
        return f"{title}: the profiled run wrote no statistics."
    return (
        profile.breakdown()
        + " The profiler slows every call down, so compare shares.\n\n"
        + (profile.markdown(title))
    )


def profile_command(
    context: Context,
    args: Sequence[str],
    *,
    stdin: Optional[Path] = None,
    name: str,
) -> Optional[Profile]:
    """Run the zipapp with args under cProfile; return None if it wrote no statistics."""
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
        return None

    cumulative: Dict[str, float] = {}
    raw = pstats.Stats(str(stats_file))
    for (_, _, function), (_, _, _, seconds, _) in raw.stats.items():  # type: ignore[attr-defined]
        cumulative[function] = max(cumulative.get(function, 0.0), seconds)
    return Profile(
        by_cumulative=_top(stats_file, "cumulative", TOP_FUNCTIONS),
        by_own_time=_top(stats_file, "tottime", TOP_OWN_TIME),
        total=raw.total_tt,  # type: ignore[attr-defined]
        cumulative=cumulative,
    )


def _top(stats_file: Path, order: str, count: int) -> str:
    text = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    stats.strip_dirs().sort_stats(order).print_stats(count)
    return _trim(text.getvalue())


def _trim(report: str) -> str:
    """Drop pstats' preamble up to the column header."""
    lines = report.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("ncalls"):
            return "\n".join(lines[index:]).rstrip()
    return report.rstrip()
