"""Run kubesim out of process.

    python -m tests.kubesim serve --state FILE --kubeconfig OUT [--tls|--no-tls]
        [--audit FILE] [--faults FILE] [--actors operator,workloads,jobs] [--port 0]

Prints one line `ready <url>` on stdout once it serves, and serves until
SIGTERM or SIGINT, then exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import List, Optional

import yaml

from tests.kubesim.instance import build


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.kubesim")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated API until SIGTERM or SIGINT")
    serve.add_argument("--state", type=Path, help="multi-document YAML loaded at start")
    serve.add_argument(
        "--kubeconfig", type=Path, required=True, help="where to write the admin kubeconfig"
    )
    serve.add_argument(
        "--tls", dest="tls", action="store_true", default=True, help="serve HTTPS (default)"
    )
    serve.add_argument("--no-tls", dest="tls", action="store_false", help="serve plain HTTP")
    serve.add_argument("--audit", type=Path, help="append one JSON line per request to this file")
    serve.add_argument(
        "--faults", type=Path, help="JSON or YAML list of fault rules to install at start"
    )
    serve.add_argument(
        "--actors", default="", help="comma-separated actors: operator, workloads, jobs"
    )
    serve.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 picks a free one)"
    )
    serve.add_argument(
        "--verbose", action="store_true", help="log requests and controller activity to stderr"
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    actors = [name.strip() for name in args.actors.split(",") if name.strip()]
    sim = build(
        tls=args.tls,
        actors=actors,
        state_source=args.state,
        audit_path=args.audit,
        port=args.port,
        kubeconfig=args.kubeconfig,
    )
    if args.faults:
        text = args.faults.read_text(encoding="utf-8")
        rules = json.loads(text) if args.faults.suffix == ".json" else yaml.safe_load(text)
        sim.faults.add_many(rules if isinstance(rules, list) else [rules])
    stop = threading.Event()

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim.start()
    print(f"ready {sim.url}", flush=True)
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
    )
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
