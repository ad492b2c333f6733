"""Offline package file names, and the images each file loads or deploys.

Sites without Internet access download the vendor's packages and load them
with ``docker load``, ``nerdctl load`` or ``ctr images import``. The file
name determines the images that gives:

- ``metax-k8s-driver-image.<VERSION>-<ARCH>.run`` and the older
  ``k8s-driver-image.<VERSION>-<ARCH>.run``: ``cloud/driver-image:<VERSION>-<ARCH>``
- ``<maca name>-<VERSION>-<DISTRO>-<ARCH>.container.xz``:
  ``library/<maca name>:<VERSION>-<DISTRO>-<ARCH>``
- ``mxc500-maca-<VERSION>-<DISTRO>-<ARCH>.container.xz``: the bare
  ``mxc500-maca:<VERSION>-<DISTRO>-<ARCH>``, with no registry
- ``metax-k8s-images.<VERSION>[-<ARCH>].run``: every ``cloud/<component>:<VERSION>-<ARCH>``
- ``metax-gpu-k8s-package.<VERSION>.tar.gz``: the bundle around the file above
- ``metax-gpu-extensions-<VERSION>.tgz``: a Helm chart; the extension
  components it deploys load from ``metax-k8s-images``

ARCH may be spelled the machine way (x86_64, aarch64) or the image way
(amd64, arm64); image tags always use the image way. A name without an
architecture lists the images for each architecture asked for.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

from kubectl_metax import errors, imagetable, naming, references
from kubectl_metax.i18n import _

KIND_DRIVER = "driver-image"
KIND_MACA = "maca-image"
KIND_COMPONENTS = "component-images"
KIND_BUNDLE = "offline-bundle"
KIND_EXTENSIONS = "extensions-chart"

_VERSION = imagetable.DRIVER_VERSION_PATTERN
_OPERATOR = imagetable.OPERATOR_VERSION_PATTERN
# Any word here; an unknown architecture gets its own error rather than "unknown file".
_ARCH = r"[A-Za-z0-9_]+"

_PATTERNS: Tuple[Tuple[str, re.Pattern[str]], ...] = (
    (
        KIND_DRIVER,
        re.compile(
            rf"(?:metax-)?k8s-driver-image\.(?P<version>{_VERSION})-(?P<arch>{_ARCH})\.run\Z"
        ),
    ),
    (
        KIND_MACA,
        re.compile(
            rf"(?P<name>{imagetable.MACA_PACKAGE_NAMES})-(?P<version>{_VERSION})-(?P<distro>{imagetable.DISTRO_PATTERN})"
            rf"-(?P<arch>{_ARCH})\.container\.xz\Z"
        ),
    ),
    (
        KIND_COMPONENTS,
        re.compile(rf"metax-k8s-images\.(?P<version>{_OPERATOR})(?:-(?P<arch>{_ARCH}))?\.run\Z"),
    ),
    (KIND_BUNDLE, re.compile(rf"metax-gpu-k8s-package\.(?P<version>{_OPERATOR})\.tar\.gz\Z")),
    (KIND_EXTENSIONS, re.compile(rf"metax-gpu-extensions-(?P<version>{_OPERATOR})\.tgz\Z")),
)

# File name shapes that the error for an unknown name lists as accepted.
ACCEPTED_NAMES = (
    "metax-k8s-driver-image.<VERSION>-<ARCH>.run",
    "k8s-driver-image.<VERSION>-<ARCH>.run",
    "maca-native-<VERSION>-<DISTRO>-<ARCH>.container.xz",
    "maca-n100-<VERSION>-<DISTRO>-<ARCH>.container.xz",
    "mxc500-maca-<VERSION>-<DISTRO>-<ARCH>.container.xz",
    "metax-k8s-images.<VERSION>[-<ARCH>].run",
    "metax-gpu-k8s-package.<VERSION>.tar.gz",
    "metax-gpu-extensions-<VERSION>.tgz",
)


def kind_note(kind: str) -> str:
    """Return the translated explanation shown beside a file of this kind."""
    notes = {
        KIND_DRIVER: _("kernel driver image"),
        KIND_MACA: _("MXMACA runtime image"),
        KIND_COMPONENTS: _("operator component images"),
        KIND_BUNDLE: _("offline bundle: chart, metax-k8s-images and extensions"),
        KIND_EXTENSIONS: _("Helm chart: its images load from metax-k8s-images"),
    }
    return notes[kind]


@dataclass(frozen=True)
class PackageFile:
    """One offline package file and the images it gives."""

    path: str
    kind: str
    version: str
    distro: str = ""
    arch: str = ""
    images: Tuple[str, ...] = ()


def parse_file_name(path: str, *, arches: Sequence[str] = imagetable.ARCHITECTURES) -> PackageFile:
    """Recognise one package file by its name; directories in ``path`` are ignored.

    ``arches`` are the architectures listed for a file whose name has none.
    Raises InvalidInput naming the file and the accepted names.
    """
    filename = posixpath.basename(path.replace("\\", "/"))
    for kind, pattern in _PATTERNS:
        match = pattern.match(filename)
        if match:
            fields = {key: value or "" for key, value in match.groupdict().items()}
            try:
                return _BUILDERS[kind](path, fields, arches)
            except errors.InvalidInput as error:
                raise errors.InvalidInput(
                    _("{path}: {reason}").format(path=path, reason=error)
                ) from error
    raise errors.InvalidInput(
        _("{path}: not a MetaX package file name; accepted names: {accepted}").format(
            path=path, accepted=", ".join(ACCEPTED_NAMES)
        )
    )


def parse_file_names(
    paths: Sequence[str], *, arches: Sequence[str] = imagetable.ARCHITECTURES
) -> List[PackageFile]:
    """Recognise every file, or raise InvalidInput for the first bad one."""
    return [parse_file_name(path, arches=arches) for path in paths]


def _driver(path: str, fields: Dict[str, str], arches: Sequence[str]) -> PackageFile:
    arch = naming.normalize_arch(fields["arch"])
    image = naming.driver_image(version=fields["version"], arch=arch)
    return PackageFile(path, KIND_DRIVER, fields["version"], arch=arch, images=(image,))


def _maca(path: str, fields: Dict[str, str], arches: Sequence[str]) -> PackageFile:
    # NOTE: the archive's own tag is taken to spell the architecture the image
    # way (amd64) even when the file name spells it x86_64, as the driver does.
    arch = naming.normalize_arch(fields["arch"])
    name, version, distro = fields["name"], fields["version"], fields["distro"]
    tag = f"{version}-{distro}-{arch}"
    # The bare archive names the image ``<name>:<tag>``, with no registry.
    if imagetable.BARE_MACA_NAME_PATTERN.match(name):
        reference = references.ImageReference("", name, tag=tag)
    else:
        reference = references.ImageReference(
            imagetable.VENDOR_REGISTRY, f"{imagetable.LIBRARY_PROJECT}/{name}", tag=tag
        )
    return PackageFile(path, KIND_MACA, version, distro=distro, arch=arch, images=(str(reference),))


def _components(path: str, fields: Dict[str, str], arches: Sequence[str]) -> PackageFile:
    names = [component.name for component in imagetable.COMPONENTS]
    return _component_file(path, KIND_COMPONENTS, fields, arches, names)


def _bundle(path: str, fields: Dict[str, str], arches: Sequence[str]) -> PackageFile:
    names = [component.name for component in imagetable.COMPONENTS]
    return _component_file(path, KIND_BUNDLE, fields, arches, names)


def _extensions(path: str, fields: Dict[str, str], arches: Sequence[str]) -> PackageFile:
    names = [component.name for component in imagetable.COMPONENTS if component.extension]
    return _component_file(path, KIND_EXTENSIONS, fields, arches, names)


def _component_file(
    path: str, kind: str, fields: Dict[str, str], arches: Sequence[str], names: Sequence[str]
) -> PackageFile:
    version = fields["version"]
    arch = naming.normalize_arch(fields["arch"]) if fields.get("arch") else ""
    listed = [arch] if arch else [naming.normalize_arch(each) for each in arches]
    images = tuple(
        naming.component_image(name, operator_version=version, arch=each)
        for each in listed
        for name in names
    )
    return PackageFile(path, kind, version, arch=arch, images=images)


_BUILDERS: Dict[str, Callable[[str, Dict[str, str], Sequence[str]], PackageFile]] = {
    KIND_DRIVER: _driver,
    KIND_MACA: _maca,
    KIND_COMPONENTS: _components,
    KIND_BUNDLE: _bundle,
    KIND_EXTENSIONS: _extensions,
}
