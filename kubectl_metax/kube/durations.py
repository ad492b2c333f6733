"""Parse kubectl-style durations such as ``30s``, ``1m``, ``500ms`` or ``0``."""

from __future__ import annotations

import re
from typing import Optional

from kubectl_metax.errors import InvalidInput
from kubectl_metax.i18n import _

# Units Go's time.ParseDuration accepts, which kubectl's --request-timeout uses.
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
# The largest duration Go (and so kubectl) can represent: 2**63 - 1 nanoseconds.
MAX_DURATION_SECONDS = (2**63 - 1) / 1e9
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_request_timeout(text: str) -> Optional[float]:
    """Return the timeout in seconds, or None for "0" (wait without limit).

    A bare integer means seconds, as in kubectl. Raises InvalidInput naming
    the value when it is not a duration.
    """
    value = text.strip()
    if re.fullmatch(r"\d+", value) and float(value) <= MAX_DURATION_SECONDS:
        seconds = float(value)
        return seconds or None

    total = 0.0
    position = 0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not value or position != len(value) or total > MAX_DURATION_SECONDS:
        raise InvalidInput(
            _(
                "invalid --request-timeout value {value!r}: use a duration such as 30s, 1m or "
                "500ms, or 0 to wait without limit"
            ).format(value=text)
        )
    return total or None
