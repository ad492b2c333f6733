"""Structured output for ``-o json|yaml`` shared by every command.

Only results go to stdout; everything else (progress, warnings) goes to
stderr through logging or the command's own messages.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional, Sequence, TextIO

from kubectl_metax.i18n import _


def add_output_flag(
    parser: argparse.ArgumentParser, *, choices: Sequence[str], default: str
) -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=choices,
        default=default,
        help=_("output format: {choices} (default {default})").format(
            choices=", ".join(choices), default=default
        ),
    )


def emit(data: Any, output: str, stream: Optional[TextIO] = None) -> None:
    """Write data as JSON or YAML with keys in the order given, to stdout by default."""
    # Looked up per call, so that a replaced sys.stdout (tests, pagers) is honoured.
    stream = sys.stdout if stream is None else stream
    if output == "json":
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    elif output == "yaml":
        import yaml  # deferred: yaml costs start-up time on the paths that do not print it

        yaml.safe_dump(data, stream, sort_keys=False, allow_unicode=True, default_flow_style=False)
    else:
        raise ValueError(f"unsupported structured output {output!r}")
