"""Aligned plain-text tables (``kubectl_metax.texttable``).

Covers: display widths of ASCII, CJK and combining characters, column
alignment with wide headers, and the unpadded last column.

Leaves out: terminals that draw ambiguous-width characters as two cells.
"""

from __future__ import annotations

import pytest

from kubectl_metax import texttable


@pytest.mark.parametrize(
    "text, width",
    [("", 0), ("amd64", 5), ("镜像", 4), ("镜像 ref", 8), ("e\u0301", 1), ("ＡＢ", 4)],
)
def test_display_width_counts_cells(text: str, width: int) -> None:
    assert texttable.display_width(text) == width


def test_render_aligns_wide_headers() -> None:
    table = texttable.render(["文件", "IMAGE"], [["a", "x:1"], ["longer-name", "y:2"]])
    lines = table.splitlines()
    assert table.endswith("\n")
    offsets = [
        texttable.display_width(line[: line.index(cell)])
        for line, cell in zip(lines, ["IMAGE", "x:1", "y:2"])
    ]
    assert offsets == [len("longer-name") + texttable.COLUMN_GAP] * 3


def test_render_leaves_last_column_unpadded() -> None:
    lines = texttable.render(["A", "B"], [["1", ""], ["2", "long value"]]).splitlines()
    assert lines[1] == "1"
    assert lines[2] == "2" + " " * texttable.COLUMN_GAP + "long value"
