"""Retag-and-push command lines that copy loaded images into a site registry.

The commands are printed for a person to review and run; nothing here runs
them. Each image is tagged ``<registry>/<name>:<tag>`` (flattened, as
``ImageReference.relocated`` does) and pushed. Driver and component images
with an ``-<ARCH>`` tag then get a manifest list ``<registry>/<name>:<VERSION>``
over the architectures pushed, which is the name the operator pulls.

Tool facts the lines depend on:
- ctr reads flags only before the reference (newer ctr rejects
  ``push <ref> --plain-http``), needs fully qualified names, so a bare
  ``mxc500-maca:<tag>`` is ``docker.io/library/mxc500-maca:<tag>`` to it, and
  Kubernetes' images are in its ``k8s.io`` namespace.
- nerdctl takes ``--namespace`` and ``--insecure-registry`` as global flags,
  before the subcommand, and does not implement ``docker manifest``
  (nerdctl docs/command-reference.md, "Global flags", "Unimplemented").
- ctr cannot create a manifest list either; ``docker manifest create`` and
  ``docker manifest push`` can (``--amend`` reuses a local list,
  ``--insecure`` allows a plain-HTTP registry).
"""

from __future__ import annotations

import shlex
from collections import OrderedDict
from typing import Dict, List, Sequence

from kubectl_metax import naming, references
from kubectl_metax.i18n import _

TOOLS = ("docker", "nerdctl", "ctr")
KUBERNETES_NAMESPACE = "k8s.io"  # the containerd namespace the kubelet's images live in
DOCKER_HUB_PREFIX = "docker.io/library/"
_MANIFEST_ROLES = (naming.ROLE_DRIVER, naming.ROLE_COMPONENT)


def push_commands(
    images: Sequence[str], *, registry: str, tool: str, plain_http: bool = False
) -> List[str]:
    """Return the shell lines that tag and push ``images`` to ``registry`` with ``tool``.

    Raises InvalidReference when ``registry`` or an image does not parse.
    """
    sources = [references.parse(image) for image in images]
    lines: List[str] = []
    pushed: List[references.ImageReference] = []
    for source in sources:
        target = source.relocated(registry)
        if target in pushed:
            continue
        pushed.append(target)
        lines.append(_join(_tag_command(tool, source, target)))
        lines.append(_join(_push_command(tool, target, plain_http=plain_http)))

    for manifest_list, members in _manifest_lists(pushed).items():
        lines.extend(_manifest_lines(tool, manifest_list, members, plain_http=plain_http))
    return lines


def _manifest_lists(
    pushed: Sequence[references.ImageReference],
) -> OrderedDict[references.ImageReference, List[references.ImageReference]]:
    """Group per-arch driver and component images under their unsuffixed tag."""
    groups: OrderedDict[references.ImageReference, List[references.ImageReference]] = OrderedDict()
    for reference in pushed:
        image = naming.classify(reference)
        if image is None or image.role not in _MANIFEST_ROLES or not image.arch or reference.digest:
            continue
        list_reference = reference.with_tag(reference.tag[: -len(image.arch) - 1])
        groups.setdefault(list_reference, []).append(reference)
    return groups


def _manifest_lines(
    tool: str,
    manifest_list: references.ImageReference,
    members: Sequence[references.ImageReference],
    *,
    plain_http: bool,
) -> List[str]:
    insecure = ["--insecure"] if plain_http else []
    docker_lines = [
        _join(
            [
                "docker",
                "manifest",
                "create",
                *insecure,
                "--amend",
                str(manifest_list),
                *map(str, members),
            ]
        ),
        _join(["docker", "manifest", "push", *insecure, str(manifest_list)]),
    ]
    if tool == "docker":
        return docker_lines
    if len(members) == 1:
        # One architecture: the unsuffixed tag can be a plain alias of it,
        # which is what single-arch sites do.
        return [
            _join(_tag_command(tool, members[0], manifest_list)),
            _join(_push_command(tool, manifest_list, plain_http=plain_http)),
        ]
    comment = _(
        "{tool} cannot create a manifest list; run these lines on a host with docker:"
    ).format(tool=tool)
    return [f"# {comment}", *docker_lines]


def _tag_command(
    tool: str, source: references.ImageReference, target: references.ImageReference
) -> List[str]:
    if tool == "docker":
        return ["docker", "tag", str(source), str(target)]
    if tool == "nerdctl":
        return ["nerdctl", "--namespace", KUBERNETES_NAMESPACE, "tag", str(source), str(target)]
    return [
        "ctr",
        "-n",
        KUBERNETES_NAMESPACE,
        "images",
        "tag",
        _qualified(source),
        _qualified(target),
    ]


def _push_command(tool: str, target: references.ImageReference, *, plain_http: bool) -> List[str]:
    if tool == "docker":
        return ["docker", "push", str(target)]
    if tool == "nerdctl":
        insecure = ["--insecure-registry"] if plain_http else []
        return ["nerdctl", "--namespace", KUBERNETES_NAMESPACE, *insecure, "push", str(target)]
    flags = ["--plain-http"] if plain_http else []
    return ["ctr", "-n", KUBERNETES_NAMESPACE, "images", "push", *flags, _qualified(target)]


def _qualified(reference: references.ImageReference) -> str:
    """Spell a reference as containerd stores it: with a registry, Docker Hub by default."""
    if reference.registry:
        return str(reference)
    if "/" in reference.path:
        return "docker.io/" + str(reference)
    return DOCKER_HUB_PREFIX + str(reference)


def commands_by_tool(
    images: Sequence[str], *, registry: str, tools: Sequence[str], plain_http: bool = False
) -> Dict[str, List[str]]:
    """Return ``push_commands`` for each tool, in the order given."""
    return {
        tool: push_commands(images, registry=registry, tool=tool, plain_http=plain_http)
        for tool in tools
    }


def _join(arguments: Sequence[str]) -> str:
    return " ".join(shlex.quote(argument) for argument in arguments)
