"""Whether image references fit a node (``kubectl_metax.fitting``).

Covers: each reason a reference does not fit (unparsable, not MetaX, wrong
arch, machine-style arch suffix, MXMACA image for another product, wrong
distribution, tag without a version, driver before separate driver images,
unsuffixed tag on a per-arch vendor project), the cases that fit with a note
(manifest lists, digests, the release-range hint for maca-c500), and node
input validation.

Leaves out: whether a registry really holds the image; that needs the network.
"""

from __future__ import annotations

import pytest

from kubectl_metax import errors, fitting

C500_AMD = fitting.node(gpu="c500", arch="x86_64", distro="ubuntu22.04")

FITTING = [
    "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64",
    "harbor.example.cn/mximages/driver-image:3.0.11-amd64",
    "cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-amd64",
    "mxc500-maca:2.29.0.1-ubuntu22.04-amd64",
    "cr.metax-tech.com/library/maca-c500:2.20.0.5-ubuntu22.04-amd64",
    "cr.metax-tech.com/cloud/gpu-label:0.11.1-amd64",
    "registry.local:5000/operator-controller:0.15.0-amd64",
]


@pytest.mark.parametrize("reference", FITTING)
def test_reference_fits_without_notes(reference: str) -> None:
    verdict = fitting.check(reference, C500_AMD)
    assert verdict.problems == []
    assert verdict.notes == []
    assert verdict.fits


NOT_FITTING = [
    # reference, fragment of the problem
    ("BAD REF", "not a valid image reference"),
    ("nginx:1.27", "not a MetaX image"),
    ("registry.k8s.io/kubectl:v1.32.3", "not a MetaX image"),
    (
        "cr.metax-tech.com/cloud/driver-image:2.24.0.8-arm64",
        "built for arm64, but the node is amd64",
    ),
    ("cr.metax-tech.com/cloud/driver-image:2.24.0.8-x86_64", "x86_64"),
    ("cr.metax-tech.com/cloud/driver-image:2.24.0.8", "only with an -<ARCH> tag"),
    ("cr.metax-tech.com/cloud/driver-image:2.23.0.9-amd64", "since 2.24.0"),
    ("harbor.example.cn/mx/driver-image:latest", "does not name a version"),
    (
        "cr.metax-tech.com/library/maca-n100:2.32.0.6-ubuntu22.04-amd64",
        "for MXN100, not for MXC500",
    ),
    ("harbor.example.cn/mx/maca-native:2.32.0.6-kylinv10-amd64", "the node runs ubuntu22.04"),
    ("harbor.example.cn/mx/maca-native:2.32.0.6-ubuntu22.04-aarch64", "aarch64"),
    ("cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04", "only with an -<ARCH> tag"),
    ("cr.metax-tech.com/cloud/gpu-device:0.11.1", "only with an -<ARCH> tag"),
    ("cr.metax-tech.com/cloud/gpu-device:v0.11.1-amd64", "does not name a version"),
    ("harbor.example.cn/mx/maca-c700:3.1.0.1-ubuntu22.04-amd64", "an unknown product"),
    ("harbor.example.cn/mx/driver-image", "no tag"),
]


@pytest.mark.parametrize("reference, fragment", NOT_FITTING)
def test_reference_does_not_fit(reference: str, fragment: str) -> None:
    verdict = fitting.check(reference, C500_AMD)
    assert not verdict.fits
    assert any(fragment in problem for problem in verdict.problems), verdict.problems


def test_mxc500_maca_only_for_c500() -> None:
    verdict = fitting.check(
        "mxc500-maca:2.29.0.1-ubuntu22.04-amd64", fitting.node(gpu="c600", arch="amd64")
    )
    assert not verdict.fits
    assert "MXC500" in verdict.problems[0]


def test_maca_native_fits_c550() -> None:
    node = fitting.node(gpu="MXC550", arch="arm64")
    verdict = fitting.check(
        "cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-arm64", node
    )
    assert verdict.fits
    assert verdict.role == "maca"
    assert verdict.component == "maca-native"


NOTED = [
    # reference, fragment of the note
    (
        "cr.metax-tech.com/public-cloud-release/driver-image:2.24.0.8",
        "manifest list that includes amd64",
    ),
    ("harbor.example.cn/mx/gpu-label:0.11.1", "manifest list that includes amd64"),
    ("harbor.example.cn/mx/driver-image@sha256:" + "a" * 64, "pinned by digest"),
    ("cr.metax-tech.com/library/maca-c500:2.32.0.6-ubuntu22.04-amd64", "usual name is maca-native"),
    ("cr.metax-tech.com/library/maca-native:2.20.0.1-ubuntu22.04-amd64", "usual name is maca-c500"),
    ("cr.metax-tech.com/public-library/maca:2.32.0.6-ubuntu22.04", "manifest list"),
]


@pytest.mark.parametrize("reference, fragment", NOTED)
def test_reference_fits_with_note(reference: str, fragment: str) -> None:
    verdict = fitting.check(reference, C500_AMD)
    assert verdict.fits, verdict.problems
    assert any(fragment in note for note in verdict.notes), verdict.notes


def test_distro_skipped_when_node_has_none() -> None:
    node = fitting.node(gpu="c500", arch="amd64")
    verdict = fitting.check("harbor.example.cn/mx/maca-native:2.32.0.6-kylinv10-amd64", node)
    assert verdict.fits
    assert node.distro == ""


def test_node_normalises_input() -> None:
    node = fitting.node(gpu="mxc600", arch="aarch64")
    assert node.gpu == "MXC600"
    assert node.arch == "arm64"


@pytest.mark.parametrize(
    "gpu, arch, distro, fragment",
    [
        ("c900", "amd64", "", "'c900'"),
        ("c500", "mips", "", "'mips'"),
        ("c500", "amd64", "Ubuntu", "'Ubuntu'"),
    ],
)
def test_node_rejects_bad_input(gpu: str, arch: str, distro: str, fragment: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        fitting.node(gpu=gpu, arch=arch, distro=distro)
    assert fragment in str(caught.value)
