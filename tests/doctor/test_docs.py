"""Every check has its documentation page in English and Chinese.

Covers: docs/checks/<ID>.md and <ID>.zh-CN.md exist for every registered ID
(MX001 included), each names its ID in the title, links to its twin, and
has the three sections; no page is left for an ID that does not exist.

Leaves out: whether the prose is right, which a reader judges.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubectl_metax.checks import catalog

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks"
SECTIONS = {
    "en": ("## What it means", "## Why it matters", "## Fix"),
    "zh-CN": ("## 含义", "## 影响", "## 修复"),
}


@pytest.mark.parametrize("check_id", catalog.known_ids())
def test_pages_exist_in_both_languages(check_id: str) -> None:
    english = (DOCS / f"{check_id}.md").read_text(encoding="utf-8")
    chinese = (DOCS / f"{check_id}.zh-CN.md").read_text(encoding="utf-8")
    assert english.startswith(f"# {check_id}: ")
    assert chinese.startswith(f"# {check_id}：")
    assert f"({check_id}.zh-CN.md)" in english.replace("./", "")
    assert f"({check_id}.md)" in chinese.replace("./", "")
    for heading in SECTIONS["en"]:
        assert heading in english
    for heading in SECTIONS["zh-CN"]:
        assert heading in chinese


def test_no_page_without_check() -> None:
    known = set(catalog.known_ids())
    pages = {path.name.split(".")[0] for path in DOCS.glob("MX*.md")}
    assert pages == known
