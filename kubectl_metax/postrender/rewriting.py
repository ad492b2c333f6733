"""Find the image references in one document's tree and plan their replacements.

Places searched, in any kind (so pod templates of every workload kind,
``kind: List`` items and custom resources that embed pod specs are covered):

- ``image`` of each entry of ``containers``, ``initContainers`` and
  ``ephemeralContainers``, and ``env[].value`` of those entries when the value
  is a MetaX image reference;
- in a ``ClusterOperator``'s spec sections, the ``image: {registry, name,
  version}`` structure, ``payload: {registry, name, version}`` (the driver)
  and ``payload: {registry, images: ["<name>:<tag>", ...]}`` (MXMACA).

A structure without a ``registry`` or ``version`` key that needs one gets
it as a new line after its ``name``. NOTE: in a flow-style or JSON
structure there is no such line, so the key is not added and a warning is
logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

from kubectl_metax import imagetable, references
from kubectl_metax.manifests import editing, events, stream
from kubectl_metax.postrender.images import Corrector

log = logging.getLogger(__name__)

Edit = Union[editing.Replacement, editing.NewKey]

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

# Every name naming.classify recognises contains one of these: the vendor
# registry, the driver image, "maca" (all MXMACA names) or a component name.
_METAX_NAMES = re.compile(
    "|".join(
        re.escape(name)
        for name in (
            imagetable.VENDOR_REGISTRY,
            imagetable.DRIVER_IMAGE_NAME,
            "maca",
            *sorted(imagetable.COMPONENTS_BY_NAME),
        )
    )
)
CLUSTER_OPERATOR_KIND = "ClusterOperator"


@dataclass(frozen=True)
class Change:
    """One reference rewritten, for logs and the demo."""

    line: int  # 1-based line within the document
    old: str
    new: str


def may_hold_metax_image(text: str) -> bool:
    """Return False only when no MetaX image name occurs in the text (a cheap pre-check)."""
    return bool(_METAX_NAMES.search(text))


def plan(
    document: stream.Document, root: Dict[str, Any], corrector: Corrector
) -> Tuple[List[Edit], List[Change]]:
    """Return the edits for every MetaX image in the document, and what they change."""
    planner = _Planner(document, corrector)
    planner.walk(root)
    kind = root.get("kind")
    if isinstance(kind, events.Scalar) and kind.value == CLUSTER_OPERATOR_KIND:
        spec = root.get("spec")
        if isinstance(spec, dict):
            for section in spec.values():
                if isinstance(section, dict):
                    planner.cluster_operator_section(section)
    return planner.replacements, planner.changes


class _Planner:
    def __init__(self, document: stream.Document, corrector: Corrector) -> None:
        self.document = document
        self.corrector = corrector
        self.replacements: List[Edit] = []
        self.changes: List[Change] = []
        self._planned: Dict[int, str] = {}  # scalar start offset -> new value

    def walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict):
                        self.container(container)
            self.walk(value)

    def container(self, container: Dict[str, Any]) -> None:
        image = container.get("image")
        if isinstance(image, events.Scalar):
            self.reference(image)
        env = container.get("env")
        if isinstance(env, list):
            for variable in env:
                if isinstance(variable, dict) and isinstance(variable.get("value"), events.Scalar):
                    self.reference(variable["value"])

    def corrected(self, text: str, *, at: events.Scalar) -> Optional[str]:
        """Correct one reference; raise MalformedStream naming the line of ``at`` on failure."""
        try:
            return self.corrector.corrected(text)
        except references.InvalidReference as error:
            raise self.document.error(line=at.line, detail=str(error)) from error

    def reference(self, scalar: events.Scalar) -> None:
        corrected = self.corrected(scalar.value, at=scalar)
        if corrected is not None:
            self.replace(scalar, corrected)

    def cluster_operator_section(self, section: Dict[str, Any]) -> None:
        image = section.get("image")
        if isinstance(image, dict):
            self.structure(image)
        elif isinstance(image, events.Scalar):
            self.reference(image)
        payload = section.get("payload")
        if isinstance(payload, dict):
            if isinstance(payload.get("images"), list):
                self.image_list(payload)
            else:
                self.structure(payload)

    def structure(self, fields: Dict[str, Any]) -> None:
        """Rewrite ``{registry, name, version}`` as one reference ``registry/name:version``."""
        registry, name, version = (
            _text(fields.get(key)) for key in ("registry", "name", "version")
        )
        if name is None:
            return
        text = _joined(registry, name, version)
        corrected = self.corrected(text, at=fields["name"])
        if corrected is None or corrected == text:
            return
        new_registry, new_name, new_version = _split(corrected)
        for key, value in (
            ("registry", new_registry),
            ("name", new_name),
            ("version", new_version),
        ):
            scalar = fields.get(key)
            if isinstance(scalar, events.Scalar):
                self.replace(scalar, value)
            elif scalar is None and value:
                self.add_key(fields["name"], key, value)

    def image_list(self, payload: Dict[str, Any]) -> None:
        """Rewrite ``{registry, images: ["name:tag", ...]}``; the registry is shared by the list."""
        registry = _text(payload.get("registry"))
        new_registry: Optional[str] = None
        for item in payload["images"]:
            if not isinstance(item, events.Scalar):
                continue
            text = _joined(registry, item.value, None)
            corrected = self.corrected(text, at=item)
            if corrected is None or corrected == text:
                continue
            item_registry, item_name, item_tag = _split(corrected)
            self.replace(item, f"{item_name}:{item_tag}" if item_tag else item_name)
            new_registry = item_registry
        registry_scalar = payload.get("registry")
        if new_registry is not None and isinstance(registry_scalar, events.Scalar):
            self.replace(registry_scalar, new_registry)

    def add_key(self, sibling: events.Scalar, key: str, value: str) -> None:
        addition = editing.new_key(self.document, sibling, key, value)
        if addition is None:
            log.warning(
                "document %d line %d: cannot add %s: %s beside a flow-style value",
                self.document.number,
                sibling.line,
                key,
                value,
            )
            return
        self.replacements.append(addition)
        self.changes.append(Change(line=sibling.line, old="", new=f"{key}: {value}"))

    def replace(self, scalar: events.Scalar, value: str) -> None:
        if value == scalar.value or scalar.start in self._planned:
            return
        self._planned[scalar.start] = value
        self.replacements.append(editing.Replacement(scalar, value))
        self.changes.append(Change(line=scalar.line, old=scalar.value, new=value))


def _text(node: Any) -> Optional[str]:
    return node.value if isinstance(node, events.Scalar) else None


def _joined(registry: Optional[str], name: str, version: Optional[str]) -> str:
    text = f"{registry.rstrip('/')}/{name}" if registry else name
    return f"{text}:{version}" if version else text


def _split(reference: str) -> Tuple[str, str, str]:
    """Split ``registry/dir/name:tag`` into the registry prefix, the name and the tag."""
    parsed = references.parse(reference)
    prefix = parsed.repository[: -len(parsed.name)].rstrip("/")
    tag = parsed.tag + (f"@{parsed.digest}" if parsed.digest else "")
    return prefix, parsed.name, tag
