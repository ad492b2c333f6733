"""``kubectl metax doctor``: diagnose the MetaX GPU Operator, its install and its uninstall.

Collects one snapshot of the cluster (or reads a saved one with --from),
runs the checks of ``kubectl_metax.checks`` over it, and prints a report.
Exit status: 0 without errors, 1 with errors (or warnings with --strict),
2 for bad flags.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any, List, Optional, Sequence, Set

from kubectl_metax import errors, kubeflags, printing
from kubectl_metax.i18n import _

# A collection that finishes within this many seconds shows no progress line.
PROGRESS_DELAY = 1.0
# A bundle names nodes, namespaces and images, which some sites keep private,
# so only its owner may read it (as with unstick's backups).
DUMP_MODE = 0o600


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "doctor",
        help=_("diagnose the MetaX GPU Operator, its install and its uninstall"),
        description=_(
            "Check the MetaX GPU Operator, its Helm releases, what an uninstall left behind, "
            "the GPU nodes and the workloads, and print each problem with its fix. Exits 1 "
            "when an error is found (or a warning, with --strict)."
        ),
    )
    kubeflags.add_to(parser)
    printing.add_output_flag(parser, choices=("text", "json", "yaml"), default="text")
    parser.add_argument(
        "--only",
        metavar=_("IDS"),
        action="append",
        default=[],
        help=_("run only these checks: comma-separated IDs such as MX101,MX301"),
    )
    parser.add_argument(
        "--skip",
        metavar=_("IDS"),
        action="append",
        default=[],
        help=_("skip these checks: comma-separated IDs"),
    )
    parser.add_argument(
        "--strict", action="store_true", help=_("exit 1 on warnings too, not only on errors")
    )
    parser.add_argument(
        "--dump",
        metavar=_("FILE"),
        help=_("save the collected snapshot to FILE as a support bundle (no Secret data)"),
    )
    parser.add_argument(
        "--from",
        dest="from_file",
        metavar=_("FILE"),
        help=_("check a snapshot saved with --dump instead of a cluster; nothing is contacted"),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help=_("log more detail to stderr; repeat for debug output"),
    )
    parser.set_defaults(run=run)


def _split_ids(values: Sequence[str]) -> List[str]:
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


def select(only: Sequence[str], skip: Sequence[str], known: Sequence[str]) -> Set[str]:
    """Return the check IDs to run; raises InvalidInput naming unknown IDs and the known ones."""
    wanted, unwanted = _split_ids(only), _split_ids(skip)
    unknown = sorted({item for item in wanted + unwanted if item not in known})
    if unknown:
        raise errors.InvalidInput(
            _("unknown check IDs: {unknown}; known IDs: {known}").format(
                unknown=", ".join(unknown), known=", ".join(known)
            )
        )
    chosen = set(wanted) if wanted else set(known)
    # The finding for checks that could not run stays on unless it is skipped by name.
    chosen.add("MX001")
    return chosen - set(unwanted)


class Progress:
    """A line on stderr while collection takes longer than PROGRESS_DELAY, on a terminal only."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.shown = False
        self._timer: Optional[threading.Timer] = None
        # Keeps the timer thread from writing the line while __exit__ clears it.
        self._lock = threading.Lock()
        self._done = False

    def __enter__(self) -> Progress:
        if self.stream.isatty():
            self._timer = threading.Timer(PROGRESS_DELAY, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        with self._lock:
            if self._done:
                return
            self.stream.write(_("Collecting the cluster state...") + "\r")
            self.stream.flush()
            self.shown = True

    def __exit__(self, *_exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._done = True
            if self.shown:
                self.stream.write("\033[2K\r")
                self.stream.flush()


def use_colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


def _load(path: str) -> Any:
    from kubectl_metax.inspection import snapshot

    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise errors.InvalidInput(
            _("cannot read the snapshot {path}: {error}").format(path=path, error=error.strerror)
        ) from error
    except UnicodeDecodeError as error:
        raise errors.InvalidInput(
            _("{source} is not a snapshot saved by kubectl-metax: {error}").format(
                source=path, error=error
            )
        ) from error
    return snapshot.loads(text, source=path)


def _collect(args: argparse.Namespace) -> Any:
    from kubectl_metax.kube import collecting, connection, transport

    conn = connection.connect(
        kubeconfig=args.kubeconfig, context=args.context, request_timeout=args.request_timeout
    )
    with Progress():
        return collecting.Collector(transport.Api(conn)).collect(
            server=conn.host, context=conn.context
        )


def _save(path: str, snap: Any) -> None:
    """Write the bundle to path with mode 0600, narrowing an existing file's mode first."""
    from kubectl_metax.inspection import snapshot

    text = snapshot.dumps(snap)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, DUMP_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            # The mode given to os.open applies only to a new file, so an
            # existing one is narrowed before its old contents are dropped.
            os.fchmod(descriptor, DUMP_MODE)
            os.ftruncate(descriptor, 0)
            stream.write(text)
            stream.flush()
    except OSError as error:
        raise errors.ActionFailed(
            _("cannot write the snapshot to {path}: {error}").format(
                path=path, error=error.strerror
            )
        ) from error


def run(args: argparse.Namespace) -> int:
    from kubectl_metax.checks import catalog, report, timestamps
    from kubectl_metax.checks.model import ERROR, WARNING
    from kubectl_metax.checks.registry import Context, run_checks
    from kubectl_metax.inspection import install

    selected = select(args.only, args.skip, catalog.known_ids())
    snap = _load(args.from_file) if args.from_file else _collect(args)
    if args.dump:
        _save(args.dump, snap)

    context = Context(
        snapshot=snap,
        install=install.locate(snap, namespace=args.namespace),
        now=timestamps.parse(snap.get("collected_at", "")),
    )
    results = run_checks(context, selected)
    if args.output == "text":
        sys.stdout.write(report.render_text(context, results, colour=use_colour(sys.stdout)))
    else:
        printing.emit(report.document(context, results), args.output, sys.stdout)

    severities = {finding.severity for result in results for finding in result.findings}
    if ERROR in severities or (args.strict and WARNING in severities):
        return errors.EXIT_PROBLEM
    return errors.EXIT_OK
