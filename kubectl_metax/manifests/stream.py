"""Split a YAML stream into documents on its own marker lines, and join them back.

A document starts at a ``---`` line at column 0 (the marker may carry
content or a comment after a space) and ends before the next one, or after
a ``...`` line. Lines before the first marker, and lines after a ``...``,
open an implicit document; comments and ``%`` directives there belong to the
document whose ``---`` follows them. A ``---`` indented inside a block
scalar is content, because YAML markers sit at column 0 only.

Each document keeps its exact text, so a document that nothing changes is
written back byte for byte. The stream's byte order mark is accepted and not
written back; CRLF line ends are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List

from kubectl_metax import errors
from kubectl_metax.i18n import _

BYTE_ORDER_MARK = "\ufeff"

# A marker is "---" or "..." at column 0, alone or followed by white space.
_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
# Lines allowed before the "---" of a document: blank, comment or directive.
_PREFIX_LINE = re.compile(r"[ \t]*(?:#.*)?\r?|%.*")
# surrogateescape decoding turns every byte that is not UTF-8 into one of these.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class MalformedStream(errors.MetaxError):
    """The stream is not UTF-8 YAML made of mappings; the message names the document and line."""

    exit_code = errors.EXIT_PROBLEM


@dataclass(frozen=True)
class Document:
    """One document of a stream, as written."""

    number: int  # 1-based position among the documents of the input stream
    first_line: int  # 1-based stream line on which the document's text starts
    text: str  # the text, marker lines and line ends included

    @property
    def uses_crlf(self) -> bool:
        return "\r\n" in self.text

    def normalized(self) -> str:
        """Return the text with LF line ends, the form the parser positions refer to."""
        return self.text.replace("\r\n", "\n") if self.uses_crlf else self.text

    def error(self, *, line: int, detail: str) -> MalformedStream:
        """Build the error for a problem at a 1-based line of this document's text.

        A line past the text (libyaml marks an unclosed flow collection at
        the end of input) is moved back to the document's last line, so the
        message never names the next document's marker line.
        """
        last_line = self.text.count("\n") + (0 if self.text.endswith("\n") else 1)
        line = min(line, max(last_line, 1))
        return MalformedStream(
            _("document {number} (line {line} of the input): {detail}").format(
                number=self.number, line=self.first_line + line - 1, detail=detail
            )
        )


def decode(data: bytes) -> List[Document]:
    """Decode UTF-8 bytes (a leading BOM allowed) and split them into documents.

    Raises MalformedStream naming the first document and line that hold
    bytes that are not UTF-8.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith(BYTE_ORDER_MARK):
        text = text[len(BYTE_ORDER_MARK) :]
    documents = split(text)
    if not _UNDECODABLE.search(text):
        return documents

    for document in documents:
        match = _UNDECODABLE.search(document.text)
        if match:
            line = document.text.count("\n", 0, match.start()) + 1
            raise document.error(line=line, detail=_("the input is not valid UTF-8"))
    return documents


def split(text: str) -> List[Document]:
    """Split decoded text into documents; see the module docstring for the rules."""
    starts = [0]
    implicit_start = True  # the current document began at the stream start or after "..."

    for match in _MARKER.finditer(text):
        position = match.start()
        if match.group(1) == "...":
            end = text.find("\n", position)
            starts.append(len(text) if end < 0 else end + 1)
            implicit_start = True
            continue
        if implicit_start and _only_prefix_lines(text[starts[-1] : position]):
            implicit_start = False
            continue
        starts.append(position)
        implicit_start = False

    starts.append(len(text))
    documents: List[Document] = []
    line = 1
    for index in range(len(starts) - 1):
        chunk = text[starts[index] : starts[index + 1]]
        if chunk:
            documents.append(Document(number=len(documents) + 1, first_line=line, text=chunk))
            line += chunk.count("\n")
    return documents


def join(texts: Iterable[str]) -> str:
    """Join document texts into one stream, adding the markers and line ends it needs.

    A document after the first gets a ``---`` line when its text has none
    (an implicit document).
    """
    parts: List[str] = []
    for text in texts:
        if parts:
            if not parts[-1].endswith("\n"):
                parts.append("\n")
            if not any(match.group(1) == "---" for match in _MARKER.finditer(text)):
                parts.append("---\n")
        parts.append(text)
    return "".join(parts)


def _only_prefix_lines(text: str) -> bool:
    return all(_PREFIX_LINE.fullmatch(line) for line in text.split("\n"))
