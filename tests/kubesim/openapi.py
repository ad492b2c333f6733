"""OpenAPI v3 documents generated from the registry (permissive schemas).

kubectl and helm read /openapi/v3 before `create -f`, `apply` and `install`.
For each group-version this module emits the paths of every resource with
`x-kubernetes-group-version-kind` and a `fieldValidation` query parameter on
post/put/patch, so that clients leave field validation to the server
(k8s.io/kubectl/pkg/cmd/util/openapi and resource.QueryParamVerifierV3).
Patch operations list no strategic-merge request body, so that kubectl apply
computes its patch from its compiled-in types instead of these schemas.
Schemas are open objects (`x-kubernetes-preserve-unknown-fields`) except that
a CRD's own openAPIV3Schema is used for its kind. /openapi/v2 is not served
(404), since kubectl accepts it only as protobuf.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List

from tests.kubesim.registry import Registry, Served

Object = Dict[str, Any]


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _schema_name(served: Served) -> str:
    info = served.info
    group = info.group or "core"
    return f"{group}.{info.version}.{info.kind}"


def index(registry: Registry) -> Object:
    paths: Object = {}
    for group, versions in registry.groups():
        for version in versions:
            gv = _gv_path(group, version)
            digest = (
                hashlib.sha512(
                    json.dumps(document(registry, group, version), sort_keys=True).encode()
                )
                .hexdigest()[:64]
                .upper()
            )
            paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
    return {"paths": paths}


def _parameters(names: List[str]) -> List[Object]:
    params = []
    for name in names:
        params.append(
            {
                "name": name,
                "in": "query",
                "description": name,
                "schema": {"type": "string", "uniqueItems": True},
            }
        )
    return params


def _operation(served: Served, action: str, *, query: List[str], body: bool = False) -> Object:
    info = served.info
    op: Object = {
        "operationId": f"{action}{info.kind}",
        "parameters": _parameters(query),
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{_schema_name(served)}"}
                    }
                },
            }
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": info.group,
            "version": info.version,
            "kind": info.kind,
        },
    }
    if body:
        op["requestBody"] = {
            "content": {
                "*/*": {"schema": {"$ref": f"#/components/schemas/{_schema_name(served)}"}}
            },
            "required": True,
        }
    return op


_WRITE_QUERY = ["dryRun", "fieldManager", "fieldValidation"]


def _paths_for(served: Served) -> Object:
    info = served.info
    prefix = "/" + _gv_path(info.group, info.version)
    collection = (
        f"{prefix}/namespaces/{{namespace}}/{info.resource}"
        if info.namespaced
        else f"{prefix}/{info.resource}"
    )
    item = f"{collection}/{{name}}"
    paths: Object = {}
    if served.virtual:
        paths[collection] = {"post": _operation(served, "post", query=_WRITE_QUERY, body=True)}
        return paths
    paths[collection] = {
        "get": _operation(
            served,
            "list",
            query=[
                "labelSelector",
                "fieldSelector",
                "limit",
                "continue",
                "watch",
                "resourceVersion",
            ],
        ),
        "post": _operation(served, "post", query=_WRITE_QUERY, body=True),
        "delete": _operation(served, "deletecollection", query=["dryRun", "labelSelector"]),
    }
    paths[item] = {
        "get": _operation(served, "get", query=[]),
        "put": _operation(served, "put", query=_WRITE_QUERY, body=True),
        "patch": _operation(served, "patch", query=[*_WRITE_QUERY, "force"]),
        "delete": _operation(
            served, "delete", query=["dryRun", "gracePeriodSeconds", "propagationPolicy"]
        ),
    }
    for sub in info.subresources:
        paths[f"{item}/{sub}"] = {
            "get": _operation(served, "get", query=[]),
            "put": _operation(served, "put", query=_WRITE_QUERY, body=True),
            "patch": _operation(served, "patch", query=[*_WRITE_QUERY, "force"]),
        }
    return paths


def _schema_for(served: Served) -> Object:
    info = served.info
    gvk = [{"group": info.group, "version": info.version, "kind": info.kind}]
    if served.schema:
        schema = json.loads(json.dumps(served.schema))
        schema.setdefault("type", "object")
        properties = schema.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties.setdefault(
            "metadata", {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        )
    else:
        schema = {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
            "x-kubernetes-preserve-unknown-fields": True,
        }
    schema["x-kubernetes-group-version-kind"] = gvk
    return schema


def document(registry: Registry, group: str, version: str) -> Object:
    paths: Object = {}
    schemas: Object = {}
    for served in sorted(registry.in_version(group, version), key=lambda s: s.info.resource):
        paths.update(_paths_for(served))
        schemas[_schema_name(served)] = _schema_for(served)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.34.0-kubesim"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
