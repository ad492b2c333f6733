"""The JSON patch (RFC 6902) that removes finalizers only from the object inspected."""

from __future__ import annotations

from typing import Any, Dict, List

import jsonpatch


def finalizer_removal(*, uid: str, finalizers: List[str]) -> List[Dict[str, Any]]:
    """Return ops that fail unless the object still has this uid and exactly these finalizers.

    The API server applies the ops in order and rejects the whole patch when a
    ``test`` fails, so a finalizer added by someone else since inspection, or
    an object recreated under the same name, makes the patch fail instead of
    dropping what was not seen.
    """
    removal = jsonpatch.make_patch({"metadata": {"finalizers": finalizers}}, {"metadata": {}})
    guards = jsonpatch.JsonPatch(
        [
            {"op": "test", "path": "/metadata/finalizers", "value": list(finalizers)},
            {"op": "test", "path": "/metadata/uid", "value": uid},
        ]
    )
    return list(guards.patch) + list(removal.patch)
