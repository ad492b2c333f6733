"""Explain why an image reference that fails to pull is wrong for the node it is for.

The reasons come from the MetaX naming rules in ``naming`` and ``imagetable``:
the architecture suffix of the tag against the node's ``kubernetes.io/arch``,
the MXMACA image name against the node's GPU product
(``metax-tech.com/gpu.product``), the distribution in an MXMACA tag against
the node's OS image, and the driver release that first had a driver image.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from kubectl_metax import imagetable, naming, references
from kubectl_metax.i18n import _
from kubectl_metax.inspection.snapshot import NodeRecord

PRODUCT_LABEL = "metax-tech.com/gpu.product"
ARCH_LABEL = "kubernetes.io/arch"

# "Ubuntu 22.04.4 LTS" -> ubuntu22.04, "Kylin Linux Advanced Server V10 (Sword)" -> kylinv10,
# "openEuler 22.03 (LTS-SP1)" -> openeuler22.03, "CentOS Linux 8" -> centos8.
_OS_NAME = re.compile(r"^\s*([A-Za-z]+)")
_OS_VERSION = re.compile(r"\bv?([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)


def distro_of(os_image: str) -> str:
    """Return the MXMACA tag's distribution for a node OS image, or "" when unrecognised."""
    name = _OS_NAME.match(os_image)
    version = _OS_VERSION.search(os_image)
    if not name or not version:
        return ""
    word = name.group(1).lower()
    number = version.group(1)
    return f"{word}v{number}" if word == "kylin" else f"{word}{number}"


def node_arch(node: NodeRecord) -> str:
    text = node["labels"].get(ARCH_LABEL) or node.get("architecture", "")
    return imagetable.ARCH_ALIASES.get(text.lower(), text.lower())


def _product(node: NodeRecord) -> Optional[imagetable.GpuProduct]:
    label = node["labels"].get(PRODUCT_LABEL, "")
    model = label.upper()
    if model and not model.startswith("MX"):
        model = "MX" + model
    return imagetable.PRODUCTS.get(model)


def _maca_reasons(image: naming.MetaxImage, node: NodeRecord) -> List[str]:
    reasons = []
    product = _product(node)
    if product is not None and image.version:
        fitting = imagetable.maca_names_for(product, imagetable.parse_version(image.version))
        names = [entry.name for entry in fitting]
        if image.component not in names:
            reasons.append(
                _("{product} nodes run MXMACA {version} as {names}, not {name}").format(
                    product=product.model,
                    version=image.version,
                    names=" or ".join(names),
                    name=image.component,
                )
            )
    distro = distro_of(node.get("os_image", ""))
    if image.distro and distro and image.distro != distro:
        reasons.append(
            _("the image is built for {image_distro}, but the node runs {node_distro}").format(
                image_distro=image.distro, node_distro=distro
            )
        )
    return reasons


def check_command(reference: str, node: Optional[NodeRecord]) -> Tuple[str, ...]:
    """Return the `kubectl metax images check` command for the node, or () without its product."""
    if node is None or _product(node) is None or not node_arch(node):
        return ()
    command = (
        f"kubectl metax images check --gpu {node['labels'][PRODUCT_LABEL]} --arch {node_arch(node)}"
    )
    distro = distro_of(node.get("os_image", ""))
    if distro:
        command += f" --distro {distro}"
    return (f"{command} {reference}",)


def explain(reference: str, node: Optional[NodeRecord]) -> List[str]:
    """Return translated reasons why reference does not fit node; empty when none is known."""
    try:
        parsed = references.parse(reference)
    except references.InvalidReference as error:
        return [str(error)]

    image = naming.classify(parsed)
    if image is None:
        return []
    reasons = []
    if not parsed.registry:
        reasons.append(
            _(
                "it names no registry, so the node pulls it from Docker Hub; use the registry "
                "the images were pushed to"
            )
        )
    if node is not None:
        arch = node_arch(node)
        if image.arch and arch and image.arch != arch:
            reasons.append(
                _("the tag is for {image_arch}, but node {node} is {node_arch}").format(
                    image_arch=image.arch, node=node["name"], node_arch=arch
                )
            )
        if image.role == naming.ROLE_MACA:
            reasons += _maca_reasons(image, node)
    too_old = (
        image.role == naming.ROLE_DRIVER
        and bool(image.version)
        and imagetable.parse_version(image.version) < imagetable.DRIVER_IMAGE_SINCE
    )
    if too_old:
        reasons.append(
            _(
                "driver {version} has no driver image: it is published on its own since {since}"
            ).format(
                version=image.version,
                since=".".join(str(part) for part in imagetable.DRIVER_IMAGE_SINCE),
            )
        )
    return reasons
