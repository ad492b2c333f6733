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
from typing import Iterable, List

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


def apply(document: stream.Document, replacements: Iterable[Replacement]) -> str:
    """Return the document's text with the replacements spliced in.

    The positions refer to ``document.normalized()``; a CRLF document gets
    its CRLF line ends back.
    """
    text = document.normalized()
    pieces: List[str] = []
    position = 0
    for replacement in sorted(replacements, key=lambda item: item.scalar.start):
        scalar = replacement.scalar
        if scalar.start < position:
            raise ValueError(f"overlapping replacements at offset {scalar.start}")
        new_text = rendered(scalar, replacement.value)
        if scalar.style in ("|", ">"):
            # A block scalar's span ends with its line breaks: keep one, so that the
            # next key stays on its own line.
            new_text += "\n"
        pieces.append(text[position : scalar.start])
        pieces.append(new_text)
        position = scalar.end
    pieces.append(text[position:])
    result = "".join(pieces)
    return result.replace("\n", "\r\n") if document.uses_crlf else result


def _reads_back_plain(value: str) -> bool:
    if not _PLAIN_SAFE.match(value):
        return False
    # "on", "1.0", "null" and other resolvable words would change type.
    return bool(yaml.load(value, Loader=_LOADER) == value)
