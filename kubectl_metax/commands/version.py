"""``kubectl metax version``: print the version of this tool and what it runs on."""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any, Dict

from kubectl_metax import __version__, buildinfo, printing
from kubectl_metax.i18n import _

# Distributions whose versions `version -o json|yaml` reports.
DEPENDENCIES = ("kubernetes", "PyYAML", "jsonpatch", "urllib3")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "version",
        help=_("print the version"),
        description=_(
            "Print the version of kubectl-metax, and with -o json|yaml also the build, "
            "Python and dependency versions."
        ),
    )
    printing.add_output_flag(parser, choices=("text", "json", "yaml"), default="text")
    parser.set_defaults(run=run)


def collect() -> Dict[str, Any]:
    """Return the version report; imports yaml to tell whether libyaml is in use."""
    from importlib import metadata

    import yaml

    dependencies = {}
    for name in DEPENDENCIES:
        try:
            dependencies[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            dependencies[name] = buildinfo.UNKNOWN
    return {
        "version": __version__,
        **buildinfo.read(),
        "python": platform.python_version(),
        "platform": f"{sys.platform}/{platform.machine()}",
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "dependencies": dependencies,
    }


def run(args: argparse.Namespace) -> int:
    if args.output == "text":
        print(f"kubectl-metax {__version__}")
        return 0
    printing.emit(collect(), args.output)
    return 0
