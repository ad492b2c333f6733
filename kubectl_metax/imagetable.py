"""The MetaX image naming rules as data: products, registries, names and tag shapes.

A new GPU product, MACA image name, component or registry project is a
one-line change here; ``naming`` and ``packages`` read these tables and hold
no names of their own. Bump TABLE_VERSION with every change so that output
and bug reports say which rules produced a name.

The rules follow the vendor's GPU Operator documentation (chapter
"Support", section "Driver resources": driver and MXMACA image naming and
the product-to-image table). The other variants (mirrored and flattened
names, ``mxc500-maca``, ``public-library/maca``, component bundles) were
seen at sites that run the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

TABLE_VERSION = "1"

Version = Tuple[int, ...]

# The vendor's registry and the projects seen on it.
VENDOR_REGISTRY = "cr.metax-tech.com"
CLOUD_PROJECT = "cloud"  # driver image per arch and operator components
LIBRARY_PROJECT = "library"  # MXMACA images (maca-native, maca-n100, maca-c500)
RELEASE_PROJECT = "public-cloud-release"  # driver image manifest lists (<VERSION>, no arch)
PUBLIC_LIBRARY_PROJECT = "public-library"  # the generic ``maca`` image
VENDOR_PROJECTS = (CLOUD_PROJECT, LIBRARY_PROJECT, RELEASE_PROJECT, PUBLIC_LIBRARY_PROJECT)

# Image architectures as tags spell them, and the spellings of file names
# and `uname -m` that mean the same.
ARCHITECTURES = ("amd64", "arm64")
ARCH_ALIASES: Dict[str, str] = {
    "amd64": "amd64",
    "x86_64": "amd64",
    "x86-64": "amd64",
    "arm64": "arm64",
    "aarch64": "arm64",
}

# Version syntax. Driver and MXMACA releases are dotted numbers such as
# 2.24.0.8 or 2.32.0.6 (three parts are accepted for short forms); operator
# releases (chart and component tags) are three-part, such as 0.11.1.
DRIVER_VERSION_PATTERN = r"[0-9]+\.[0-9]+\.[0-9]+(?:\.[0-9]+)?"
MACA_VERSION_PATTERN = DRIVER_VERSION_PATTERN
OPERATOR_VERSION_PATTERN = r"[0-9]+\.[0-9]+\.[0-9]+"
DRIVER_VERSION_EXAMPLE = "2.24.0.8"
MACA_VERSION_EXAMPLE = "2.32.0.6"
OPERATOR_VERSION_EXAMPLE = "0.11.1"

# The vendor publishes no list of distributions, so this is a pattern rather
# than a closed list. A distribution is a lowercase name and a version,
# optionally followed by lowercase+digit parts such as a service pack
# (ubuntu22.04, ubuntu20.04, kylinv10, kylinv10sp3, openeuler22.03, centos8).
DISTRO_PATTERN = r"[a-z]+[0-9]+(?:\.[0-9]+)*(?:[a-z]+[0-9]+)*"
DISTRO_EXAMPLES = ("ubuntu22.04", "ubuntu20.04", "kylinv10", "openeuler22.03", "centos8")

# The kernel driver image has been published on its own since driver 2.24.0.x;
# earlier drivers shipped inside the operator's own images.
DRIVER_IMAGE_NAME = "driver-image"
DRIVER_IMAGE_SINCE: Version = (2, 24, 0)

# NOTE: the vendor's table gives MXC500 both maca-c500 and maca-native, and
# newer releases use maca-native for the C series. Switching at MXMACA 2.24.0
# is a judgement: the documentation that introduces the separate driver image
# (2.24.0.x on) names the MXMACA image cr.metax-tech.com/library/maca-native.
# Move this boundary when the vendor publishes the real one.
MACA_NATIVE_SINCE: Version = (2, 24, 0)


@dataclass(frozen=True)
class MacaName:
    """One MXMACA image name a product runs, and the MXMACA releases it is built for.

    ``since`` is inclusive and ``until`` exclusive; None leaves that side open.
    ``generated`` names are what ``naming.maca_image`` produces; the others are
    variants seen in the field that a check accepts.
    """

    name: str
    since: Optional[Version] = None
    until: Optional[Version] = None
    generated: bool = True


@dataclass(frozen=True)
class GpuProduct:
    model: str
    family: str
    maca_names: Tuple[MacaName, ...]


# The generic image seen as cr.metax-tech.com/public-library/maca:<tag>. Which
# products it covers is not published, so a check accepts it for every one.
GENERIC_MACA_NAME = "maca"
_GENERIC_MACA = MacaName(GENERIC_MACA_NAME, generated=False)

PRODUCTS: Dict[str, GpuProduct] = {
    "MXN100": GpuProduct("MXN100", "MXN", (MacaName("maca-n100"), _GENERIC_MACA)),
    "MXC500": GpuProduct(
        "MXC500",
        "MXC",
        (
            MacaName("maca-c500", until=MACA_NATIVE_SINCE),
            MacaName("maca-native", since=MACA_NATIVE_SINCE),
            # Loaded without a registry from mxc500-maca-<...>.container.xz.
            MacaName("mxc500-maca", generated=False),
            _GENERIC_MACA,
        ),
    ),
    # NOTE: no MXC550 row exists in the vendor's table; it is a C-series
    # product (node label gpu.family=MXC), so it follows maca-native.
    "MXC550": GpuProduct("MXC550", "MXC", (MacaName("maca-native"), _GENERIC_MACA)),
    "MXC600": GpuProduct("MXC600", "MXC", (MacaName("maca-native"), _GENERIC_MACA)),
}

# Names recognised as MXMACA images beyond the table, so that images of a
# product newer than this table are still classified as MXMACA images.
MACA_NAME_PATTERN = re.compile(r"(?:maca-native|maca|maca-[a-z][0-9]+|mx[a-z][0-9]+-maca)\Z")
# The MXMACA names offline .container.xz files start with (the generic
# ``maca`` image ships no such file), and the ones loaded without a registry.
MACA_PACKAGE_NAMES = r"maca-native|maca-[a-z][0-9]+|mx[a-z][0-9]+-maca"
BARE_MACA_NAME_PATTERN = re.compile(r"mx[a-z][0-9]+-maca\Z")


@dataclass(frozen=True)
class Component:
    """One operator component image, ``cloud/<name>:<OPERATOR_VERSION>-<ARCH>``.

    ``distinctive`` is False for names other projects also use; such an image
    counts as MetaX's only on the vendor registry or with a MetaX-shaped tag.
    ``extension`` marks the scheduler extensions that the
    metax-gpu-extensions chart deploys rather than the operator.
    """

    name: str
    distinctive: bool = True
    extension: bool = False


COMPONENTS: Tuple[Component, ...] = (
    Component("gpu-label"),
    Component("gpu-device"),
    # NOTE: gpu-aware and topo-* are not among the operator's DaemonSets, so
    # they are taken to belong to the extensions chart; this is a judgement.
    Component("gpu-aware", extension=True),
    Component("topo-master", extension=True),
    Component("topo-worker", extension=True),
    Component("operator-controller", distinctive=False),
    Component("container-runtime", distinctive=False),
    Component("driver-manager", distinctive=False),
    Component("vfio-manager", distinctive=False),
    Component("mx-exporter"),
)
COMPONENTS_BY_NAME: Dict[str, Component] = {component.name: component for component in COMPONENTS}


def parse_version(text: str) -> Version:
    """Turn dotted numbers into a tuple for comparison; the caller checks the syntax."""
    return tuple(int(part) for part in text.split("."))


def maca_names_for(product: GpuProduct, version: Version) -> Tuple[MacaName, ...]:
    """Return the MACA names a product runs at an MXMACA release, generated ones first."""
    fitting = [
        entry
        for entry in product.maca_names
        if (entry.since is None or version >= entry.since)
        and (entry.until is None or version < entry.until)
    ]
    return tuple(sorted(fitting, key=lambda entry: not entry.generated))
