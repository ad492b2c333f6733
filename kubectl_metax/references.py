"""Container image references: parse, print and relocate them.

The grammar is the one Docker and containerd accept (the ``reference``
package of the CNCF distribution project)::

    reference := name [":" tag] ["@" digest]
    name      := [domain "/"] path
    domain    := host [":" port]
    path      := component ("/" component)*, each lowercase [a-z0-9] runs
                 joined by ".", "_", "__" or one or more "-"
    tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest    := algorithm ":" hex

As in Docker, the first component names a registry only when it contains a
"." or a ":", or is ``localhost``, or contains an uppercase letter (host
names may, repository paths may not). Nothing here adds ``docker.io/library/``: a
reference keeps the form it was written in, and ``registry`` is "" when the
text names none. Nothing here is specific to MetaX; ``naming`` holds those rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Tuple

from kubectl_metax.i18n import _

# A repository name (registry and path) longer than this is rejected by the
# distribution reference parser ("repository name must not be more than 255
# characters").
MAX_NAME_LENGTH = 255

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_HOST = re.compile(
    r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*\Z"
)
_IPV6_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]\Z")
_PORT = re.compile(r"[0-9]+\Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_DIGEST = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})\Z")

# Registered algorithms have a fixed length of lowercase hex (OCI image spec,
# descriptor.md "Registered algorithms").
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha512": 128}


class InvalidReference(ValueError):
    """A text that is not an image reference; ``str()`` is a translated reason."""


@dataclass(frozen=True)
class ImageReference:
    """One image reference split into its parts."""

    registry: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """The last path component, e.g. ``driver-image``."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def repository(self) -> str:
        """The registry and path without tag or digest."""
        return f"{self.registry}/{self.path}" if self.registry else self.path

    def relocated(self, registry: str) -> ImageReference:
        """Return this image under another registry, flattened to its last component.

        ``registry`` may carry a project path (``harbor.example.cn/mximages``);
        the result is ``<registry>/<name>:<tag>[@digest]``, the layout sites use
        when they mirror MetaX images. Raises InvalidReference when ``registry``
        is not a registry host with an optional path, or when the moved
        repository name would be longer than MAX_NAME_LENGTH.
        """
        host, project = split_registry(registry)
        path = f"{project}/{self.name}" if project else self.name
        moved = replace(self, registry=host, path=path)
        if len(moved.repository) > MAX_NAME_LENGTH:
            raise InvalidReference(
                _(
                    "image {image!r} moved to registry {registry!r} would have a repository "
                    "name of {length} characters, more than the limit of {limit}; "
                    "choose a shorter registry or project path"
                ).format(
                    image=str(self),
                    registry=registry,
                    length=len(moved.repository),
                    limit=MAX_NAME_LENGTH,
                )
            )
        return moved

    def with_tag(self, tag: str) -> ImageReference:
        """Return this image with another tag and no digest."""
        if not _TAG.match(tag):
            raise InvalidReference(_("invalid tag {tag!r}").format(tag=tag))
        return replace(self, tag=tag, digest="")

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse(text: str) -> ImageReference:
    """Parse a reference in the Docker grammar; raise InvalidReference with the reason."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidReference(_("the image reference is empty"))
    if text != text.strip() or any(character.isspace() for character in text):
        raise InvalidReference(
            _("image reference {reference!r} contains white space").format(reference=text)
        )

    remainder, digest = _split_digest(text)
    remainder, tag = _split_tag(remainder, reference=text)
    registry, path = _split_domain(remainder)

    if registry:
        _check_registry_host(registry, reference=text)
    _check_path(path, reference=text)
    if len(remainder) > MAX_NAME_LENGTH:
        raise InvalidReference(
            _(
                "image reference {reference!r}: "
                "the repository name is longer than {limit} characters"
            ).format(reference=text, limit=MAX_NAME_LENGTH)
        )
    return ImageReference(registry=registry, path=path, tag=tag, digest=digest)


def split_registry(registry: str) -> Tuple[str, str]:
    """Split ``host[:port][/project...]`` into the host and the project path.

    Raises InvalidReference unless the host looks like a registry (a "." or a
    ":" in it, or ``localhost``), because a bare first word would be read as a
    Docker Hub namespace when the result is parsed again.
    """
    text = registry.strip().rstrip("/")
    if "://" in text:
        raise InvalidReference(
            _(
                "registry {registry!r}: remove the scheme, "
                "a registry is written as host[:port][/project]"
            ).format(registry=registry)
        )
    if not text:
        raise InvalidReference(_("the registry is empty"))
    host, _separator, project = text.partition("/")
    if not _looks_like_domain(host):
        raise InvalidReference(
            _(
                "registry {registry!r}: {host!r} is not a registry host; "
                "write host[:port][/project] "
                "with a dot or a port in the host, or localhost"
            ).format(registry=registry, host=host)
        )
    _check_registry_host(host, reference=registry)
    if project:
        _check_path(project, reference=registry)
    return host, project


def _split_digest(text: str) -> Tuple[str, str]:
    if "@" not in text:
        return text, ""
    remainder, _separator, digest = text.partition("@")
    match = _DIGEST.match(digest)
    if not match:
        raise InvalidReference(
            _(
                "image reference {reference!r}: invalid digest {digest!r}, expected algorithm:hex"
            ).format(reference=text, digest=digest)
        )
    algorithm, hex_part = match.groups()
    expected_length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected_length is not None and (
        len(hex_part) != expected_length or hex_part != hex_part.lower()
    ):
        raise InvalidReference(
            _(
                "image reference {reference!r}: "
                "a {algorithm} digest has {length} lowercase hex digits"
            ).format(reference=text, algorithm=algorithm, length=expected_length)
        )
    return remainder, digest


def _split_tag(text: str, *, reference: str) -> Tuple[str, str]:
    # A ":" after the last "/" starts the tag; one before it belongs to a port.
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon <= last_slash:
        return text, ""
    tag = text[colon + 1 :]
    if not _TAG.match(tag):
        raise InvalidReference(
            _("image reference {reference!r}: invalid tag {tag!r}").format(
                reference=reference, tag=tag
            )
        )
    return text[:colon], tag


def _looks_like_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost"


def _split_domain(name: str) -> Tuple[str, str]:
    first, separator, rest = name.partition("/")
    if separator and (_looks_like_domain(first) or first != first.lower()):
        return first, rest
    return "", name


def _check_registry_host(registry: str, *, reference: str) -> None:
    if registry.startswith("["):
        host, _bracket, port_part = registry.partition("]")
        host += "]"
        port = port_part[1:] if port_part.startswith(":") else None
        host_ok = bool(_IPV6_HOST.match(host)) and (port_part == "" or port_part.startswith(":"))
    else:
        host, colon, port_text = registry.partition(":")
        port = port_text if colon else None
        host_ok = bool(_HOST.match(host))
    if not host_ok or (port is not None and not _PORT.match(port)):
        raise InvalidReference(
            _("image reference {reference!r}: invalid registry {registry!r}").format(
                reference=reference, registry=registry
            )
        )


def _check_path(path: str, *, reference: str) -> None:
    if not path:
        raise InvalidReference(
            _("image reference {reference!r}: the repository path is empty").format(
                reference=reference
            )
        )
    for component in path.split("/"):
        if _PATH_COMPONENT.match(component):
            continue
        if component != component.lower():
            raise InvalidReference(
                _(
                    "image reference {reference!r}: "
                    "repository names must be lowercase ({component!r})"
                ).format(reference=reference, component=component)
            )
        raise InvalidReference(
            _(
                "image reference {reference!r}: invalid repository path component {component!r}; "
                "use lowercase letters and digits joined by '.', '_' or '-'"
            ).format(reference=reference, component=component)
        )
