"""``kubectl metax version``: print the version of this tool."""

from __future__ import annotations

import argparse
import platform
import sys

from kubectl_metax import __version__, printing
from kubectl_metax.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "version", help=_("print the version"), description=_("Print the version of kubectl-metax.")
    )
    printing.add_output_flag(parser, choices=("text", "json", "yaml"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.output == "text":
        print(f"kubectl-metax {__version__}")
        return 0
    info = {
        "version": __version__,
        "python": platform.python_version(),
        "platform": sys.platform,
    }
    printing.emit(info, args.output)
    return 0
