"""Count the API requests of one run from kubesim's audit entries, and bound them.

The bound is "kinds plus pages": a run may read each resource with the
pages a full list takes, plus one more request.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Sequence
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Requests:
    """API requests of one run, as kubesim's audit file recorded them."""

    resource_requests: int
    other_requests: int  # discovery, /version, /openapi: paths without a resource
    by_resource: Dict[str, int]
    smallest_limit: Dict[str, int]  # resource -> smallest `limit` seen on its lists, 0 if none

    @property
    def total(self) -> int:
        return self.resource_requests + self.other_requests


def count(entries: Sequence[Dict[str, object]]) -> Requests:
    by_resource: Counter[str] = Counter()
    smallest_limit: Dict[str, int] = {}
    other = 0
    for entry in entries:
        resource = str(entry.get("resource") or "")
        if not resource:
            other += 1
            continue
        by_resource[resource] += 1
        query = parse_qs(urlsplit(str(entry.get("path", ""))).query)
        if entry.get("verb") == "list":
            limit = int(query.get("limit", ["0"])[0] or 0)
            known = smallest_limit.get(resource)
            smallest_limit[resource] = limit if known is None else min(known, limit)
    return Requests(
        resource_requests=sum(by_resource.values()),
        other_requests=other,
        by_resource=dict(by_resource),
        smallest_limit=smallest_limit,
    )


def request_bound(counted: Requests, counts: Dict[str, int]) -> int:
    """Return the most resource requests a run may make: kinds plus pages.

    Each resource the run read may take the pages a full list needs at the
    page size the run asked for, plus one more request (a get, or a last
    empty page). A run that reads objects one by one, or lists namespace by
    namespace, exceeds it.
    """
    bound = 0
    for resource in counted.by_resource:
        objects = max(counts.get(resource, 0), 1)
        limit = counted.smallest_limit.get(resource, 0)
        pages = math.ceil(objects / limit) if limit else 1
        bound += pages + 1
    return bound


def breakdown(label: str, counted: Requests, counts: Dict[str, int]) -> str:
    lines = [f"API requests of `{label}` by resource (objects in the state, smallest page size):"]
    lines.append("")
    for resource, requests in sorted(counted.by_resource.items()):
        limit = counted.smallest_limit.get(resource)
        if limit is None:
            page = "no list"
        elif limit == 0:
            page = "no limit"
        else:
            page = f"limit {limit}"
        lines.append(f"- {resource}: {requests} ({counts.get(resource, 0):,} objects, {page})")
    lines.append(f"- without a resource (discovery, version, OpenAPI): {counted.other_requests}")
    return "\n".join(lines)
