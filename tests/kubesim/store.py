"""The object store: a versioned map of objects plus a bounded event history.

Every write takes one global lock and bumps one cluster-wide resourceVersion,
as etcd's revision does for kube-apiserver. The history keeps the last
HISTORY_LIMIT events so that a watch can resume from a resourceVersion; an
older one gets 410 Gone ("too old resource version"), as from the watch cache.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple

from tests.kubesim.contract import ResourceInfo

Object = Dict[str, Any]
# (group, resource, namespace, name); versions of one resource share storage.
Key = Tuple[str, str, str, str]

# Events kept for watch resumption, like the window of kube-apiserver's watch cache.
HISTORY_LIMIT = 5000


@dataclass(frozen=True)
class Event:
    resource_version: int
    type: str  # ADDED MODIFIED DELETED
    resource: ResourceInfo
    object: Object
    # The object before a MODIFIED event, so that a filtered watch can turn a
    # change in and out of its selector into ADDED or DELETED, as the watch cache does.
    previous: Optional[Object] = None


def key_of(resource: ResourceInfo, namespace: str, name: str) -> Key:
    return (resource.group, resource.resource, namespace if resource.namespaced else "", name)


class Store:
    """Thread-safe storage.

    put() stores a deep copy, get() and items() return deep copies, and snapshot() returns
    the stored objects themselves for read-only use.
    """

    def __init__(self, history_limit: int = HISTORY_LIMIT) -> None:
        self.lock = threading.RLock()
        self.history_limit = history_limit
        self.changed = threading.Condition(self.lock)
        self._objects: Dict[Key, Object] = {}
        # (group, resource) -> its entries sorted by key, rebuilt after a write to it.
        self._sorted: Dict[Tuple[str, str], List[Tuple[Key, Object]]] = {}
        self._revision = 0
        self._history: Deque[Event] = deque(maxlen=history_limit)
        # The oldest revision a watch may resume from without missing events.
        self._oldest = 0
        self._listeners: List[Callable[[Event], None]] = []

    @property
    def revision(self) -> int:
        with self.lock:
            return self._revision

    def oldest_resumable(self) -> int:
        with self.lock:
            if len(self._history) < self.history_limit:
                return self._oldest
            return self._history[0].resource_version - 1

    def get(self, key: Key) -> Optional[Object]:
        with self.lock:
            obj = self._objects.get(key)
            return copy.deepcopy(obj) if obj is not None else None

    def items(self, group: str, resource: str, namespace: str = "") -> List[Object]:
        """Return the objects of one resource, sorted by namespace and name."""
        with self.lock:
            found = [
                (key, obj)
                for key, obj in self._objects.items()
                if key[0] == group and key[1] == resource and (not namespace or key[2] == namespace)
            ]
            return [copy.deepcopy(obj) for _, obj in sorted(found, key=lambda item: item[0])]

    def snapshot(self, group: str, resource: str, namespace: str = "") -> List[Object]:
        """Return the stored objects of one resource, sorted, without copying them.

        Stored objects are replaced, never changed in place, so the result stays consistent;
        callers must not modify it (serialize it, or copy first).
        """
        with self.lock:
            entries = self._sorted.get((group, resource))
            if entries is None:
                entries = sorted(
                    (key, obj)
                    for key, obj in self._objects.items()
                    if key[0] == group and key[1] == resource
                )
                self._sorted[(group, resource)] = entries
        if not namespace:
            return [obj for _, obj in entries]
        # Keys sort by namespace first, so one namespace is one contiguous run.
        start = bisect.bisect_left(entries, (group, resource, namespace, ""), key=lambda e: e[0])
        end = bisect.bisect_left(
            entries, (group, resource, namespace + "\0", ""), key=lambda e: e[0]
        )
        return [obj for _, obj in entries[start:end]]

    def keys(self) -> List[Key]:
        with self.lock:
            return sorted(self._objects)

    def all_objects(self) -> Iterator[Tuple[Key, Object]]:
        with self.lock:
            snapshot = [(key, copy.deepcopy(obj)) for key, obj in sorted(self._objects.items())]
        return iter(snapshot)

    def next_revision(self) -> int:
        with self.lock:
            self._revision += 1
            return self._revision

    def put(self, resource: ResourceInfo, obj: Object, event_type: str) -> Object:
        """Store obj under a new resourceVersion and record an event; return a copy."""
        with self.lock:
            meta = obj["metadata"]
            revision = self.next_revision()
            meta["resourceVersion"] = str(revision)
            key = key_of(resource, meta.get("namespace", ""), meta["name"])
            previous = self._objects.get(key)
            self._objects[key] = copy.deepcopy(obj)
            self._sorted.pop((key[0], key[1]), None)
            self._record(Event(revision, event_type, resource, copy.deepcopy(obj), previous))
            return copy.deepcopy(obj)

    def remove(self, resource: ResourceInfo, obj: Object) -> Object:
        """Remove obj; the DELETED event carries a new resourceVersion, as etcd's does."""
        with self.lock:
            meta = obj["metadata"]
            key = key_of(resource, meta.get("namespace", ""), meta["name"])
            self._objects.pop(key, None)
            self._sorted.pop((key[0], key[1]), None)
            revision = self.next_revision()
            gone = copy.deepcopy(obj)
            gone["metadata"]["resourceVersion"] = str(revision)
            self._record(Event(revision, "DELETED", resource, copy.deepcopy(gone)))
            return gone

    def _record(self, event: Event) -> None:
        self._history.append(event)
        self.changed.notify_all()
        listeners = list(self._listeners)
        # Listeners run under the lock so that they see events in order; they must not block.
        for listener in listeners:
            listener(event)

    def events_after(self, revision: int) -> List[Event]:
        with self.lock:
            # Versions grow along the history, so walk back only over the new events.
            newer = []
            for event in reversed(self._history):
                if event.resource_version <= revision:
                    break
                newer.append(event)
            newer.reverse()
            return newer

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def resize_history(self, limit: int) -> None:
        """Keep only the last `limit` events (tests use it to reach 410 Gone quickly)."""
        with self.lock:
            self.history_limit = limit
            self._history = deque(self._history, maxlen=limit)

    def wake_all(self) -> None:
        with self.lock:
            self.changed.notify_all()
