"""Correct one MetaX image reference: fix driver and MXMACA names, then move it to a registry.

Only references that ``naming.classify`` recognises are touched. A fixed
name keeps the location it was found in (a private mirror stays a private
mirror) unless ``--registry`` moves it; a reference on the vendor registry
takes the vendor project the naming rules give for it.
"""

from __future__ import annotations

import posixpath
from typing import Optional

from kubectl_metax import errors, imagetable, naming, references
from kubectl_metax.i18n import _
from kubectl_metax.postrender.options import Options


class Corrector:
    """Apply the options to image references."""

    def __init__(self, options: Options) -> None:
        self.options = options

    def corrected(self, text: str) -> Optional[str]:
        """Return the corrected reference, or None when ``text`` is not a MetaX image."""
        image = naming.classify(text)
        if image is None:
            return None
        fixed = self._fixed_name(image)
        if self.options.registry:
            fixed = fixed.relocated(self.options.registry)
        return str(fixed)

    def hook_image(self) -> str:
        """Return the hook Job's image, moved to ``--registry`` when one is given."""
        reference = references.parse(self.options.hook_image)
        if self.options.registry:
            reference = reference.relocated(self.options.registry)
        return str(reference)

    def _fixed_name(self, image: naming.MetaxImage) -> references.ImageReference:
        options = self.options
        if image.role == naming.ROLE_DRIVER and (options.driver_version or options.arch):
            version = options.driver_version or image.version
            if not version:
                return image.reference  # a tag naming no release: nothing to rebuild it from
            vendor = naming.driver_image(version=version, arch=options.arch or image.arch)
            return _placed_like(image.reference, references.parse(vendor))

        if image.role == naming.ROLE_MACA and options.gpu:
            version = options.maca_version or image.version
            distro = options.distro or image.distro
            arch = options.arch or image.arch
            missing = [
                flag
                for flag, value in (
                    ("--maca-version", version),
                    ("--distro", distro),
                    ("--arch", arch),
                )
                if not value
            ]
            if missing:
                raise errors.InvalidInput(
                    _(
                        "cannot rebuild the MXMACA image {image} for --gpu: "
                        "its tag does not say {flags}; give them"
                    ).format(image=image.reference, flags=", ".join(missing))
                )
            vendor_reference = naming.maca_reference(
                gpu=options.gpu, version=version, distro=distro, arch=arch
            )
            return _placed_like(image.reference, vendor_reference)
        return image.reference


def _placed_like(
    original: references.ImageReference, vendor: references.ImageReference
) -> references.ImageReference:
    """Give the vendor's name and tag the location of the original reference."""
    if original.registry == imagetable.VENDOR_REGISTRY:
        return vendor
    directory = posixpath.dirname(original.path)
    path = f"{directory}/{vendor.name}" if directory else vendor.name
    return references.ImageReference(registry=original.registry, path=path, tag=vendor.tag)
