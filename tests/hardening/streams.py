"""Hypothesis strategies that build YAML streams the way charts and Helm write them.

Each generated document starts with its own marker line (or opens the
stream), so the n-th piece built here is document n for
``kubectl_metax.manifests.stream``. A ``Piece`` records the object it
holds, the lines it spans and whether it is broken on purpose, which lets
the properties name the document and line an error must point at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional, Tuple

import yaml
from hypothesis import strategies as st

from kubectl_metax import imagetable, naming

HELM4_ANNOTATION = "postrenderer.helm.sh/postrender-filename"
REGISTRY = "harbor.example.cn/mximages"

METAX_IMAGES = (
    naming.driver_image(version=imagetable.DRIVER_VERSION_EXAMPLE, arch="amd64"),
    naming.driver_image(version=imagetable.DRIVER_VERSION_EXAMPLE, arch=""),
    naming.component_image(
        "gpu-label", operator_version=imagetable.OPERATOR_VERSION_EXAMPLE, arch="arm64"
    ),
    naming.component_image(
        "operator-controller", operator_version=imagetable.OPERATOR_VERSION_EXAMPLE, arch="amd64"
    ),
    naming.maca_image(
        gpu="MXC500",
        version=imagetable.MACA_VERSION_EXAMPLE,
        distro="ubuntu22.04",
        arch="amd64",
    ),
)
OTHER_IMAGES = ("nginx:1.27", "registry.k8s.io/pause:3.10", "docker.io/alpine/k8s:1.34.1")
KINDS = ("ConfigMap", "Pod", "Service", "Deployment", "ClusterOperator")
BROKEN_BODIES = (
    "kind: ConfigMap\nmetadata:\n  name: [unclosed\n",
    "- just\n- a list\n",
    "a plain scalar document\n",
    "kind: ConfigMap\nmetadata:\n  name: x\n   bad: indentation\n",
    "kind: ConfigMap\n\tdata: tab\n",
    "kind: ConfigMap\nmetadata: {name: x}\ndata: *undefined\n",
)


@dataclass(frozen=True)
class Piece:
    """One document as generated: its text and what it stands for."""

    text: str
    key: Optional[Tuple[str, str, str]]  # (kind, namespace, name); None for a dropped document
    broken: bool = False


# Names YAML would read as another type ("no", "on") are left out: Helm quotes those.
names = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True).filter(
    lambda name: yaml.safe_load(name) == name
)
namespaces = st.one_of(st.just(""), names)
images = st.sampled_from(METAX_IMAGES + OTHER_IMAGES)
# Text for block scalars: lines that look like markers once indented, and plain words.
block_lines = st.lists(
    st.sampled_from(["---", "...", "--- # not a marker", "key: value", "# hash", "word", ""]),
    min_size=1,
    max_size=4,
)
separators = st.sampled_from(["---\n", "--- # rendered from a template\n", "---   \n", "---\t\n"])


def _metadata(name: str, namespace: str, helm4: bool, anchor: bool) -> str:
    lines = ["metadata:"]
    if anchor:
        lines = ["metadata: &meta"]
    lines.append(f"  name: {name}")
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if helm4:
        lines.append("  annotations:")
        lines.append(f"    {HELM4_ANNOTATION}: chart/templates/{name}.yaml")
    return "\n".join(lines) + "\n"


@st.composite
def block_document(draw: st.DrawFn) -> Piece:
    """A block-style manifest with comments, block scalars, anchors and an image."""
    kind = draw(st.sampled_from(KINDS))
    name, namespace = draw(names), draw(namespaces)
    helm4, anchor = draw(st.booleans()), draw(st.booleans())
    image = draw(images)
    indicator = draw(st.sampled_from(["|", "|-", "|+", ">", ">-"]))
    content = "".join(f"    {line}\n" if line else "\n" for line in draw(block_lines))

    text = "# Source: chart/templates/" + name + ".yaml\n"
    text += f"apiVersion: v1\nkind: {kind}\n"
    text += _metadata(name, namespace, helm4, anchor)
    text += f"data:\n  script: {indicator}\n{content}"
    text += "  note: 'quoted # not a comment'  # a comment\n"
    if anchor:
        text += "copy: *meta\n"
    image_style = draw(st.sampled_from(["{}", "'{}'", '"{}"']))
    text += "spec:\n  containers:\n  - name: main\n"
    text += f"    image: {image_style.format(image)}  # pinned\n"
    return Piece(text, (kind, namespace, name))


@st.composite
def flow_document(draw: st.DrawFn) -> Piece:
    """A manifest written in flow style on one or a few lines."""
    kind = draw(st.sampled_from(KINDS))
    name, namespace = draw(names), draw(namespaces)
    image = draw(images)
    metadata = f"name: {name}" + (f", namespace: {namespace}" if namespace else "")
    text = (
        f"{{apiVersion: v1, kind: {kind}, metadata: {{{metadata}}},\n"
        f"  spec: {{containers: [{{name: c, image: '{image}'}}]}}}}\n"
    )
    return Piece(text, (kind, namespace, name))


@st.composite
def json_document(draw: st.DrawFn) -> Piece:
    """A manifest written as JSON, as some tools render them."""
    kind = draw(st.sampled_from(KINDS))
    name, namespace = draw(names), draw(namespaces)
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    if draw(st.booleans()):
        metadata["annotations"] = {HELM4_ANNOTATION: f"chart/templates/{name}.json"}
    manifest = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": metadata,
        "spec": {"containers": [{"name": "c", "image": draw(images)}]},
    }
    indent = draw(st.sampled_from([None, 2]))
    return Piece(json.dumps(manifest, indent=indent) + "\n", (kind, namespace, name))


dropped_documents = st.sampled_from(["", "# only a comment\n", "null\n", "~\n", "\n\n"]).map(
    lambda text: Piece(text, None)
)
broken_documents = st.sampled_from(BROKEN_BODIES).map(lambda text: Piece(text, None, broken=True))


@dataclass(frozen=True)
class Stream:
    """A generated stream and the pieces it was built from."""

    data: bytes
    pieces: List[Piece]
    first_lines: List[int]  # 1-based input line where each piece's marker or text starts
    crlf: bool


@st.composite
def streams(draw: st.DrawFn, *, allow_broken: bool) -> Stream:
    """Build a stream of 1 to 6 documents with mixed separators, CRLF and a BOM."""
    kinds = [block_document(), flow_document(), json_document(), dropped_documents]
    if allow_broken:
        kinds.append(broken_documents)
    pieces = draw(st.lists(st.one_of(*kinds), min_size=1, max_size=6))

    parts: List[str] = []
    first_lines: List[int] = []
    line = 1
    for index, piece in enumerate(pieces):
        # Only a mapping may open the stream without a marker: a comment-only
        # or empty first piece would merge into the next document.
        implicit = index == 0 and piece.key is not None and draw(st.booleans())
        marker = "" if implicit else draw(separators)
        end = "...\n" if draw(st.integers(0, 4)) == 0 else ""
        chunk = marker + piece.text + end
        first_lines.append(line)
        line += chunk.count("\n")
        parts.append(chunk)

    text = "".join(parts)
    crlf = draw(st.booleans())
    if crlf:
        text = text.replace("\n", "\r\n")
    bom = "\ufeff" if draw(st.booleans()) else ""
    return Stream((bom + text).encode("utf-8"), pieces, first_lines, crlf)
