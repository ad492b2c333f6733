"""Offline package file names mapped to the images they load.

Covers: every file name variant (driver .run with the metax- prefix and
without, MXMACA .container.xz for maca-native, maca-n100, maca-c500 and the
bare mxc500-maca, image bundles with and without an arch, the offline
bundle, the extensions chart), both arch spellings, paths with directories,
the arches listed for arch-less names, and every rejection with the file
named in the message.

Leaves out: reading the files (only names are parsed) and the CLI.
"""

from __future__ import annotations

from typing import List

import pytest

from kubectl_metax import errors, imagetable, packages

DRIVER = "cr.metax-tech.com/cloud/driver-image"
LIBRARY = "cr.metax-tech.com/library"

SINGLE_IMAGE_FILES = [
    # file name, kind, image
    ("metax-k8s-driver-image.2.24.0.8-amd64.run", "driver-image", f"{DRIVER}:2.24.0.8-amd64"),
    ("metax-k8s-driver-image.2.24.0.8-x86_64.run", "driver-image", f"{DRIVER}:2.24.0.8-amd64"),
    ("metax-k8s-driver-image.3.0.11-aarch64.run", "driver-image", f"{DRIVER}:3.0.11-arm64"),
    ("k8s-driver-image.2.25.1.3-x86_64.run", "driver-image", f"{DRIVER}:2.25.1.3-amd64"),
    (
        "/opt/offline/k8s-driver-image.2.25.1.3-arm64.run",
        "driver-image",
        f"{DRIVER}:2.25.1.3-arm64",
    ),
    (
        "maca-native-2.32.0.6-ubuntu22.04-amd64.container.xz",
        "maca-image",
        f"{LIBRARY}/maca-native:2.32.0.6-ubuntu22.04-amd64",
    ),
    (
        "maca-native-2.32.0.6-kylinv10-aarch64.container.xz",
        "maca-image",
        f"{LIBRARY}/maca-native:2.32.0.6-kylinv10-arm64",
    ),
    (
        "./pkgs/maca-n100-2.30.0.2-openeuler22.03-x86_64.container.xz",
        "maca-image",
        f"{LIBRARY}/maca-n100:2.30.0.2-openeuler22.03-amd64",
    ),
    (
        "maca-c500-2.20.0.5-centos8-x86_64.container.xz",
        "maca-image",
        f"{LIBRARY}/maca-c500:2.20.0.5-centos8-amd64",
    ),
    (
        "mxc500-maca-2.29.0.1-ubuntu20.04-x86_64.container.xz",
        "maca-image",
        "mxc500-maca:2.29.0.1-ubuntu20.04-amd64",
    ),
    (
        "C:\\Downloads\\mxc500-maca-2.29.0.1-ubuntu20.04-arm64.container.xz",
        "maca-image",
        "mxc500-maca:2.29.0.1-ubuntu20.04-arm64",
    ),
]


@pytest.mark.parametrize("path, kind, image", SINGLE_IMAGE_FILES)
def test_file_loads_one_image(path: str, kind: str, image: str) -> None:
    package = packages.parse_file_name(path)
    assert package.kind == kind
    assert package.images == (image,)
    assert package.path == path


def test_maca_file_fields() -> None:
    package = packages.parse_file_name("maca-native-2.32.0.6-ubuntu22.04-x86_64.container.xz")
    assert package.version == "2.32.0.6"
    assert package.distro == "ubuntu22.04"
    assert package.arch == "amd64"


def component_images(version: str, arch: str, *, extensions_only: bool = False) -> List[str]:
    return [
        f"cr.metax-tech.com/cloud/{component.name}:{version}-{arch}"
        for component in imagetable.COMPONENTS
        if component.extension or not extensions_only
    ]


@pytest.mark.parametrize(
    "path, kind",
    [
        ("metax-k8s-images.0.11.1.run", "component-images"),
        ("/data/metax-gpu-k8s-package.0.11.1.tar.gz", "offline-bundle"),
    ],
)
def test_bundle_lists_every_component(path: str, kind: str) -> None:
    package = packages.parse_file_name(path)
    assert package.kind == kind
    assert package.version == "0.11.1"
    assert package.arch == ""
    assert list(package.images) == component_images("0.11.1", "amd64") + component_images(
        "0.11.1", "arm64"
    )


def test_bundle_lists_requested_arch() -> None:
    package = packages.parse_file_name("metax-k8s-images.0.15.0.run", arches=["aarch64"])
    assert list(package.images) == component_images("0.15.0", "arm64")


def test_bundle_arch_in_name_wins() -> None:
    package = packages.parse_file_name("metax-k8s-images.0.15.0-x86_64.run", arches=["arm64"])
    assert package.arch == "amd64"
    assert list(package.images) == component_images("0.15.0", "amd64")


def test_extensions_chart_lists_extensions() -> None:
    package = packages.parse_file_name("metax-gpu-extensions-0.11.1.tgz", arches=["amd64"])
    assert package.kind == "extensions-chart"
    assert list(package.images) == component_images("0.11.1", "amd64", extensions_only=True)
    assert len(package.images) == 3


@pytest.mark.parametrize(
    "kind",
    [
        packages.KIND_DRIVER,
        packages.KIND_MACA,
        packages.KIND_COMPONENTS,
        packages.KIND_BUNDLE,
        packages.KIND_EXTENSIONS,
    ],
)
def test_every_kind_has_note(kind: str) -> None:
    assert packages.kind_note(kind)


def test_parse_file_names_keeps_order() -> None:
    names = ["metax-gpu-extensions-0.11.1.tgz", "k8s-driver-image.2.24.0.8-x86_64.run"]
    assert [package.path for package in packages.parse_file_names(names)] == names


REJECTED = [
    # file name, fragments of the message
    ("metax-k8s-driver-image.2.24.0.8.run", ["not a MetaX package file name", "k8s-driver-image"]),
    ("driver.run", ["driver.run", "accepted names"]),
    ("maca-native-2.32.0.6-amd64.container.xz", ["not a MetaX package file name"]),
    ("maca-native-2.32.0.6-ubuntu22.04-amd64.tar", ["not a MetaX package file name"]),
    ("metax-k8s-images.0.11.run", ["not a MetaX package file name"]),
    ("metax-k8s-driver-image.2.24.0.8-riscv64.run", ["riscv64", "amd64"]),
    ("maca-native-2.32.0.6-ubuntu22.04-ppc64le.container.xz", ["ppc64le", "arm64"]),
    ("metax-k8s-driver-image.2.23.0.9-amd64.run", ["2.23.0.9", "2.24.0"]),
    ("/tmp/x/METAX-K8S-IMAGES.0.11.1.RUN", ["/tmp/x/METAX-K8S-IMAGES.0.11.1.RUN"]),
]


@pytest.mark.parametrize("path, fragments", REJECTED)
def test_bad_file_name_rejected(path: str, fragments: List[str]) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        packages.parse_file_name(path)
    message = str(caught.value)
    assert message.startswith(path + ": ")
    for fragment in fragments:
        assert fragment in message


def test_bad_requested_arch_rejected() -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        packages.parse_file_name("metax-k8s-images.0.11.1.run", arches=["sparc"])
    assert "'sparc'" in str(caught.value)
