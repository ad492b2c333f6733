"""Fault injection: answer matching requests with an error, a delay or a dropped connection.

A rule matches on HTTP method, API verb, a path regex (searched in the path
with its query) and resource plural; `after` skips that many matching
requests first, and `times` limits how many it then affects (None: all).
Rules are set in process (``FaultInjector.add``), through the control
endpoint ``/kubesim/faults`` (POST a rule or a list of rules as JSON,
DELETE to clear; admin token required), or from a JSON/YAML file given to
``python -m tests.kubesim serve --faults FILE``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

Object = Dict[str, Any]

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass
class FaultRule:
    method: Optional[str] = None
    verb: Optional[str] = None
    path: Optional[str] = None
    resource: Optional[str] = None
    after: int = 0
    times: Optional[int] = 1
    code: Optional[int] = None
    reason: str = ""
    message: str = ""
    latency: float = 0.0  # seconds to wait before responding
    retry_after: Optional[int] = None
    drop: bool = False  # close the connection without a response
    matched: int = 0
    fired: int = 0
    _pattern: Optional[re.Pattern[str]] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path) if self.path else None
        if self.code is not None and not self.reason:
            self.reason = _REASONS.get(self.code, "Unknown")
        if self.code is not None and not self.message:
            self.message = f"injected fault: {self.code} {self.reason}"

    def matches(self, method: str, verb: str, path: str, resource: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.verb and self.verb != verb:
            return False
        if self.resource and self.resource != resource:
            return False
        return not (self._pattern is not None and not self._pattern.search(path))

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []

    def add(self, **spec: Any) -> FaultRule:
        """Add a rule; keyword arguments are FaultRule fields. Returns it (its counters update)."""
        rule = FaultRule(
            **{
                k: v
                for k, v in spec.items()
                if not k.startswith("_") and k not in ("matched", "fired")
            }
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_many(self, specs: List[Object]) -> List[FaultRule]:
        return [self.add(**spec) for spec in specs]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> List[FaultRule]:
        with self._lock:
            return list(self._rules)

    def check(self, method: str, verb: str, path: str, resource: str) -> Optional[FaultRule]:
        """Return the first rule that fires for this request, counting it."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, verb, path, resource):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    continue
                rule.fired += 1
                return rule
        return None
