"""MetaX image naming: the builders, ``classify`` and the normalisers.

Covers: driver, MXMACA and component names for every product and both
architectures, with the vendor registry and relocated to a mirror; the
maca-c500 / maca-native boundary; every builder error with its exit code and
the accepted values it lists; ``classify`` on vendor, mirrored, flattened,
bare and foreign references and on unparsable text; the hook image pin.

Leaves out: offline package file names (test_packages.py) and the CLI.
"""

from __future__ import annotations

import pytest

from kubectl_metax import errors, imagetable, naming, references


@pytest.mark.parametrize(
    "arch, expected",
    [
        ("amd64", "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64"),
        ("x86_64", "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64"),
        ("aarch64", "cr.metax-tech.com/cloud/driver-image:2.24.0.8-arm64"),
        ("ARM64", "cr.metax-tech.com/cloud/driver-image:2.24.0.8-arm64"),
        ("", "cr.metax-tech.com/public-cloud-release/driver-image:2.24.0.8"),
    ],
)
def test_driver_image_per_arch(arch: str, expected: str) -> None:
    assert naming.driver_image(version="2.24.0.8", arch=arch) == expected


def test_driver_image_relocated() -> None:
    image = naming.driver_image(
        version="3.0.11", arch="amd64", registry="harbor.example.cn/mximages"
    )
    assert image == "harbor.example.cn/mximages/driver-image:3.0.11-amd64"


def test_driver_manifest_list_relocated() -> None:
    image = naming.driver_image(version="2.24.0.8", arch="", registry="registry.local:5000")
    assert image == "registry.local:5000/driver-image:2.24.0.8"


MACA = [
    # gpu, version, expected name
    ("MXN100", "2.32.0.6", "maca-n100"),
    ("n100", "2.20.0.1", "maca-n100"),
    ("MXC500", "2.23.9.9", "maca-c500"),
    ("c500", "2.24.0.0", "maca-native"),
    ("mxc500", "2.32.0.6", "maca-native"),
    ("MXC550", "2.20.0.1", "maca-native"),
    ("c600", "3.0.0.8", "maca-native"),
]


@pytest.mark.parametrize("gpu, version, name", MACA)
def test_maca_image_name_per_product(gpu: str, version: str, name: str) -> None:
    image = naming.maca_image(gpu=gpu, version=version, distro="ubuntu22.04", arch="x86_64")
    assert image == f"cr.metax-tech.com/library/{name}:{version}-ubuntu22.04-amd64"


def test_maca_boundary_is_table_data() -> None:
    major, minor = imagetable.MACA_NATIVE_SINCE[:2]
    below = f"{major}.{minor - 1}.99.0"
    assert imagetable.parse_version(below) < imagetable.MACA_NATIVE_SINCE
    assert "maca-c500:" in naming.maca_image(
        gpu="c500", version=below, distro="kylinv10", arch="arm64"
    )


@pytest.mark.parametrize(
    "distro", ["ubuntu22.04", "ubuntu20.04", "kylinv10", "kylinv10sp3", "openeuler22.03", "centos8"]
)
def test_maca_image_accepts_distro(distro: str) -> None:
    image = naming.maca_image(
        gpu="c500",
        version="2.32.0.6",
        distro=distro,
        arch="arm64",
        registry="harbor.example.cn/mximages",
    )
    assert image == f"harbor.example.cn/mximages/maca-native:2.32.0.6-{distro}-arm64"


@pytest.mark.parametrize("component", [component.name for component in imagetable.COMPONENTS])
def test_component_image_per_component(component: str) -> None:
    assert naming.component_image(component, operator_version="0.11.1", arch="aarch64") == (
        f"cr.metax-tech.com/cloud/{component}:0.11.1-arm64"
    )
    assert (
        naming.component_image(
            component, operator_version="0.11.1", arch="", registry="harbor.example.cn/mx"
        )
        == f"harbor.example.cn/mx/{component}:0.11.1"
    )


BAD_CALLS = [
    (lambda: naming.driver_image(version="2.24", arch="amd64"), ["'2.24'", "2.24.0.8"]),
    (lambda: naming.driver_image(version="2.24.0.x", arch="amd64"), ["'2.24.0.x'"]),
    (lambda: naming.driver_image(version="2.23.0.9", arch="amd64"), ["2.23.0.9", "2.24.0"]),
    (
        lambda: naming.driver_image(version="2.24.0.8", arch="riscv64"),
        ["'riscv64'", "amd64", "arm64"],
    ),
    (
        lambda: naming.driver_image(version="2.24.0.8", arch="amd64", registry="harbor"),
        ["'harbor'"],
    ),
    (
        lambda: naming.maca_image(
            gpu="MXC999", version="2.32.0.6", distro="ubuntu22.04", arch="amd64"
        ),
        ["'MXC999'", "MXN100", "MXC500", "MXC550", "MXC600"],
    ),
    (
        lambda: naming.maca_image(gpu="c500", version="v2.32", distro="ubuntu22.04", arch="amd64"),
        ["'v2.32'", "2.32.0.6"],
    ),
    (
        lambda: naming.maca_image(
            gpu="c500", version="2.32.0.6", distro="Ubuntu 22.04", arch="amd64"
        ),
        ["'Ubuntu 22.04'", "ubuntu22.04"],
    ),
    (
        lambda: naming.maca_image(gpu="c500", version="2.32.0.6", distro="ubuntu22.04", arch=""),
        ["''", "amd64"],
    ),
    (
        lambda: naming.component_image("gpu-labels", operator_version="0.11.1", arch="amd64"),
        ["'gpu-labels'", "gpu-label", "mx-exporter"],
    ),
    (
        lambda: naming.component_image("gpu-label", operator_version="0.11", arch="amd64"),
        ["'0.11'", "0.11.1"],
    ),
    (
        lambda: naming.component_image("gpu-label", operator_version="0.11.1", arch=""),
        ["per architecture"],
    ),
]


