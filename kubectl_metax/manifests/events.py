"""Read one document with libyaml's event parser: its shape, and where each scalar sits.

Every document is parsed, so that bad YAML anywhere in a stream is caught,
but only the documents a caller asks about get a tree. The tree is built
from parser events, not by the YAML constructor: leaves are ``Scalar``
values that keep the scalar's text span and quoting style, and no scalar is
resolved to a bool, int or null. That is what lets ``editing`` replace one
scalar in the original text and leave ``on``, ``0755`` or ``"true"`` alone.

Aliases become None leaves, and mappings used as keys are skipped with
their values: Kubernetes manifests use neither where images live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Union

import yaml

from kubectl_metax.i18n import _
from kubectl_metax.manifests import stream

try:
    # libyaml's parser alone, when PyYAML was built with it: no constructor or
    # resolver is set up per document.
    from yaml._yaml import CParser as _PARSER  # noqa: N814
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _PARSER = yaml.SafeLoader  # type: ignore[misc,assignment]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Plain scalars that YAML 1.1 and 1.2 core schemas read as null.
NULL_WORDS = frozenset(["", "~", "null", "Null", "NULL"])

SHAPE_EMPTY = "empty"  # no node at all: blank or comments only
SHAPE_NULL = "null"  # a single null scalar
SHAPE_MAPPING = "mapping"

Node = Union["Scalar", Dict[str, Any], List[Any], None]


class Scalar(NamedTuple):
    """A scalar as written: its value and its span in the document's normalized text.

    A NamedTuple because one is made per scalar of every document read as a tree.
    """

    value: str
    start: int  # character offset where the scalar's text starts
    end: int  # character offset just after it (block scalars include their line breaks)
    style: str  # "" plain, "'" single-quoted, '"' double-quoted, "|" literal, ">" folded
    line: int  # 1-based line within the document


@dataclass(frozen=True)
class Parsed:
    """One parsed document: its shape and, when asked for, the tree of a mapping."""

    shape: str
    root: Optional[Dict[str, Any]] = None


def parse(document: stream.Document, *, build_tree: bool) -> Parsed:
    """Parse a document, raising MalformedStream unless it is empty, null or a mapping."""
    text = document.normalized()
    try:
        parsed = _parse(document, text, build_tree=build_tree)
        if "*" in text:
            _check_aliases(text)
        return parsed
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = _("invalid YAML: {problem}").format(
            problem=" ".join(part for part in (error.context, error.problem) if part)
        )
        raise document.error(line=line, detail=detail) from error
    except yaml.YAMLError as error:
        raise document.error(
            line=1, detail=_("invalid YAML: {problem}").format(problem=error)
        ) from error


def _parse(document: stream.Document, text: str, *, build_tree: bool) -> Parsed:
    parser = _PARSER(text)
    try:
        # Events are pulled from the parser itself: yaml.parse() would add a
        # Python generator step to every event of every document.
        events: Iterator[Any] = iter(parser.get_event, None)
        next(events)  # StreamStartEvent
        start = next(events)
        if isinstance(start, yaml.StreamEndEvent):
            return Parsed(SHAPE_EMPTY)
        first = next(events)

        if _is_null(first):
            _drain(parser)
            return Parsed(SHAPE_NULL)
        if not isinstance(first, yaml.MappingStartEvent):
            raise document.error(
                line=_line(first),
                detail=_("the document is not a mapping; every Kubernetes manifest is a mapping"),
            )

        root = _mapping(events) if build_tree else None
        _drain(parser)
        return Parsed(SHAPE_MAPPING, root)
    finally:
        parser.dispose()


def _check_aliases(text: str) -> None:
    """Raise ComposerError for an alias without an anchor before it.

    The parser alone accepts ``*name`` with no ``&name`` before it, but a
    loader rejects it, and so would Helm when it reads the output. Only
    documents that contain ``*`` pay for composing.
    """
    yaml.compose(text, Loader=_LOADER)


def _line(event: Any) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else 1


def _is_null(event: Any) -> bool:
    return (
        isinstance(event, yaml.ScalarEvent)
        and event.style in ("", None)
        and event.value in NULL_WORDS
        and event.tag in (None, "!", "tag:yaml.org,2002:null")
    )


def _drain(parser: Any) -> None:
    """Parse the rest of the document so that errors anywhere in it are raised.

    ``stream.split`` cuts at every column-0 marker, so no second document can
    follow within the text.
    """
    if hasattr(parser, "raw_parse"):
        parser.raw_parse()  # libyaml: parses to the end in C, building no event objects
        return
    while parser.check_event():
        parser.get_event()


def _node(event: Any, events: Iterator[Any]) -> Node:
    if isinstance(event, yaml.ScalarEvent):
        return _scalar(event)
    if isinstance(event, yaml.MappingStartEvent):
        return _mapping(events)
    if isinstance(event, yaml.SequenceStartEvent):
        return _sequence(events)
    return None  # AliasEvent


def _scalar(event: Any) -> Scalar:
    return Scalar(
        value=event.value,
        start=event.start_mark.index,
        end=event.end_mark.index,
        style=event.style or "",
        line=event.start_mark.line + 1,
    )


def _mapping(events: Iterator[Any]) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for key_event in events:
        if isinstance(key_event, yaml.MappingEndEvent):
            return result
        if isinstance(key_event, yaml.ScalarEvent):
            result[key_event.value] = _node(next(events), events)
            continue
        # An alias or a collection used as a key: read it and its value, keep neither.
        _node(key_event, events)
        _node(next(events), events)
    return result


def _sequence(events: Iterator[Any]) -> List[Any]:
    result: List[Any] = []
    for event in events:
        if isinstance(event, yaml.SequenceEndEvent):
            return result
        result.append(_node(event, events))
    return result
