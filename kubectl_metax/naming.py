"""MetaX image names: build them from versions, and recognise them in references.

All names, projects and tag shapes come from ``imagetable``. Builders raise
``errors.InvalidInput`` with a translated message that names the bad value
and what is accepted; ``classify`` never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple, Union

from kubectl_metax import errors, imagetable, references
from kubectl_metax.i18n import _

# The image the post-renderer's pre-delete hook Job runs. It needs `sh` and
# `kubectl`: registry.k8s.io/kubectl has no shell and Bitnami withdrew its
# free tags in 2025. alpine/k8s (Alpine with kubectl, helm and a shell,
# published by the alpine-docker project on Docker Hub) is pinned to an exact
# tag; 1.34.1 is the tag public manifests pin after moving off bitnami/kubectl.
DEFAULT_HOOK_IMAGE = "docker.io/alpine/k8s:1.34.1"

ROLE_DRIVER = "driver"
ROLE_MACA = "maca"
ROLE_COMPONENT = "component"

_DRIVER_VERSION = re.compile(imagetable.DRIVER_VERSION_PATTERN + r"\Z")
_MACA_VERSION = re.compile(imagetable.MACA_VERSION_PATTERN + r"\Z")
_OPERATOR_VERSION = re.compile(imagetable.OPERATOR_VERSION_PATTERN + r"\Z")
_DISTRO = re.compile(imagetable.DISTRO_PATTERN + r"\Z")
_MACA_TAG = re.compile(
    rf"(?P<version>{imagetable.MACA_VERSION_PATTERN})(?:-(?P<distro>{imagetable.DISTRO_PATTERN}))?\Z"
)


@dataclass(frozen=True)
class MetaxImage:
    """A reference recognised as a MetaX image, with the fields its tag carries."""

    role: str
    reference: references.ImageReference
    component: str
    version: str = ""
    distro: str = ""
    arch: str = ""


def classify(reference: Union[str, references.ImageReference]) -> Optional[MetaxImage]:
    """Recognise a MetaX image by its repository name, on any registry.

    Returns None for other images and for text that does not parse. Names
    that other projects also use (``container-runtime``, ``maca``...) count
    only on the vendor registry or with a tag of the MetaX shape.
    """
    if isinstance(reference, references.ImageReference):
        parsed = reference
    else:
        try:
            parsed = references.parse(reference)
        except (references.InvalidReference, TypeError):
            return None

    if parsed.name == imagetable.DRIVER_IMAGE_NAME:
        rest, arch = _split_arch(parsed.tag)
        version = rest if _DRIVER_VERSION.match(rest) else ""
        return MetaxImage(ROLE_DRIVER, parsed, parsed.name, version=version, arch=arch)
    if imagetable.MACA_NAME_PATTERN.match(parsed.name):
        return _classify_maca(parsed)
    if parsed.name in imagetable.COMPONENTS_BY_NAME:
        return _classify_component(parsed)
    return None


def _classify_maca(reference: references.ImageReference) -> Optional[MetaxImage]:
    rest, arch = _split_arch(reference.tag)
    match = _MACA_TAG.match(rest)
    generic = reference.name == imagetable.GENERIC_MACA_NAME
    if generic and reference.registry != imagetable.VENDOR_REGISTRY and not match:
        return None
    version = match.group("version") if match else ""
    distro = (match.group("distro") or "") if match else ""
    return MetaxImage(
        ROLE_MACA, reference, reference.name, version=version, distro=distro, arch=arch
    )


def _classify_component(reference: references.ImageReference) -> Optional[MetaxImage]:
    component = imagetable.COMPONENTS_BY_NAME[reference.name]
    rest, arch = _split_arch(reference.tag)
    version = rest if _OPERATOR_VERSION.match(rest) else ""
    if (
        not component.distinctive
        and reference.registry != imagetable.VENDOR_REGISTRY
        and not version
    ):
        return None
    return MetaxImage(ROLE_COMPONENT, reference, reference.name, version=version, arch=arch)


def driver_image(*, version: str, arch: str, registry: Optional[str] = None) -> str:
    """Return the kernel driver image for a driver release.

    ``arch=""`` names the manifest list ``driver-image:<VERSION>``, which the
    vendor publishes under public-cloud-release and sites create when they push.
    """
    check_driver_version(version)
    if arch:
        tag = f"{version}-{normalize_arch(arch)}"
        project = imagetable.CLOUD_PROJECT
    else:
        tag = version
        project = imagetable.RELEASE_PROJECT
    reference = references.ImageReference(
        imagetable.VENDOR_REGISTRY, f"{project}/{imagetable.DRIVER_IMAGE_NAME}", tag=tag
    )
    return _placed(reference, registry)


def maca_image(
    *, gpu: str, version: str, distro: str, arch: str, registry: Optional[str] = None
) -> str:
    """Return the MXMACA image for a GPU product, release, distribution and arch."""
    return _placed(maca_reference(gpu=gpu, version=version, distro=distro, arch=arch), registry)


def maca_reference(*, gpu: str, version: str, distro: str, arch: str) -> references.ImageReference:
    """Return the vendor's MXMACA image reference; see ``maca_image``."""
    product = imagetable.PRODUCTS[normalize_gpu(gpu)]
    check_maca_version(version)
    check_distro(distro)
    names = imagetable.maca_names_for(product, imagetable.parse_version(version))
    generated = [entry.name for entry in names if entry.generated]
    if not generated:
        raise errors.InvalidInput(
            _("no MXMACA image name is known for {gpu} at MXMACA {version}").format(
                gpu=product.model, version=version
            )
        )
    tag = f"{version}-{distro}-{normalize_arch(arch)}"
    return references.ImageReference(
        imagetable.VENDOR_REGISTRY, f"{imagetable.LIBRARY_PROJECT}/{generated[0]}", tag=tag
    )


