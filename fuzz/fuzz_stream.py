"""atheris harness: split and parse arbitrary bytes as a YAML stream.

Checks, for every input: ``stream.decode`` either raises MalformedStream
or returns documents whose texts, joined, are the decoded input; numbers
run 1, 2, 3...; each ``first_line`` is the line where that text starts;
``events.parse`` of each document raises nothing but MalformedStream; and
the whole post-renderer (``pipeline.run``) raises nothing but the
project's own errors. Any other exception is a crash that atheris reports
with the input that caused it.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from kubectl_metax import errors
    from kubectl_metax.manifests import events, stream
    from kubectl_metax.postrender import pipeline
    from kubectl_metax.postrender.options import Options

OPTIONS = Options(registry="harbor.example.cn/mximages", gpu="MXC500", arch="amd64").checked()


def check_split(data: bytes) -> None:
    try:
        documents = stream.decode(data)
    except stream.MalformedStream:
        return
    text = data.decode("utf-8")
    if text.startswith(stream.BYTE_ORDER_MARK):
        text = text[len(stream.BYTE_ORDER_MARK) :]
    assert "".join(document.text for document in documents) == text

    line = 1
    for number, document in enumerate(documents, start=1):
        assert document.number == number
        assert document.first_line == line
        assert document.text, "an empty document was returned"
        line += document.text.count("\n")
        with contextlib.suppress(stream.MalformedStream):
            events.parse(document, build_tree=True)


def check_pipeline(data: bytes) -> None:
    try:
        result = pipeline.run(data, OPTIONS)
    except errors.MetaxError:
        return
    # The output must itself be accepted, and be a fixed point.
    again = pipeline.run(result.text.encode("utf-8"), OPTIONS)
    assert again.text == result.text, "a second run changed the output"


def test_one_input(data: bytes) -> None:
    check_split(data)
    check_pipeline(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
