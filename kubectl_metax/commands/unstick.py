"""``kubectl metax unstick``: the vendor's manual uninstall cleanup, planned, gated and verified.

Steps: inspect, plan (dangling webhook configurations first, then stuck
finalizers), gate (GPU workloads, permissions, confirmation), back up,
apply with guarded writes, verify, and optionally run ``helm uninstall``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from kubectl_metax import errors, kubeflags, printing
from kubectl_metax.i18n import _

# A confirmation reply that starts with one of these means yes, in English or Chinese.
YES_ANSWERS = ("y", "yes", "是", "确认")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "unstick",
        help=_("clean up a stuck uninstall of the MetaX GPU Operator"),
        description=_(
            "Delete the operator's dangling webhook configurations and remove the finalizers "
            "of MetaX objects stuck in deletion, as the vendor's FAQ describes, after a backup, "
            "then verify the result."
        ),
    )
    kubeflags.add_to(parser)
    parser.add_argument(
        "--dry-run",
        nargs="?",
        const="client",
        choices=("client", "server"),
        default=None,
        help=_(
            "client: print the plan and change nothing; server: send every write with "
            "dryRun=All so the API server checks it without storing it"
        ),
    )
    parser.add_argument(
        "--yes", action="store_true", help=_("apply without asking for confirmation")
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help=_("proceed even while Pods still use MetaX GPUs"),
    )
    parser.add_argument(
        "--backup-dir",
        metavar=_("DIR"),
        default=".",
        help=_("folder for the backup of every object changed (default: the current folder)"),
    )
    parser.add_argument(
        "--helm-uninstall",
        action="store_true",
        help=_(
            "run `helm uninstall --wait` for the operator's release afterwards "
            "(helm from $HELM_BIN or PATH)"
        ),
    )
    printing.add_output_flag(parser, choices=("text", "json", "yaml"), default="text")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help=_("log more detail to stderr; repeat for debug output"),
    )
    parser.set_defaults(run=run)


def _say(args: argparse.Namespace, line: str) -> None:
    """Print a result line in text mode; structured output is printed once at the end."""
    if args.output == "text":
        print(line, flush=True)


def _gate_gpu_pods(args: argparse.Namespace, gpu_pods: Dict[str, List[str]]) -> None:
    if not gpu_pods or args.force:
        return
    listing = "; ".join(f"{namespace}: {', '.join(names)}" for namespace, names in gpu_pods.items())
    raise errors.Refused(
        _(
            "Pods still use MetaX GPUs ({pods}); stop them first, as the vendor requires, or "
            "pass --force"
        ).format(pods=listing)
    )


def _gate_permissions(api: Any, plan: Any) -> None:
    from kubectl_metax.kube import writing

    wanted = [
        writing.request_target(
            action["target"], "delete" if action["action"].startswith("delete") else "patch"
        )
        for action in plan["actions"]
    ]
    missing = writing.missing_permissions(api, wanted)
    if missing:
        raise errors.Refused(
            _(
                "missing permissions for the cleanup: {missing}; ask a cluster administrator, or "
                "check with `kubectl auth can-i`"
            ).format(missing="; ".join(f"{item.verb} {item.describe()}" for item in missing))
        )


def _confirm(args: argparse.Namespace, count: int) -> None:
    if args.yes or args.dry_run == "server":
        return
    if not sys.stdin.isatty():
        raise errors.Refused(
            _("no terminal to confirm the {count} changes: pass --yes to apply them").format(
                count=count
            )
        )
    sys.stderr.write(_("Apply these {count} changes? [y/N] ").format(count=count))
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if not answer.startswith(YES_ANSWERS):
        raise errors.Refused(_("cancelled: nothing was changed"))


def _backup(args: argparse.Namespace, api: Any, plan: Any) -> str:
    from kubectl_metax.cleanup import backup
    from kubectl_metax.kube import writing

    objects = [writing.read_optional(api, action["target"]) for action in plan["actions"]]
    try:
        path = backup.write_backup(
            [item for item in objects if item is not None], directory=Path(args.backup_dir)
        )
    except OSError as error:
        raise errors.ActionFailed(
            _("cannot write the backup in {folder}: {error}; nothing was changed").format(
                folder=args.backup_dir, error=error
            )
        ) from error
    message = _("backup of {count} objects written to {path}").format(
        count=len([item for item in objects if item is not None]), path=path
    )
    print(message, file=sys.stderr if args.output != "text" else sys.stdout, flush=True)
    return str(path)


def _cluster_flags(args: argparse.Namespace, context: str) -> List[str]:
    """Return the helm flags that aim it at the cluster this run inspected.

    Without them helm would follow $KUBECONFIG and its current context, which
    need not be the --kubeconfig and --context given here.
    """
    flags = ["--kubeconfig", args.kubeconfig] if args.kubeconfig else []
    return flags + (["--kube-context", context] if context else [])


def _helm(args: argparse.Namespace, plan: Any, *, context: str) -> Optional[Dict[str, Any]]:
    """Run (with --helm-uninstall, never in a dry run) or print `helm uninstall` per release."""
    install = plan["install"]
    releases = [release["name"] for release in install["releases"]]
    if not releases:
        if args.helm_uninstall:
            _say(args, _("no Helm release record is left, so helm uninstall has nothing to do"))
        return None
    commands = [
        ["uninstall", name, "-n", install["namespace"], "--wait", *_cluster_flags(args, context)]
        for name in releases
    ]
    if not args.helm_uninstall or args.dry_run:
        for command in commands:
            _say(
                args,
                _("next, finish the uninstall with: {command}").format(
                    command="helm " + " ".join(command)
                ),
            )
        return {"ran": False, "commands": [["helm", *command] for command in commands]}

    helm = os.environ.get("HELM_BIN") or shutil.which("helm")
    if not helm:
        raise errors.ActionFailed(_("helm not found: set HELM_BIN or put helm on PATH"))
    results = []
    for command in commands:
        try:
            completed = subprocess.run(
                [helm, *command], capture_output=True, text=True, check=False
            )
        except OSError as error:
            raise errors.ActionFailed(
                _("cannot run helm {path}: {error}").format(path=helm, error=error.strerror)
            ) from error
        output = (completed.stdout + completed.stderr).strip()
        results.append(
            {"command": ["helm", *command], "exitCode": completed.returncode, "output": output}
        )
        _say(
            args,
            _("helm {command}: exit code {code}: {output}").format(
                command=" ".join(command), code=completed.returncode, output=output
            ),
        )
    return {"ran": True, "results": results}


def run(args: argparse.Namespace) -> int:
    from kubectl_metax.cleanup import planning, rendering
    from kubectl_metax.kube import applying, collecting, connection, transport

    conn = connection.connect(
        kubeconfig=args.kubeconfig, context=args.context, request_timeout=args.request_timeout
    )
    api = transport.Api(conn)
    snap = collecting.Collector(api).collect(server=conn.host, context=conn.context)
    plan = planning.make_plan(snap, namespace=args.namespace)

    for line in rendering.plan_lines(plan):
        _say(args, line)
    if not plan["actions"] and planning.blind_spots(plan):
        raise errors.ActionFailed(
            _(
                "cannot tell whether anything is stuck: could not list {kinds}; fix the access "
                "and run the command again"
            ).format(kinds=", ".join(gap["kind"] for gap in planning.blind_spots(plan)))
        )
    if not plan["actions"]:
        _say(args, _("nothing is stuck: there is nothing to clean up"))
        helm = (
            _helm(args, plan, context=conn.context)
            if args.helm_uninstall and not args.dry_run
            else None
        )
        return _finish(args, plan, helm=helm, ok=_helm_ok(helm))
    if args.dry_run == "client":
        _say(args, _("dry run: nothing was changed"))
        return _finish(args, plan, ok=True)

    _gate_gpu_pods(args, plan["gpu_pods"])
    _gate_permissions(api, plan)
    _confirm(args, len(plan["actions"]))

    server_dry_run = args.dry_run == "server"
    backup_path = "" if server_dry_run else _backup(args, api, plan)
    outcomes = applying.apply_plan(api, plan, dry_run=server_dry_run)
    for outcome in outcomes:
        _say(args, rendering.outcome_line(outcome))  # type: ignore[arg-type]
    failed = any(outcome["result"] == applying.FAILED for outcome in outcomes)
    if server_dry_run:
        return _finish(args, plan, outcomes=outcomes, backup=backup_path, ok=not failed)

    checks = applying.verify(api, plan, wait=not failed)
    for check in checks:
        _say(args, rendering.check_line(check))  # type: ignore[arg-type]
    verified = not failed and all(check["ok"] for check in checks)
    helm = _helm(args, plan, context=conn.context) if verified else None
    return _finish(
        args,
        plan,
        outcomes=outcomes,
        checks=checks,
        backup=backup_path,
        helm=helm,
        ok=verified and _helm_ok(helm),
    )


def _helm_ok(helm: Optional[Dict[str, Any]]) -> bool:
    if not helm or not helm.get("ran"):
        return True
    return all(result["exitCode"] == 0 for result in helm["results"])


def _finish(args: argparse.Namespace, plan: Any, *, ok: bool, **results: Any) -> int:
    from kubectl_metax.cleanup import rendering

    if args.output != "text":
        printing.emit(rendering.structured(plan, **results), args.output, stream=sys.stdout)
    return errors.EXIT_OK if ok else errors.EXIT_PROBLEM
