"""Assemble the plug-ins (authorization, admission, controllers) for a kubesim instance."""

from __future__ import annotations

from typing import Sequence

from tests.kubesim.contract import PluginSet

# Actor names accepted by `serve --actors` and the fixtures.
ACTORS = ("operator", "workloads", "jobs")


def build_plugins(actors: Sequence[str] = ()) -> PluginSet:
    """Return the plug-ins every instance runs, plus the named actors."""
    # TODO(semantics modules land): RBAC, webhook admission, namespace lifecycle,
    # garbage collection, CRD finalization and the actors are added here.
    return PluginSet()
