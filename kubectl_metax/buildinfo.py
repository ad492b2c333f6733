"""Facts about the build that produced this copy: git commit and build date.

``tools/build_zipapp.py`` writes them to ``buildinfo.json`` beside this
module; a source checkout has no such file and reports them as unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

BUILDINFO_FILE = Path(__file__).resolve().parent / "buildinfo.json"
UNKNOWN = "unknown"


def read() -> Dict[str, str]:
    """Return {"commit": ..., "buildDate": ...}, with "unknown" for what is not recorded."""
    info = {"commit": UNKNOWN, "buildDate": UNKNOWN}
    try:
        recorded = json.loads(BUILDINFO_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return info
    for key in info:
        value = recorded.get(key)
        if isinstance(value, str) and value:
            info[key] = value
    return info
