"""Output of ``kubectl metax images``: image lists, Helm values, tables and documents.

The command module parses flags; this module turns naming, package and
fitting results into rows and structured documents. Structured keys and
role names stay in English; table headers and verdicts are translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from kubectl_metax import (
    errors,
    fitting,
    imagetable,
    naming,
    packages,
    pushing,
    references,
    texttable,
)
from kubectl_metax.i18n import _

ROLE_HOOK = "hook"


@dataclass(frozen=True)
class ListedImage:
    role: str
    component: str
    reference: str


@dataclass(frozen=True)
class ImageList:
    """The images one kind of node needs, and the inputs that chose them."""

    gpu: str
    arch: str
    driver_version: str
    maca_version: str
    distro: str
    operator_version: str
    registry: str
    images: List[ListedImage]


def image_list(
    *,
    gpu: str,
    arch: str,
    driver_version: str,
    maca_version: str,
    distro: str,
    operator_version: Optional[str] = None,
    registry: Optional[str] = None,
) -> ImageList:
    """Compute every image for a node; raise InvalidInput for any bad value before returning."""
    model = naming.normalize_gpu(gpu)
    arch = naming.normalize_arch(arch)
    driver = naming.driver_image(version=driver_version, arch=arch, registry=registry)
    maca = naming.maca_image(
        gpu=model, version=maca_version, distro=distro, arch=arch, registry=registry
    )
    images = [
        ListedImage(naming.ROLE_DRIVER, imagetable.DRIVER_IMAGE_NAME, driver),
        ListedImage(naming.ROLE_MACA, references.parse(maca).name, maca),
    ]
    if operator_version is not None:
        for component in imagetable.COMPONENTS:
            image = naming.component_image(
                component.name, operator_version=operator_version, arch=arch, registry=registry
            )
            images.append(ListedImage(naming.ROLE_COMPONENT, component.name, image))
    hook = references.parse(naming.DEFAULT_HOOK_IMAGE)
    images.append(ListedImage(ROLE_HOOK, hook.name, str(_relocate(hook, registry))))
    return ImageList(
        gpu=model,
        arch=arch,
        driver_version=driver_version,
        maca_version=maca_version,
        distro=distro,
        operator_version=operator_version or "",
        registry=registry or "",
        images=images,
    )


def helm_values(listing: ImageList) -> Dict[str, Any]:
    """Return the chart values that point the operator at these images."""
    by_role = {image.role: references.parse(image.reference) for image in listing.images}
    driver, maca = by_role[naming.ROLE_DRIVER], by_role[naming.ROLE_MACA]
    default_registry = f"{imagetable.VENDOR_REGISTRY}/{imagetable.CLOUD_PROJECT}"
    # NOTE: driver.payload.version carries the -<ARCH> suffix because the vendor
    # project publishes only per-arch driver tags; whether the operator appends
    # an arch itself is not documented.
    return {
        "registry": listing.registry or default_registry,
        "driver": {
            "payload": {"name": driver.name, "registry": _directory(driver), "version": driver.tag}
        },
        "maca": {"payload": {"registry": _directory(maca), "images": [f"{maca.name}:{maca.tag}"]}},
    }


def list_document(listing: ImageList) -> Dict[str, Any]:
    return {
        "tableVersion": imagetable.TABLE_VERSION,
        "node": {"gpu": listing.gpu, "arch": listing.arch, "distro": listing.distro},
        "versions": {
            "driver": listing.driver_version,
            "maca": listing.maca_version,
            "operator": listing.operator_version,
        },
        "registry": listing.registry,
        "images": [
            {"role": image.role, "component": image.component, "reference": image.reference}
            for image in listing.images
        ],
    }


def list_table(listing: ImageList) -> str:
    rows = [[image.role, image.component, image.reference] for image in listing.images]
    return texttable.render([_("ROLE"), _("COMPONENT"), _("IMAGE")], rows)


def files_table(files: Sequence[packages.PackageFile]) -> str:
    rows: List[List[str]] = []
    for package in files:
        for index, image in enumerate(package.images):
            first = index == 0
            rows.append(
                [
                    package.path if first else "",
                    packages.kind_note(package.kind) if first else "",
                    image,
                ]
            )
    return texttable.render([_("FILE"), _("CONTENTS"), _("IMAGE")], rows)


def files_document(files: Sequence[packages.PackageFile]) -> List[Dict[str, Any]]:
    return [
        {
            "file": package.path,
            "kind": package.kind,
            "version": package.version,
            "distro": package.distro,
            "arch": package.arch,
            "images": list(package.images),
        }
        for package in files
    ]


def push_plan(
    files: Sequence[packages.PackageFile], *, registry: str, tools: Sequence[str], plain_http: bool
) -> Dict[str, List[str]]:
    """Return the push commands per tool for every image of ``files``.

    Raises InvalidInput for a bad registry.
    """
    try:
        references.split_registry(registry)
    except references.InvalidReference as error:
        raise errors.InvalidInput(str(error)) from error
    images = [image for package in files for image in package.images]
    return pushing.commands_by_tool(images, registry=registry, tools=tools, plain_http=plain_http)


def push_script(commands: Dict[str, List[str]]) -> str:
    """Return the commands as a shell script with one commented section per tool."""
    sections = []
    for tool, lines in commands.items():
        sections.append("\n".join([f"# {tool}", *lines]))
    return "\n\n".join(sections) + "\n"


def check_table(verdicts: Sequence[fitting.Fit]) -> str:
    rows = []
    for verdict in verdicts:
        result = _("fits") if verdict.fits else _("does not fit")
        details = _("; ").join([*verdict.problems, *verdict.notes])
        rows.append([verdict.reference, result, details])
    return texttable.render([_("REFERENCE"), _("RESULT"), _("DETAILS")], rows)


def check_document(target: fitting.Node, verdicts: Sequence[fitting.Fit]) -> Dict[str, Any]:
    return {
        "tableVersion": imagetable.TABLE_VERSION,
        "node": {"gpu": target.gpu, "arch": target.arch, "distro": target.distro},
        "results": [
            {
                "reference": verdict.reference,
                "fits": verdict.fits,
                "role": verdict.role,
                "component": verdict.component,
                "problems": verdict.problems,
                "notes": verdict.notes,
            }
            for verdict in verdicts
        ],
    }


def _relocate(
    reference: references.ImageReference, registry: Optional[str]
) -> references.ImageReference:
    if registry is None:
        return reference
    try:
        return reference.relocated(registry)
    except references.InvalidReference as error:
        raise errors.InvalidInput(str(error)) from error


def _directory(reference: references.ImageReference) -> str:
    """Return the registry and project of a reference, without its last component."""
    return reference.repository.rsplit("/", 1)[0]