def component_image(
    component: str, *, operator_version: str, arch: str, registry: Optional[str] = None
) -> str:
    """Return an operator component image, ``<component>:<OPERATOR_VERSION>-<ARCH>``.

    ``arch=""`` names the manifest list ``<component>:<OPERATOR_VERSION>``,
    which exists only in a registry the images were pushed to, so it needs
    ``registry``.
    """
    if component not in imagetable.COMPONENTS_BY_NAME:
        raise errors.InvalidInput(
            _("unknown operator component {component!r}; known components: {known}").format(
                component=component, known=", ".join(sorted(imagetable.COMPONENTS_BY_NAME))
            )
        )
    check_operator_version(operator_version)
    if not arch and registry is None:
        raise errors.InvalidInput(
            _(
                "the vendor registry publishes {component} only per architecture: "
                "give an architecture, or the registry that holds the manifest list"
            ).format(component=component)
        )
    tag = f"{operator_version}-{normalize_arch(arch)}" if arch else operator_version
    reference = references.ImageReference(
        imagetable.VENDOR_REGISTRY, f"{imagetable.CLOUD_PROJECT}/{component}", tag=tag
    )
    return _placed(reference, registry)


def normalize_arch(text: str) -> str:
    """Map x86_64/amd64 to amd64 and aarch64/arm64 to arm64; raise InvalidInput otherwise."""
    arch = imagetable.ARCH_ALIASES.get(text.strip().lower()) if isinstance(text, str) else None
    if arch is None:
        raise errors.InvalidInput(
            _(
                "unknown architecture {arch!r}; use one of: amd64 (or x86_64), arm64 (or aarch64)"
            ).format(arch=text)
        )
    return arch


def normalize_gpu(text: str) -> str:
    """Map "c500", "MXC500" or "mxc500" to "MXC500"; raise InvalidInput for unknown products."""
    model = re.sub(r"[\s_-]", "", text).upper() if isinstance(text, str) else ""
    if model and not model.startswith("MX"):
        model = "MX" + model
    if model not in imagetable.PRODUCTS:
        raise errors.InvalidInput(
            _("unknown GPU product {gpu!r}; known products: {known}").format(
                gpu=text, known=", ".join(imagetable.PRODUCTS)
            )
        )
    return model


def check_maca_version(version: str) -> None:
    if not _MACA_VERSION.match(version):
        raise errors.InvalidInput(
            _(
                "invalid MXMACA version {version!r}; expected dotted numbers such as {example}"
            ).format(version=version, example=imagetable.MACA_VERSION_EXAMPLE)
        )


def check_operator_version(version: str) -> None:
    if not _OPERATOR_VERSION.match(version):
        raise errors.InvalidInput(
            _(
                "invalid operator version {version!r}; "
                "expected three dotted numbers such as {example}"
            ).format(version=version, example=imagetable.OPERATOR_VERSION_EXAMPLE)
        )


def check_distro(distro: str) -> None:
    if not _DISTRO.match(distro):
        raise errors.InvalidInput(
            _(
                "invalid distribution {distro!r}; "
                "expected a lowercase name and version such as {examples}"
            ).format(distro=distro, examples=", ".join(imagetable.DISTRO_EXAMPLES))
        )


def check_driver_version(version: str) -> None:
    """Raise InvalidInput unless ``version`` is a driver release that has a driver image."""
    if not _DRIVER_VERSION.match(version):
        raise errors.InvalidInput(
            _(
                "invalid driver version {version!r}; expected dotted numbers such as {example}"
            ).format(version=version, example=imagetable.DRIVER_VERSION_EXAMPLE)
        )
    if imagetable.parse_version(version) < imagetable.DRIVER_IMAGE_SINCE:
        raise errors.InvalidInput(
            _(
                "driver {version} has no driver image: it is published on its own since {since}"
            ).format(
                version=version, since=".".join(str(part) for part in imagetable.DRIVER_IMAGE_SINCE)
            )
        )


def _split_arch(tag: str) -> Tuple[str, str]:
    """Split a trailing ``-amd64``/``-arm64`` off a tag."""
    for arch in imagetable.ARCHITECTURES:
        if tag.endswith("-" + arch):
            return tag[: -len(arch) - 1], arch
    return tag, ""


def _placed(reference: references.ImageReference, registry: Optional[str]) -> str:
    if registry is None:
        return str(reference)
    try:
        return str(reference.relocated(registry))
    except references.InvalidReference as error:
        raise errors.InvalidInput(str(error)) from error
