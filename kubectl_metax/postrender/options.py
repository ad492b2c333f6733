"""The post-renderer's settings, checked once before any document is read."""

from __future__ import annotations

from dataclasses import dataclass

from kubectl_metax import errors, naming, references
from kubectl_metax.i18n import _

HOOK_AUTO = "auto"  # add the hook on Helm 4, warn on Helm 3
HOOK_REQUIRE = "require"  # add the hook on Helm 4, fail on Helm 3
HOOK_NEVER = "never"  # add no hook and give no hook warning
HOOK_MODES = (HOOK_AUTO, HOOK_REQUIRE, HOOK_NEVER)


@dataclass(frozen=True)
class Options:
    """Settings for image corrections and the pre-delete hook; an empty string is "not given"."""

    registry: str = ""
    gpu: str = ""
    arch: str = ""
    maca_version: str = ""
    driver_version: str = ""
    distro: str = ""
    hook_image: str = naming.DEFAULT_HOOK_IMAGE
    hook: str = HOOK_AUTO
    hook_allow_busy_gpus: bool = False

    def checked(self) -> Options:
        """Return the options with GPU and arch normalized; raise InvalidInput on a bad value."""
        if self.registry:
            try:
                references.split_registry(self.registry)
            except references.InvalidReference as error:
                raise errors.InvalidInput(_("--registry: {reason}").format(reason=error)) from error
        if self.hook not in HOOK_MODES:
            raise errors.InvalidInput(
                _("--hook: {value!r} is not one of {modes}").format(
                    value=self.hook, modes=", ".join(HOOK_MODES)
                )
            )
        _check_hook_image(
            self.hook_image, registry="" if self.hook == HOOK_NEVER else self.registry
        )
        if (self.maca_version or self.distro) and not self.gpu:
            raise errors.InvalidInput(
                _(
                    "--maca-version and --distro fix MXMACA images, "
                    "which are named by GPU product: add --gpu"
                )
            )
        if self.maca_version:
            naming.check_maca_version(self.maca_version)
        if self.driver_version:
            naming.check_driver_version(self.driver_version)
        if self.distro:
            naming.check_distro(self.distro)

        return Options(
            registry=self.registry.strip().rstrip("/"),
            gpu=naming.normalize_gpu(self.gpu) if self.gpu else "",
            arch=naming.normalize_arch(self.arch) if self.arch else "",
            maca_version=self.maca_version,
            driver_version=self.driver_version,
            distro=self.distro,
            hook_image=self.hook_image,
            hook=self.hook,
            hook_allow_busy_gpus=self.hook_allow_busy_gpus,
        )


def _check_hook_image(text: str, *, registry: str) -> None:
    """Reject a hook image that does not parse, is not pinned, or cannot move to ``registry``."""
    try:
        reference = references.parse(text)
        if registry:
            reference.relocated(registry)
    except references.InvalidReference as error:
        raise errors.InvalidInput(_("--hook-image: {reason}").format(reason=error)) from error
    if reference.digest:
        return
    if not reference.tag or reference.tag == "latest":
        raise errors.InvalidInput(
            _(
                "--hook-image {image!r} is not pinned: give an exact tag or a digest, not latest"
            ).format(image=text)
        )
