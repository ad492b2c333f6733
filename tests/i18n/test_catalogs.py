"""The zh_CN catalog covers every message the code can show.

Covers: every literal passed to ``_()``, ``N_()`` and ``ngettext()`` in
``kubectl_metax`` and the demo has a translation; named ``{fields}`` and
``%`` fields are the same in msgid and msgstr (a missing field would raise
or drop a value at run time); no ``_()`` call takes a computed string such
as an f-string or a concatenation (it could never be translated; a named
constant is allowed because its literal is marked with ``N_()`` where it is
defined); the argparse messages of the running Python are translated.

Leaves out: the quality of the translations, which a reader judges.
"""

from __future__ import annotations

import argparse
import ast
import re
import string
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import catalogs  # noqa: E402

MARKERS = ("_", "N_", "gettext_")
PRINTF_FIELD = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdrif%]")


def literal_calls(path: Path) -> Iterator[Tuple[int, str, List[ast.expr]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if is_call and (node.func.id in MARKERS or node.func.id == "ngettext"):
            yield node.lineno, node.func.id, list(node.args)


def code_messages() -> Dict[str, str]:
    """Map each msgid in the package to the place that uses it."""
    found: Dict[str, str] = {}
    sources = [*sorted((REPO / "kubectl_metax").rglob("*.py")), REPO / "tools" / "demo.py"]
    for path in sources:
        for line, name, args in literal_calls(path):
            where = f"{path.relative_to(REPO)}:{line}"
            count = 2 if name == "ngettext" else 1
            for arg in args[:count]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, where)
                elif not isinstance(arg, (ast.Name, ast.Attribute)):
                    found.setdefault(f"<computed string at {where}>", where)
    return found


def catalog_strings() -> Dict[str, str]:
    merged = catalogs.merge_catalogs(REPO / "po" / "zh_CN")
    strings: Dict[str, str] = {}
    for message in merged:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            for msgid in message.id:
                strings[msgid] = message.string[0]
        else:
            strings[message.id] = message.string
    return strings


def fields(text: str) -> Tuple[List[str], List[str]]:
    named = sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)
    printf = sorted(PRINTF_FIELD.findall(text))
    return named, printf


def test_every_code_message_translated() -> None:
    translated = catalog_strings()
    missing = [
        f"{where}: {msgid!r}" for msgid, where in code_messages().items() if msgid not in translated
    ]
    assert missing == []


def test_no_computed_messages() -> None:
    computed = [msgid for msgid in code_messages() if msgid.startswith("<computed string")]
    assert computed == []


@pytest.mark.parametrize("msgid", sorted(catalog_strings()))
def test_translation_keeps_fields(msgid: str) -> None:
    translation = catalog_strings()[msgid]
    # Plural msgids share one Chinese form, so compare only the fields of the singular.
    assert fields(translation) == fields(msgid)


def test_argparse_messages_translated() -> None:
    translated = catalog_strings()
    source = Path(argparse.__file__)
    untranslated = []
    for line, _name, args in literal_calls(source):
        first = args[0] if args else None
        is_literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if is_literal and first.value not in translated:
            untranslated.append(f"argparse.py:{line}: {first.value!r}")
    assert untranslated == []