@pytest.mark.parametrize("call, fragments", BAD_CALLS)
def test_builders_reject_bad_input(call, fragments) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.InvalidInput) as caught:
        call()
    assert caught.value.exit_code == errors.EXIT_INVALID
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("amd64", "amd64"),
        ("x86_64", "amd64"),
        ("X86-64", "amd64"),
        (" aarch64 ", "arm64"),
        ("arm64", "arm64"),
    ],
)
def test_normalize_arch_aliases(text: str, expected: str) -> None:
    assert naming.normalize_arch(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("c500", "MXC500"),
        ("MXC500", "MXC500"),
        ("mxc500", "MXC500"),
        ("mx-c550", "MXC550"),
        ("N100", "MXN100"),
        ("c600", "MXC600"),
    ],
)
def test_normalize_gpu_spellings(text: str, expected: str) -> None:
    assert naming.normalize_gpu(text) == expected


@pytest.mark.parametrize("text", ["", "c700", "MXD100", "gpu"])
def test_normalize_gpu_rejects_unknown(text: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        naming.normalize_gpu(text)
    assert "MXC600" in str(caught.value)


# reference, then "role component version distro arch" with "-" for an empty field
CLASSIFIED = [
    (
        "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64",
        "driver driver-image 2.24.0.8 - amd64",
    ),
    (
        "cr.metax-tech.com/public-cloud-release/driver-image:2.24.0.8",
        "driver driver-image 2.24.0.8 - -",
    ),
    (
        "harbor.example.cn/mximages/driver-image:3.0.11-arm64",
        "driver driver-image 3.0.11 - arm64",
    ),
    ("driver-image:latest", "driver driver-image - - -"),
    (
        "cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-amd64",
        "maca maca-native 2.32.0.6 ubuntu22.04 amd64",
    ),
    (
        "harbor.example.cn/mximages/maca-n100:2.32.0.6-kylinv10-arm64",
        "maca maca-n100 2.32.0.6 kylinv10 arm64",
    ),
    (
        "mxc500-maca:2.29.0.1-ubuntu20.04-amd64",
        "maca mxc500-maca 2.29.0.1 ubuntu20.04 amd64",
    ),
    (
        "cr.metax-tech.com/public-library/maca:2.32.0.6-ubuntu22.04",
        "maca maca 2.32.0.6 ubuntu22.04 -",
    ),
    ("cr.metax-tech.com/public-library/maca:latest", "maca maca - - -"),
    (
        "harbor.example.cn/mx/maca:2.32.0.6-ubuntu22.04-amd64",
        "maca maca 2.32.0.6 ubuntu22.04 amd64",
    ),
    (
        "harbor.example.cn/mx/maca-c700:3.1.0.1-ubuntu24.04-amd64",
        "maca maca-c700 3.1.0.1 ubuntu24.04 amd64",
    ),
    (
        "cr.metax-tech.com/cloud/gpu-label:0.11.1-amd64",
        "component gpu-label 0.11.1 - amd64",
    ),
    ("harbor.example.cn/mximages/gpu-device:0.11.1", "component gpu-device 0.11.1 - -"),
    (
        "registry.local:5000/operator-controller:0.15.0-arm64",
        "component operator-controller 0.15.0 - arm64",
    ),
    ("cr.metax-tech.com/cloud/container-runtime:dev", "component container-runtime - - -"),
    (
        "harbor.example.cn/mx/mx-exporter@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "component mx-exporter - - -",
    ),
]


@pytest.mark.parametrize("text, expected", CLASSIFIED)
def test_classify_recognises_metax(text: str, expected: str) -> None:
    image = naming.classify(text)
    assert image is not None
    fields = (image.role, image.component, image.version, image.distro, image.arch)
    assert " ".join(field or "-" for field in fields) == expected
    assert image.reference == references.parse(text)


def test_classify_takes_parsed_reference() -> None:
    reference = references.parse("harbor.example.cn/mx/gpu-aware:0.11.1-amd64")
    image = naming.classify(reference)
    assert image is not None
    assert image.reference is reference


@pytest.mark.parametrize(
    "text",
    [
        "nginx",
        "nginx:1.27",
        "registry.k8s.io/kubectl:v1.32.3",
        naming.DEFAULT_HOOK_IMAGE,
        "docker.io/bitnami/kubectl:1.30",
        "quay.io/example/container-runtime:latest",
        "harbor.example.cn/x/driver-manager",
        "ghcr.io/example/maca:latest",
        "nvcr.io/nvidia/driver:550",
        "",
        "Not A Reference",
        "r.example/x@sha256:bad",
        "cr.metax-tech.com/cloud/unknown:0.11.1-amd64",
    ],
)
def test_classify_returns_none_for_others(text: str) -> None:
    assert naming.classify(text) is None


def test_classify_never_raises_on_odd_types() -> None:
    assert naming.classify(None) is None  # type: ignore[arg-type]
    assert naming.classify(42) is None  # type: ignore[arg-type]


def test_hook_image_pinned_with_shell_image() -> None:
    reference = references.parse(naming.DEFAULT_HOOK_IMAGE)
    assert reference.registry == "docker.io"
    assert reference.path == "alpine/k8s"
    assert all(part.isdigit() for part in reference.tag.split("."))
    assert len(reference.tag.split(".")) == 3
