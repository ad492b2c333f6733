"""Command-line entry point: parse, set up logging, dispatch, map errors to exit codes.

Each subcommand lives in ``kubectl_metax.commands.<name>`` and exposes
``register(subparsers)``, which adds its parser and sets ``run``. Command
modules import only the standard library and ``i18n`` at module level, so
that parsing stays fast; heavy imports happen inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional, Sequence

from kubectl_metax import __version__, errors, i18n
from kubectl_metax.commands import COMMAND_MODULES
from kubectl_metax.i18n import _

log = logging.getLogger(__name__)

PROG = "kubectl metax"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_(
            "Diagnose the MetaX GPU Operator, clean up a stuck uninstall, "
            "and check image references."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"kubectl-metax {__version__}",
        help=_("print the version and exit"),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help=_("log more detail to stderr; repeat for debug output"),
    )
    subparsers = parser.add_subparsers(dest="command", metavar=_("COMMAND"), title=_("commands"))
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"kubectl_metax.commands.{module_name}")
        module.register(subparsers)
    return parser


def setup_logging(verbosity: int) -> None:
    if verbosity <= 0:
        level = logging.WARNING
    elif verbosity == 1:
        level = logging.INFO
    else:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if verbosity < 3:
        # The client libraries narrate every request at DEBUG; keep them at -vvv only.
        for noisy in ("urllib3", "kubernetes"):
            logging.getLogger(noisy).setLevel(max(level, logging.INFO))


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command line and return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["__complete"]:
        # Hidden shell completion entry, called by bin/kubectl_complete-metax.
        from kubectl_metax import completion

        return completion.run(arguments[1:])
    i18n.setup()
    parser = build_parser()
    args = parser.parse_args(arguments)
    setup_logging(args.verbose)

    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return errors.EXIT_INVALID

    try:
        return int(args.run(args))
    except errors.MetaxError as error:
        print(_("error: {message}").format(message=error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); exit quietly as other CLI tools do.
        return errors.EXIT_PROBLEM


def main(argv: Optional[List[str]] = None) -> None:
    sys.exit(run(argv))
