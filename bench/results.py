"""The rows of the results table and the notes that explain them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass
class Row:
    """One line of the table: our figure against its anchor.

    ``met`` is None for figures that have no target (shown for context) and
    for figures that could not be measured.
    """

    figure: str
    ours: str
    anchor: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: Optional[bool] = None

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "-"
        return "yes" if self.met else "NO"


def not_measured(figure: str, reason: str) -> Row:
    return Row(figure=figure, ours=f"not measured: {reason}")


@dataclass
class Section:
    """The output of one figure (P1, P2 or P3): rows, notes and raw samples."""

    name: str
    title: str
    rows: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # Markdown paragraphs for RESULTS.md
    details: List[str] = field(default_factory=list)  # Markdown table lines of every sample
    series: Dict[str, Dict[int, float]] = field(default_factory=dict)  # for the P1 plot

    @property
    def missed(self) -> List[Row]:
        return [row for row in self.rows if row.met is False]
