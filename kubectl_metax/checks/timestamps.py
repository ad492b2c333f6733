"""RFC 3339 timestamps as the API server writes them, and ages against the snapshot's time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def parse(text: str) -> Optional[datetime]:
    """Return the aware datetime of an API timestamp, or None for an empty or bad one."""
    if not text:
        return None
    # The API server writes "2026-12-04T20:00:00Z"; fromisoformat on Python 3.8
    # does not accept the "Z" suffix.
    value = text.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_now(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def age_seconds(since: str, now: Optional[datetime]) -> Optional[float]:
    """Return how long before now the timestamp since lies; None when either is unknown."""
    start = parse(since)
    if start is None or now is None:
        return None
    return (now - start).total_seconds()
