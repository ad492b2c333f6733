"""The check table and the loop that runs checks over a snapshot.

Each check declares the lists it reads (the kinds named in the snapshot's
gaps). When one of them could not be collected, the check does not run and
a finding MX001 says which list is missing and why, so that a forbidden or
timed-out LIST never reads as a pass.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from kubectl_metax.checks.model import (
    AREA_COLLECTION,
    WARNING,
    CheckResult,
    Finding,
)
from kubectl_metax.i18n import _
from kubectl_metax.inspection import install as installing
from kubectl_metax.inspection.snapshot import Gap, Snapshot

GAP_CHECK_ID = "MX001"


@dataclass(frozen=True)
class Context:
    """What every check reads: the snapshot, where the operator is, and the snapshot's time."""

    snapshot: Snapshot
    install: installing.Install
    # When the snapshot was collected; None for a snapshot saved without it, which
    # turns the time-based checks into "cannot tell yet" findings.
    now: Optional[datetime]


CheckFunction = Callable[[Context], List[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    title: Callable[[], str]  # returns the translated title; called after i18n.setup()
    needs: Tuple[str, ...]  # gap kinds of the lists it reads, as shell patterns
    run: CheckFunction


CHECKS: Dict[str, Check] = {}


def check(
    check_id: str, *, area: str, title: Callable[[], str], needs: Sequence[str] = ()
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check check_id."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} is registered twice")
        CHECKS[check_id] = Check(check_id, area, title, tuple(needs), function)
        return function

    return register


def _gap_title() -> str:
    return _("Every list the checks need was collected")


def known_ids() -> List[str]:
    return sorted([GAP_CHECK_ID, *CHECKS])


def area_of(check_id: str) -> str:
    return AREA_COLLECTION if check_id == GAP_CHECK_ID else CHECKS[check_id].area


def _gap_finding(check: Check, gaps: List[Gap]) -> Finding:
    kinds = ", ".join(f"{gap['kind']} ({gap['reason']})" for gap in gaps)
    return Finding(
        id=GAP_CHECK_ID,
        severity=WARNING,
        message=_(
            "Check {check} ({title}) did not run: these lists could not be read: {kinds}."
        ).format(check=check.id, title=check.title(), kinds=kinds),
        fix=_(
            "Give the account list permission on these resources, or raise "
            "--request-timeout, then run the doctor again."
        ),
        commands=tuple(
            f"kubectl auth can-i list {gap['kind']} --all-namespaces"
            for gap in gaps
            if gap["reason"] == "forbidden"
        ),
    )


def missing_lists(snap: Snapshot, needs: Sequence[str]) -> List[Gap]:
    """Return the gaps whose kind matches one of needs, shell patterns such as "*.example.com"."""
    return [
        gap
        for gap in snap["gaps"]
        if any(fnmatch.fnmatchcase(gap["kind"], pattern) for pattern in needs)
    ]


def run_checks(context: Context, selected: Iterable[str]) -> List[CheckResult]:
    """Run the selected checks in ID order; MX001 collects the gaps of those that could not run."""
    chosen = set(selected)
    results: List[CheckResult] = []
    gap_findings: List[Finding] = []
    for check_id in sorted(CHECKS):
        if check_id not in chosen:
            continue
        check = CHECKS[check_id]
        result = CheckResult(id=check_id, area=check.area, title=check.title())
        gaps = missing_lists(context.snapshot, check.needs)
        if gaps:
            result.missing = [gap["kind"] for gap in gaps]
            gap_findings.append(_gap_finding(check, gaps))
        else:
            result.findings = check.run(context)
        results.append(result)

    if GAP_CHECK_ID in chosen:
        results.insert(
            0,
            CheckResult(
                id=GAP_CHECK_ID,
                area=AREA_COLLECTION,
                title=_gap_title(),
                findings=gap_findings,
            ),
        )
    return results
