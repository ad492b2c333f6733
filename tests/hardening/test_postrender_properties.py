"""Properties of the post-renderer over generated YAML streams.

Covers: streams of block, flow and JSON documents with and without MetaX
images, comments, anchors and aliases, block scalars (``|``, ``|-``,
``|+``, ``>``, ``>-``) holding ``---`` and ``...`` lines, separators with a
comment or trailing white space, ``...`` ends, comment-only and null
documents, CRLF, a BOM and Helm 4 filename annotations; some streams hold a
broken document. For each, ``pipeline.run`` either returns a stream that
parses, keeps every object (kind, namespace, name), keeps each untouched
document byte for byte and is a fixed point, or raises MalformedStream
naming the broken document and a line inside it. A few examples go through
the CLI too: exit 0 with the same output, or exit 1 with empty stdout, the
located message and no traceback.

Leaves out: the hook (tests/post_render/test_hook.py) and byte-level
garbage (fuzz/fuzz_stream.py and its regression tests).
"""

from __future__ import annotations

import re
from typing import Any, List, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from kubectl_metax.manifests import stream
from kubectl_metax.postrender import pipeline
from kubectl_metax.postrender.options import Options
from tests.hardening import streams
from tests.post_render.conftest import post_render

OPTIONS = Options(registry=streams.REGISTRY, hook="never").checked()
LOCATED = re.compile(r"document (\d+) \(line (\d+) of the input\): ")
# Bounded so the module stays well under a minute on two cores; derandomized
# so that CI sees the same examples on every run.
PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
CLI_SETTINGS = settings(max_examples=6, deadline=None, derandomize=True)
# libyaml, as the post-renderer uses: pure-Python PyYAML rejects "---" followed
# by a tab, which YAML 1.2 allows (a marker is followed by any white space).
LOADER = yaml.CSafeLoader


def _objects(text: str) -> List[Tuple[str, str, str]]:
    keys = []
    for manifest in yaml.load_all(text, Loader=LOADER):
        if manifest is None:
            continue
        metadata = manifest.get("metadata") or {}
        keys.append((manifest["kind"], metadata.get("namespace", ""), metadata["name"]))
    return sorted(keys)


def _expected_objects(generated: streams.Stream) -> List[Tuple[str, str, str]]:
    return sorted(piece.key for piece in generated.pieces if piece.key is not None)


def _input_text(generated: streams.Stream) -> str:
    return generated.data.decode("utf-8").lstrip(stream.BYTE_ORDER_MARK)


def _check_success(generated: streams.Stream, result: pipeline.Result) -> None:
    assert not any(piece.broken for piece in generated.pieces)
    assert _objects(result.text) == _expected_objects(generated)

    # Documents nothing changed come out as they went in, in order.
    changed = {number for number, _change in result.changes}
    position = 0
    for document in stream.split(_input_text(generated)):
        kept = isinstance(yaml.load(document.text, Loader=LOADER), dict)
        if not kept or document.number in changed:
            continue
        found = result.text.find(document.text, position)
        assert found >= 0, f"document {document.number} was not kept byte for byte"
        position = found + len(document.text)

    if generated.crlf:
        assert "\n" not in result.text.replace("\r\n", "")
    for _number, change in result.changes:
        assert change.new.startswith(streams.REGISTRY + "/")


def _check_failure(generated: streams.Stream, message: str) -> None:
    broken = [index for index, piece in enumerate(generated.pieces) if piece.broken]
    assert broken, f"a valid stream was rejected: {message}"
    match = LOCATED.match(message)
    assert match, f"the message does not name a document and line: {message}"

    first = broken[0]
    assert int(match.group(1)) == first + 1
    last_line = (
        generated.first_lines[first + 1] - 1
        if first + 1 < len(generated.first_lines)
        else _input_text(generated).count("\n") + 1
    )
    assert generated.first_lines[first] <= int(match.group(2)) <= last_line


@PROPERTY_SETTINGS
@given(generated=streams.streams(allow_broken=False))
def test_valid_streams_kept_and_stable(generated: streams.Stream) -> None:
    result = pipeline.run(generated.data, OPTIONS)
    _check_success(generated, result)
    again = pipeline.run(result.text.encode("utf-8"), OPTIONS)
    assert again.text == result.text
    assert again.changes == []


@PROPERTY_SETTINGS
@given(generated=streams.streams(allow_broken=True))
def test_any_stream_kept_or_located(generated: streams.Stream) -> None:
    try:
        result = pipeline.run(generated.data, OPTIONS)
    except stream.MalformedStream as error:
        _check_failure(generated, str(error))
        return
    _check_success(generated, result)
    assert pipeline.run(result.text.encode("utf-8"), OPTIONS).text == result.text


@pytest.mark.parametrize("allow_broken", [False, True], ids=["valid", "maybe-broken"])
def test_cli_matches_pipeline(allow_broken: bool) -> None:
    @CLI_SETTINGS
    @given(generated=streams.streams(allow_broken=allow_broken))
    def check(generated: streams.Stream) -> None:
        completed = post_render(generated.data, "--registry", streams.REGISTRY, "--hook", "never")
        assert "Traceback" not in completed.stderr
        if completed.returncode == 0:
            assert completed.text == pipeline.run(generated.data, OPTIONS).text
            _check_success(generated, pipeline.run(generated.data, OPTIONS))
            return
        assert completed.returncode == 1, completed.stderr
        assert completed.stdout == b""
        located = LOCATED.search(completed.stderr)
        assert located, completed.stderr
        _check_failure(generated, completed.stderr[located.start() :])

    check()


def test_strategies_reach_both_outcomes() -> None:
    """The broken-stream strategy yields both rejected and accepted streams."""
    outcomes: List[Any] = []

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(generated=streams.streams(allow_broken=True))
    def collect(generated: streams.Stream) -> None:
        try:
            pipeline.run(generated.data, OPTIONS)
            outcomes.append("ok")
        except stream.MalformedStream:
            outcomes.append("error")

    collect()
    assert "ok" in outcomes
    assert "error" in outcomes
