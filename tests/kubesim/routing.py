"""Parse an API request path into group, version, namespace, resource, name and subresource.

The forms are those of
https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris,
plus the legacy `/watch/` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class Route:
    kind: str  # "resource", "discovery-root" (/api, /apis), "group" (/apis/g), "group-version", "other"
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
        if len(segments) == 1:
            return Route(kind="discovery-root", group="")
        group, version, rest = "", segments[1], segments[2:]
    else:
        if len(segments) == 1:
            return Route(kind="discovery-root", group="apis")
        if len(segments) == 2:
            return Route(kind="group", group=segments[1])
        group, version, rest = segments[1], segments[2], segments[3:]
    if not rest:
        return Route(kind="group-version", group=group, version=version)
    route = Route(kind="resource", group=group, version=version)
    if rest[0] == "watch":
        route.legacy_watch = True
        rest = rest[1:]
    if (
        len(rest) >= 3
        and rest[0] == "namespaces"
        and not (len(rest) == 3 and group == "" and rest[2] in ("status", "finalize"))
    ):
        route.namespace = rest[1]
        rest = rest[2:]
    if not rest:
        return Route(kind="other")
    route.resource = rest[0]
    route.name = rest[1] if len(rest) > 1 else ""
    route.subresource = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3:
        return Route(kind="other")
    return route


def verb_for(method: str, route: Route, watch: bool) -> Optional[str]:
    method = method.upper()
    if method == "GET":
        if route.legacy_watch or watch:
            return "watch"
        return "get" if route.name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if route.name else "deletecollection"
    return None
