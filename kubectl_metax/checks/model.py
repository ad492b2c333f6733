"""Findings: what a check reports, and the objects and fix it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

# Areas in the order the text report shows them.
AREA_COLLECTION = "collection"
AREA_OPERATOR = "operator"
AREA_HELM = "helm"
AREA_UNINSTALL = "uninstall"
AREA_NODES = "nodes"
AREA_WORKLOADS = "workloads"
AREAS = (
    AREA_COLLECTION,
    AREA_OPERATOR,
    AREA_HELM,
    AREA_UNINSTALL,
    AREA_NODES,
    AREA_WORKLOADS,
)

# Where each check's page lives, relative to the repository root.
DOC_PATH = "docs/checks/{id}.md"


@dataclass(frozen=True)
class ObjectRef:
    """One Kubernetes object a finding is about; namespace is "" when cluster-scoped."""

    kind: str
    name: str
    namespace: str = ""

    def describe(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.name} -n {self.namespace}"
        return f"{self.kind}/{self.name}"

    def to_dict(self) -> Dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True)
class Finding:
    """One problem or fact, with the commands that fix it.

    ``message`` and ``fix`` are already translated. ``commands`` are shell
    commands in the order to run them; they stay untranslated.
    """

    id: str
    severity: str
    message: str
    objects: Tuple[ObjectRef, ...] = ()
    fix: str = ""
    commands: Tuple[str, ...] = ()

    def doc(self) -> str:
        return DOC_PATH.format(id=self.id)

    def to_dict(self, *, area: str) -> Dict[str, object]:
        return {
            "id": self.id,
            "area": area,
            "severity": self.severity,
            "message": self.message,
            "objects": [item.to_dict() for item in self.objects],
            "remediation": {"text": self.fix, "commands": list(self.commands), "doc": self.doc()},
        }


@dataclass
class CheckResult:
    """The outcome of one check: passed, failed (with findings) or not run."""

    id: str
    area: str
    title: str  # translated
    findings: List[Finding] = field(default_factory=list)
    # The gap kinds that kept the check from running; empty when it ran.
    missing: List[str] = field(default_factory=list)
    blocked_by: Optional[str] = None  # the skip reason shown to the user, translated

    @property
    def status(self) -> str:
        if self.missing:
            return "not-run"
        own = [item for item in self.findings if item.id == self.id]
        if any(item.severity in (ERROR, WARNING) for item in own):
            return "failed"
        return "passed"
