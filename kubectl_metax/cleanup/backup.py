"""Save the objects a plan touches, before the first write, to a private YAML file."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

# Owner read/write only: the backup holds cluster configuration.
BACKUP_MODE = 0o600
# Payload fields never written, whatever kind an object is.
SECRET_FIELDS = ("data", "stringData")


def _cleaned(raw: Dict[str, Any]) -> Dict[str, Any]:
    """Return a copy without managedFields, and without any payload when it is a Secret."""
    cleaned = dict(raw)
    metadata = dict(cleaned.get("metadata") or {})
    metadata.pop("managedFields", None)
    cleaned["metadata"] = metadata
    if cleaned.get("kind") == "Secret":
        for field in SECRET_FIELDS:
            cleaned.pop(field, None)
    return cleaned


def write_backup(
    objects: List[Dict[str, Any]], *, directory: Path, now: Optional[datetime] = None
) -> Path:
    """Write objects as a multi-document YAML file created with mode 0600; return its path.

    The file is created exclusively with its final mode (never widened by a
    later chmod), then flushed and fsynced so that it survives a crash in the
    writes that follow. Raises OSError when it cannot be written.
    """
    import yaml  # deferred: only the paths that write a backup need it

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump_all(
        [_cleaned(item) for item in objects], sort_keys=False, default_flow_style=False
    )
    for suffix in [""] + [f"-{number}" for number in range(1, 100)]:
        path = directory / f"kubectl-metax-unstick-{stamp}{suffix}.yaml"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        return path
    raise FileExistsError(str(directory / f"kubectl-metax-unstick-{stamp}.yaml"))
