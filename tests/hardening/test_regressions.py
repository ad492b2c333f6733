"""Inputs that property tests or fuzzing once broke, kept as plain regression tests.

Covers: an alias with no anchor before it, which the parser alone accepts,
in a tree document and in a passed-through one; aliases with their anchor
still accepted and written back unchanged; an unclosed flow collection at
the end of a document located on its own last line. A long image name
that moving to a mirror would push past the 255-character limit is
rejected. unstick reports a failure, not a clean cluster, when it could
not list Deployments.
Leaves out: the generated streams themselves (test_postrender_properties.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from kubectl_metax import cli, references
from kubectl_metax.manifests import stream
from kubectl_metax.postrender import pipeline
from kubectl_metax.postrender.options import Options
from tests.hardening import clusters

OPTIONS = Options(registry="harbor.example.cn/mximages", hook="never").checked()


@pytest.mark.parametrize(
    "document",
    [
        # Found by test_postrender_properties: Helm would fail on the output.
        b"kind: ConfigMap\nmetadata: {name: x}\ndata: *undefined\n",
        b"kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: *driver\n",
    ],
    ids=["passed-through", "tree"],
)
def test_undefined_alias_rejected(document: bytes) -> None:
    data = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" + document
    with pytest.raises(stream.MalformedStream) as raised:
        pipeline.run(data, OPTIONS)
    assert str(raised.value).startswith("document 2 (line ")
    assert "undefined alias" in str(raised.value)


def test_defined_alias_kept() -> None:
    data = b"kind: Role\nmetadata: {name: r}\nrules: [{verbs: ['*'], a: &b x, c: *b}]\n"
    assert pipeline.run(data, OPTIONS).text == data.decode()


def test_unclosed_flow_names_own_line() -> None:
    # Found by test_postrender_properties: libyaml marks the end of input,
    # which was reported as the next document's "---" line (line 5).
    data = b"---\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n---\nkind: A\n"
    with pytest.raises(stream.MalformedStream) as raised:
        pipeline.run(data, OPTIONS)
    assert str(raised.value).startswith("document 1 (line 4 of the input): ")


def test_relocated_long_name_rejected() -> None:
    # Found by fuzz/fuzz_references.py: a name under the limit moved under a
    # registry with a project path went over it, and the post-renderer wrote
    # a reference that its own parser (and the Docker grammar) rejects.
    reference = references.parse("b" * 240 + ":1.0")
    with pytest.raises(references.InvalidReference, match="limit of 255"):
        reference.relocated("harbor.example.cn:8443/mximages")


@pytest.mark.parametrize("fault", [{"code": 500}, {"latency": 1.0}], ids=["500", "timeout"])
def test_unstick_unread_deployments_not_clean(
    fault: Dict[str, Any],
    kubesim_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    # Found by test_unstick_faults: without the Deployments the stuck
    # ClusterOperator was left alone and unstick said "nothing is stuck", exit 0.
    sim = kubesim_factory(state=clusters.operator_only_state())
    sim.faults.add(resource="deployments", times=1, **fault)
    monkeypatch.setenv("KUBECONFIG", str(sim.kubeconfig))
    monkeypatch.setenv("LANG", "C")
    monkeypatch.chdir(tmp_path)
    code = cli.run(["unstick", "--yes", "--request-timeout", "500ms"])
    output = capsys.readouterr()
    assert code == 1
    assert "could not list deployments" in output.err
    assert "nothing is stuck" not in output.out
