"""Replace scalars inside a document's original text, keeping everything around them.

A replacement keeps the scalar's quoting style when the new value can be
written in it and still read back as the same string; otherwise it is
written double-quoted. Only the characters of the old scalar change, so
comments, key order, other quoting and block scalars elsewhere stay as they
were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple, Union

import yaml

from kubectl_metax.manifests import events, stream

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Values made only of these characters may stay plain scalars, after a parse
# back shows they still read as the same string. Others are quoted.
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*\Z")


@dataclass(frozen=True)
class Replacement:
    """New text for one scalar of a document."""

    scalar: events.Scalar
    value: str


def rendered(scalar: events.Scalar, value: str) -> str:
    """Return the YAML text that writes ``value`` in place of ``scalar``."""
    if scalar.style == "" and _reads_back_plain(value):
        return value
    if scalar.style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class NewKey:
    """A ``key: value`` line to add to the block mapping that holds ``sibling``."""

    sibling: events.Scalar  # the value of a key on its own line in that mapping
    key: str
    value: str


# A line that starts a block mapping entry up to its value: indentation, an
# optional "- " of a sequence item, then a plain key and its colon.
_ENTRY_PREFIX = re.compile(r"(?P<indent>[ ]*(?:-[ ]+)?)[A-Za-z0-9_.-]+[ ]*:[ ]*")


def new_key(
    document: stream.Document, sibling: events.Scalar, key: str, value: str
) -> Optional[NewKey]:
    """Return a NewKey, or None unless ``sibling`` is a one-line value of a block mapping entry."""
    text = document.normalized()
    line_start = text.rfind("\n", 0, sibling.start) + 1
    line_end = text.find("\n", sibling.end)
    rest = text[sibling.end : len(text) if line_end < 0 else line_end].strip()
    if sibling.style in ("|", ">") or (rest and not rest.startswith("#")):
        return None
    if not _ENTRY_PREFIX.fullmatch(text[line_start : sibling.start]):
        return None
    return NewKey(sibling, key, value)


def apply(document: stream.Document, edits: Iterable[Union[Replacement, NewKey]]) -> str:
    """Return the document's text with the edits spliced in.

    The positions refer to ``document.normalized()``; a CRLF document gets
    its CRLF line ends back.
    """
    text = document.normalized()
    spans = [_span(text, edit) for edit in edits]
    pieces: List[str] = []
    position = 0
    for start, end, new_text in sorted(spans, key=lambda span: (span[0], span[1])):
        if start < position:
            raise ValueError(f"overlapping edits at offset {start}")
        pieces.append(text[position:start])
        pieces.append(new_text)
        position = end
    pieces.append(text[position:])
    result = "".join(pieces)
    return result.replace("\n", "\r\n") if document.uses_crlf else result


def _span(text: str, edit: Union[Replacement, NewKey]) -> Tuple[int, int, str]:
    """Return the start, end and new text of an edit."""
    if isinstance(edit, NewKey):
        line_start = text.rfind("\n", 0, edit.sibling.start) + 1
        match = _ENTRY_PREFIX.match(text, line_start)
        column = len(match.group("indent")) if match else 0
        line_end = text.find("\n", edit.sibling.end)
        position = len(text) if line_end < 0 else line_end
        plain = events.Scalar(edit.value, 0, 0, "", 0)
        return position, position, f"\n{' ' * column}{edit.key}: {rendered(plain, edit.value)}"

    scalar = edit.scalar
    new_text = rendered(scalar, edit.value)
    if scalar.style in ("|", ">"):
        # A block scalar's span ends with its line breaks: keep one, so that the
        # next key stays on its own line.
        new_text += "\n"
    return scalar.start, scalar.end, new_text


def _reads_back_plain(value: str) -> bool:
    if not _PLAIN_SAFE.match(value):
        return False
    # "on", "1.0", "null" and other resolvable words would change type.
    return bool(yaml.load(value, Loader=_LOADER) == value)
