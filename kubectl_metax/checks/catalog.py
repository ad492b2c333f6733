"""Import every check module so that each registers its checks."""

from __future__ import annotations

from kubectl_metax.checks import crds, helm, nodes, operator, uninstall, workloads
from kubectl_metax.checks.registry import CHECKS, known_ids

MODULES = (operator, crds, helm, uninstall, nodes, workloads)
__all__ = ["CHECKS", "MODULES", "known_ids"]
