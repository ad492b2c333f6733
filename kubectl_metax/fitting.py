"""Whether an image reference fits a node: GPU product, architecture, distribution.

A reference does not fit when:

- it does not parse, or is not a MetaX image;
- its tag names another architecture or distribution, or names no version;
- it is an MXMACA image for another GPU product;
- it names a driver older than the first separately published driver image;
- it has an unsuffixed tag on a vendor project that publishes only
  ``-<ARCH>`` tags, or no tag and no digest at all.

An unsuffixed tag elsewhere is taken as a manifest list or a single-arch
mirror and fits with a note, because only the registry can tell which; so
does a digest without a tag. Notes never fail a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from kubectl_metax import imagetable, naming, references
from kubectl_metax.i18n import _

# Projects on the vendor registry that publish only per-arch tags.
_PER_ARCH_PROJECTS = (imagetable.CLOUD_PROJECT, imagetable.LIBRARY_PROJECT)
_MACHINE_ARCH_SUFFIX = re.compile(r"-(x86_64|x86-64|aarch64)\Z")
# The tag shape of each role, and an example tag.
_TAG_SHAPES: Dict[str, Tuple[str, str]] = {
    naming.ROLE_DRIVER: ("<VERSION>[-<ARCH>]", imagetable.DRIVER_VERSION_EXAMPLE + "-amd64"),
    naming.ROLE_MACA: (
        "<VERSION>-<DISTRO>[-<ARCH>]",
        imagetable.MACA_VERSION_EXAMPLE + "-ubuntu22.04-amd64",
    ),
    naming.ROLE_COMPONENT: ("<VERSION>[-<ARCH>]", imagetable.OPERATOR_VERSION_EXAMPLE + "-amd64"),
}


@dataclass(frozen=True)
class Node:
    """The node a check targets: GPU product (normalised), image arch, optional distribution."""

    gpu: str
    arch: str
    distro: str = ""


@dataclass
class Fit:
    """The verdict for one reference; ``problems`` empty means it fits."""

    reference: str
    role: str = ""
    component: str = ""
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.problems


def node(*, gpu: str, arch: str, distro: str = "") -> Node:
    """Build a Node from user input; raise InvalidInput for an unknown product, arch or distro."""
    if distro:
        naming.check_distro(distro)
    return Node(gpu=naming.normalize_gpu(gpu), arch=naming.normalize_arch(arch), distro=distro)


def check(text: str, target: Node) -> Fit:
    """Check one reference against a node; never raises for bad references."""
    verdict = Fit(reference=text)
    try:
        reference = references.parse(text)
    except references.InvalidReference as error:
        verdict.problems.append(_("not a valid image reference: {reason}").format(reason=error))
        return verdict

    image = naming.classify(reference)
    if image is None:
        verdict.problems.append(_("not a MetaX image"))
        return verdict
    verdict.role, verdict.component = image.role, image.component

    _check_tag(image, target, verdict)
    if image.role == naming.ROLE_DRIVER and image.version:
        _check_driver_version(image, verdict)
    if image.role == naming.ROLE_MACA:
        _check_product(image, target, verdict)
        _check_distro(image, target, verdict)
    return verdict


def _check_tag(image: naming.MetaxImage, target: Node, verdict: Fit) -> None:
    reference = image.reference
    if not reference.tag and reference.digest:
        verdict.notes.append(
            _("pinned by digest only: the architecture and version cannot be checked offline")
        )
        return
    if not reference.tag:
        verdict.problems.append(
            _("the reference has no tag, so it pulls latest, which names no version")
        )
        return

    machine_suffix = _MACHINE_ARCH_SUFFIX.search(reference.tag)
    if machine_suffix:
        verdict.problems.append(
            _("the tag spells the architecture {spelling}; MetaX image tags use {arch}").format(
                spelling=machine_suffix.group(1),
                arch=naming.normalize_arch(machine_suffix.group(1)),
            )
        )
        return
    if not image.version:
        shape, example = _TAG_SHAPES[image.role]
        verdict.problems.append(
            _("tag {tag!r} does not name a version; expected {shape}, such as {example}").format(
                tag=reference.tag, shape=shape, example=example
            )
        )
        return

    if image.arch:
        if image.arch != target.arch:
            verdict.problems.append(
                _("built for {image_arch}, but the node is {node_arch}").format(
                    image_arch=image.arch, node_arch=target.arch
                )
            )
        return
    if (
        reference.registry == imagetable.VENDOR_REGISTRY
        and _project(reference) in _PER_ARCH_PROJECTS
    ):
        verdict.problems.append(
            _(
                "{registry}/{project} publishes this image only with an -<ARCH> tag; "
                "use {tag}-{arch}"
            ).format(
                registry=reference.registry,
                project=_project(reference),
                tag=reference.tag,
                arch=target.arch,
            )
        )
        return
    verdict.notes.append(
        _(
            "the tag has no architecture: it must be a manifest list that includes {arch}, "
            "or an image built for {arch}"
        ).format(arch=target.arch)
    )


def _check_driver_version(image: naming.MetaxImage, verdict: Fit) -> None:
    if imagetable.parse_version(image.version) < imagetable.DRIVER_IMAGE_SINCE:
        verdict.problems.append(
            _(
                "driver {version} has no driver image: it is published on its own since {since}"
            ).format(
                version=image.version,
                since=".".join(str(part) for part in imagetable.DRIVER_IMAGE_SINCE),
            )
        )


def _check_product(image: naming.MetaxImage, target: Node, verdict: Fit) -> None:
    product = imagetable.PRODUCTS[target.gpu]
    if image.component not in {entry.name for entry in product.maca_names}:
        owners = [
            model
            for model, other in imagetable.PRODUCTS.items()
            if image.component in {e.name for e in other.maca_names}
        ]
        verdict.problems.append(
            _("{name} is the MXMACA image for {owners}, not for {gpu}").format(
                name=image.component,
                owners=", ".join(owners) or _("an unknown product"),
                gpu=target.gpu,
            )
        )
        return
    if not image.version:
        return

    expected = _expected_maca_name(product, image.version)
    known_names = {
        entry.name
        for entry in imagetable.maca_names_for(product, imagetable.parse_version(image.version))
    }
    if expected and image.component not in known_names:
        verdict.notes.append(
            _("for {gpu} at MXMACA {version} the usual name is {expected}").format(
                gpu=target.gpu, version=image.version, expected=expected
            )
        )


def _check_distro(image: naming.MetaxImage, target: Node, verdict: Fit) -> None:
    if not target.distro:
        return
    if not image.distro:
        if image.reference.tag:
            verdict.notes.append(_("the tag names no distribution"))
        return
    if image.distro != target.distro:
        verdict.problems.append(
            _("built for {image_distro}, but the node runs {node_distro}").format(
                image_distro=image.distro, node_distro=target.distro
            )
        )


def _expected_maca_name(product: imagetable.GpuProduct, version: str) -> Optional[str]:
    for entry in imagetable.maca_names_for(product, imagetable.parse_version(version)):
        if entry.generated:
            return entry.name
    return None


def _project(reference: references.ImageReference) -> str:
    return reference.path.split("/", 1)[0] if "/" in reference.path else ""
