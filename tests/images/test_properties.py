"""Properties of the reference grammar and ``classify`` over generated input.

Covers: any reference built from grammar-valid parts prints and parses back
to itself; relocation always yields a parseable reference under the new
registry; ``parse`` raises only InvalidReference and ``classify`` never
raises, whatever the text; every name the builders produce is classified
back with the same fields.

Leaves out: exhaustive grammar coverage; the example tables in
test_references.py pin the specific cases.
"""

from __future__ import annotations

from typing import Optional

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kubectl_metax import imagetable, naming, references

# Bounded so the suite stays fast on a 2-core machine; no deadline because
# tests must not depend on timing.
SETTINGS = settings(max_examples=300, deadline=None)

ALNUM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
SEPARATOR = st.sampled_from([".", "_", "__", "-", "--"])
COMPONENT = st.builds(
    lambda first, rest: first + "".join(separator + part for separator, part in rest),
    ALNUM,
    st.lists(st.tuples(SEPARATOR, ALNUM), max_size=2),
)
PATH = st.lists(COMPONENT, min_size=1, max_size=3).map("/".join)
HOST_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
REGISTRY = st.one_of(
    st.just(""),
    st.just("localhost"),
    st.builds(lambda a, b: f"{a}.{b}", HOST_LABEL, HOST_LABEL),
    st.builds(lambda a, port: f"{a}.example:{port}", HOST_LABEL, st.integers(1, 65535)),
)
TAG = st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True))
DIGEST = st.one_of(
    st.just(""), st.from_regex(r"[0-9a-f]{64}", fullmatch=True).map("sha256:".__add__)
)


@SETTINGS
@given(REGISTRY, PATH, TAG, DIGEST)
def test_reference_round_trips(registry: str, path: str, tag: str, digest: str) -> None:
    # A registry-less path whose first component looks like a host would be
    # read as a registry; Docker does the same, so such inputs are skipped.
    first = path.split("/", maxsplit=1)[0]
    assume(registry or "/" not in path or ("." not in first and first != "localhost"))
    reference = references.ImageReference(registry, path, tag=tag, digest=digest)
    assert references.parse(str(reference)) == reference


@SETTINGS
@given(PATH, TAG, REGISTRY.filter(bool), st.lists(COMPONENT, max_size=2).map("/".join))
def test_relocated_parses_under_registry(path: str, tag: str, host: str, project: str) -> None:
    registry = f"{host}/{project}" if project else host
    relocated = references.ImageReference("", path, tag=tag).relocated(registry)
    assert references.parse(str(relocated)) == relocated
    assert str(relocated).startswith(registry + "/")
    assert relocated.name == path.rsplit("/", 1)[-1]


@SETTINGS
@given(st.text(max_size=80))
def test_parse_raises_only_invalid_reference(text: str) -> None:
    try:
        references.parse(text)
    except references.InvalidReference as error:
        assert str(error)


@SETTINGS
@given(st.text(max_size=80))
def test_classify_never_raises(text: str) -> None:
    image = naming.classify(text)
    assert image is None or image.role in (
        naming.ROLE_DRIVER,
        naming.ROLE_MACA,
        naming.ROLE_COMPONENT,
    )


VERSION = st.lists(st.integers(0, 40), min_size=4, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
DRIVER_VERSION = VERSION.filter(
    lambda text: imagetable.parse_version(text) >= imagetable.DRIVER_IMAGE_SINCE
)
ARCH = st.sampled_from(["amd64", "arm64", "x86_64", "aarch64"])
DISTRO = st.sampled_from(["ubuntu22.04", "ubuntu20.04", "kylinv10sp3", "openeuler22.03", "centos8"])
SITE = st.sampled_from([None, "harbor.example.cn/mximages", "registry.local:5000"])


@SETTINGS
@given(DRIVER_VERSION, ARCH, SITE)
def test_driver_names_classify_back(version: str, arch: str, registry: Optional[str]) -> None:
    image = naming.classify(naming.driver_image(version=version, arch=arch, registry=registry))
    assert image is not None
    assert (image.role, image.version, image.arch) == (
        "driver",
        version,
        naming.normalize_arch(arch),
    )


@SETTINGS
@given(st.sampled_from(sorted(imagetable.PRODUCTS)), VERSION, DISTRO, ARCH, SITE)
def test_maca_names_classify_back(
    gpu: str, version: str, distro: str, arch: str, registry: Optional[str]
) -> None:
    text = naming.maca_image(gpu=gpu, version=version, distro=distro, arch=arch, registry=registry)
    image = naming.classify(text)
    assert image is not None
    assert (image.role, image.version, image.distro) == ("maca", version, distro)
    assert image.arch == naming.normalize_arch(arch)
    assert image.component in {entry.name for entry in imagetable.PRODUCTS[gpu].maca_names}


@SETTINGS
@given(st.sampled_from([component.name for component in imagetable.COMPONENTS]), ARCH, SITE)
def test_component_names_classify_back(component: str, arch: str, registry: Optional[str]) -> None:
    text = naming.component_image(
        component, operator_version="0.11.1", arch=arch, registry=registry
    )
    image = naming.classify(text)
    assert image is not None
    assert (image.role, image.component, image.version) == ("component", component, "0.11.1")
