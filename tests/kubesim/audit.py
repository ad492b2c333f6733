"""An audit log of every request, queryable in process and optionally written as JSON lines."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional


@dataclass(frozen=True)
class AuditEntry:
    time: str
    user: str
    # get list watch create update patch delete deletecollection; the HTTP method, lower case,
    # for non-resource paths.
    verb: str
    method: str
    path: str  # including the query string
    resource: str  # plural, "" for non-resource paths
    group: str
    subresource: str
    namespace: str
    name: str
    code: int
    dry_run: bool
    user_agent: str


class AuditLog:
    def __init__(self, path: Optional[str] = None) -> None:
        self._lock = threading.Lock()
        self._entries: List[AuditEntry] = []
        self._path = path

    def record(self, entry: AuditEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with open(self._path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(asdict(entry), sort_keys=True) + "\n")

    def entries(self) -> List[AuditEntry]:
        with self._lock:
            return list(self._entries)

    def find(self, predicate: Callable[[AuditEntry], bool]) -> List[AuditEntry]:
        return [entry for entry in self.entries() if predicate(entry)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
