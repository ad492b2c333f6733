"""Plain-text tables with aligned columns, as kubectl prints them.

Widths count display cells, not characters: a CJK character takes two cells
in a terminal, so translated headers stay aligned with the rows below them.
"""

from __future__ import annotations

import unicodedata
from typing import List, Sequence

COLUMN_GAP = 3  # spaces between columns, as in `kubectl get`


def display_width(text: str) -> int:
    """Return the number of terminal cells ``text`` takes."""
    width = 0
    for character in text:
        if unicodedata.combining(character):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return the table as lines ending in a newline; the last column is not padded."""
    widths = [display_width(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))

    lines: List[str] = []
    for row in [list(headers), *[list(row) for row in rows]]:
        cells = []
        for index, cell in enumerate(row):
            if index == len(row) - 1:
                cells.append(cell)
            else:
                cells.append(cell + " " * (widths[index] - display_width(cell) + COLUMN_GAP))
        lines.append("".join(cells).rstrip())
    return "\n".join(lines) + "\n"
