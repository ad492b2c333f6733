"""Parse an API request path into group, version, namespace, resource, name and subresource.

The forms are those of
https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris,
plus the legacy `/watch/` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional


@dataclass
class Route:
    # "resource", "discovery-root" (/api, /apis), "group" (/apis/g), "group-version", "other".
    kind: str
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    legacy_watch: bool = False


def parse(path: str) -> Route:
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] not in ("api", "apis"):
        return Route(kind="other")
    if segments[0] == "api":
        prefix_length = 2  # /api/<version>
        group = ""
    else:
        prefix_length = 3  # /apis/<group>/<version>
        group = segments[1] if len(segments) > 1 else ""
    if len(segments) < prefix_length:
        return _discovery_route(segments)
    version = segments[prefix_length - 1]
    rest = segments[prefix_length:]
    if not rest:
        return Route(kind="group-version", group=group, version=version)
    return _resource_route(group, version, rest)


def _discovery_route(segments: List[str]) -> Route:
    """Route /api, /apis and /apis/<group>."""
    if segments[0] == "api" or len(segments) == 1:
        return Route(kind="discovery-root", group="" if segments[0] == "api" else "apis")
    return Route(kind="group", group=segments[1])


def _resource_route(group: str, version: str, rest: List[str]) -> Route:
    """Route [watch/][namespaces/<ns>/]<resource>[/<name>[/<subresource>]]."""
    route = Route(kind="resource", group=group, version=version)
    if rest[0] == "watch":
        route.legacy_watch = True
        rest = rest[1:]
    # /api/v1/namespaces/<name>/status and /finalize are subresources of a Namespace.
    namespace_subresource = len(rest) == 3 and group == "" and rest[2] in ("status", "finalize")
    if len(rest) >= 3 and rest[0] == "namespaces" and not namespace_subresource:
        route.namespace = rest[1]
        rest = rest[2:]
    if not rest or len(rest) > 3:
        return Route(kind="other")
    route.resource = rest[0]
    route.name = rest[1] if len(rest) > 1 else ""
    route.subresource = rest[2] if len(rest) > 2 else ""
    return route


# API verbs of the HTTP methods that do not depend on whether a name is given.
_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def verb_for(method: str, route: Route, watch: bool) -> Optional[str]:
    method = method.upper()
    if method == "GET":
        if route.legacy_watch or watch:
            return "watch"
        return "get" if route.name else "list"
    if method == "DELETE":
        return "delete" if route.name else "deletecollection"
    return _METHOD_VERBS.get(method)
