"""A minimal HTTP(S) client for talking to kubesim the way client-go does, over real sockets."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from tests.kubesim.instance import KubeSim

Object = Dict[str, Any]


@dataclass
class Response:
    code: int
    body: Any
    headers: Dict[str, str]


class Api:
    def __init__(
        self, sim: KubeSim, token: Optional[str] = "admin", *, timeout: float = 30
    ) -> None:
        self.sim = sim
        self.token = sim.cluster.admin_token if token == "admin" else token
        self.timeout = timeout

    def connection(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.sim.url)
        if parts.scheme == "https":
            context = ssl.create_default_context(cadata=self.sim.ca_pem)
            return http.client.HTTPSConnection(
                parts.hostname or "", parts.port, context=context, timeout=self.timeout
            )
        return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)

    def _headers(
        self, content_type: Optional[str], extra: Optional[Dict[str, str]]
    ) -> Dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "kubesim-tests/1.0"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Response:
        data: Optional[bytes] = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            content_type = content_type or "application/json"
        connection = self.connection()
        try:
            connection.request(
                method, path, body=data, headers=self._headers(content_type, headers)
            )
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            return Response(
                response.status, parsed, {k.lower(): v for k, v in response.getheaders()}
            )
        finally:
            connection.close()

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Response:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any, patch_type: str, **kwargs: Any) -> Response:
        content_types = {
            "json": "application/json-patch+json",
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "apply": "application/apply-patch+yaml",
        }
        return self.request("PATCH", path, body, content_type=content_types[patch_type], **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("DELETE", path, body, **kwargs)

    def watch(self, path: str) -> Iterator[Object]:
        """Yield watch events until the server ends the stream."""
        connection = self.connection()
        try:
            connection.request("GET", path, headers=self._headers(None, None))
            response = connection.getresponse()
            assert response.status == 200, response.read()
            while True:
                line = response.readline()
                if not line:
                    return
                yield json.loads(line)
        finally:
            connection.close()


def configmap(
    name: str,
    *,
    labels: Optional[Dict[str, str]] = None,
    data: Optional[Dict[str, str]] = None,
    finalizers: Optional[List[str]] = None,
    namespace: str = "default",
) -> Object:
    meta: Object = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    if finalizers:
        meta["finalizers"] = finalizers
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": data or {"key": "value"},
    }


def deployment(
    name: str,
    *,
    replicas: int = 1,
    namespace: str = "default",
    containers: Optional[List[Object]] = None,
) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers or [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }


CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def names(items: List[Object]) -> List[str]:
    return [item["metadata"]["name"] for item in items]


def pair(response: Response) -> Tuple[int, str]:
    body = response.body if isinstance(response.body, dict) else {}
    return response.code, body.get("reason", "")
