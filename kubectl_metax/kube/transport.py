"""Send API requests with bounded retries, parse JSON, translate errors once.

Requests go through ``ApiClient.call_api`` so that the kubeconfig's
credentials (tokens, client certificates, exec plugins) apply, but bodies
are read as plain JSON: the generated model classes cost too much memory
and time for large LIST responses.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import urllib3
from kubernetes.client.exceptions import ApiException

from kubectl_metax.kube import errors
from kubectl_metax.kube.connection import Connection
from kubectl_metax.kube.errors import RequestTarget

# Go net/http gives kubectl a 10 s TLS handshake timeout; urllib3 bounds the TCP
# connect and the TLS handshake together with the connect timeout.
CONNECT_TIMEOUT_SECONDS = 10.0

log = logging.getLogger(__name__)

Json = Dict[str, Any]

# Attempts per request for 429/503 and for connections that fail before a
# response: enough to ride out an API server restart, short enough for a CLI.
MAX_ATTEMPTS = 4
# Waits between connection attempts, in seconds, doubling from the first.
FIRST_BACKOFF = 0.5
# A Retry-After longer than this is shortened: a CLI should not sit for minutes.
MAX_RETRY_AFTER = 10.0
# Objects per LIST page; kubectl uses 500 too, and it bounds memory per page.
PAGE_SIZE = 500

RETRIED_STATUSES = (429, 503)


def resource_path(
    group: str, version: str, resource: str, *, namespace: str = "", name: str = ""
) -> str:
    """Return the REST path of a collection or, with name, of one object."""
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    if namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{resource}"
    if name:
        path += f"/{name}"
    return path


def _retry_after(exception: ApiException) -> float:
    headers = exception.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0


class Api:
    """JSON requests against one API server; every failure raises a kube.errors class."""

    def __init__(
        self, connection: Connection, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.connection = connection
        self._sleep = sleep

    def _timeout(self) -> Tuple[float, Optional[float]]:
        # NOTE: kubernetes 35.0.0 ignores a float total timeout (only int or a
        # (connect, read) pair is honoured), so "500ms" must go as a pair.
        seconds = self.connection.request_timeout
        if seconds is None:
            # "0" waits for responses without limit, but like kubectl it still gives
            # up on a server that accepts the connection and never completes TLS.
            return (CONNECT_TIMEOUT_SECONDS, None)
        return (seconds, seconds)

    def request(
        self,
        method: str,
        path: str,
        *,
        target: RequestTarget,
        query: Optional[List[Tuple[str, str]]] = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> Json:
        """Send one request and return the parsed JSON body (an empty dict for no body)."""
        backoff = FIRST_BACKOFF
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.connection.api_client.call_api(
                    path,
                    method,
                    query_params=list(query or []),
                    header_params={"Accept": accept, "Content-Type": content_type},
                    body=body,
                    auth_settings=["BearerToken"],
                    _return_http_data_only=True,
                    _preload_content=False,
                    _request_timeout=self._timeout(),
                )
            except ApiException as exception:
                status = int(exception.status or 0)
                if status in RETRIED_STATUSES and attempt < MAX_ATTEMPTS:
                    delay = _retry_after(exception)
                    log.info("%s %s -> %s, retrying in %.1fs", method, path, status, delay)
                    self._sleep(delay)
                    continue
                log.debug("%s %s -> %s", method, path, status or exception.reason)
                if status == 0:
                    raise errors.unreachable(
                        self.connection.host, str(exception.reason), target=target
                    ) from exception
                raise errors.from_status(status, exception.body, target=target) from exception
            except (urllib3.exceptions.HTTPError, OSError) as exception:
                reason = getattr(exception, "reason", None) or exception
                # NOTE: urllib3 2.x derives NewConnectionError (connection refused)
                # from ConnectTimeoutError, so it must be checked first.
                refused = isinstance(reason, urllib3.exceptions.NewConnectionError)
                if not refused and isinstance(reason, urllib3.exceptions.TimeoutError):
                    raise errors.timed_out(
                        self.connection.request_timeout,
                        target=target,
                        connect_seconds=CONNECT_TIMEOUT_SECONDS,
                    ) from exception
                # Only failures before the request reached the server are safe to repeat
                # for writes; reads can always be repeated.
                safe = method == "GET" or refused
                if safe and attempt < MAX_ATTEMPTS:
                    log.info("%s %s failed (%s), retrying in %.1fs", method, path, reason, backoff)
                    self._sleep(backoff)
                    backoff *= 2
                    continue
                # NewConnectionError's text starts with the repr of urllib3's connection
                # object; the OSError it wraps states the cause in plain words.
                detail = reason.__cause__ if refused and reason.__cause__ else reason
                raise errors.unreachable(
                    self.connection.host, str(detail), target=target
                ) from exception

            data = response.data
            log.debug("%s %s -> %s (%d bytes)", method, path, response.status, len(data or b""))
            if not data:
                return {}
            try:
                parsed = json.loads(data)
            except ValueError as error:
                # A proxy or load balancer in front of the API server may answer with HTML.
                raise errors.not_json(self.connection.host, str(error), target=target) from error
            return parsed if isinstance(parsed, dict) else {"items": parsed}
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def get(self, path: str, *, target: RequestTarget) -> Json:
        return self.request("GET", path, target=target)

    def list_pages(
        self,
        path: str,
        *,
        target: RequestTarget,
        label_selector: str = "",
        accept: str = "application/json",
    ) -> Iterator[List[Json]]:
        """Yield the items of a LIST page by page, following ``continue`` tokens.

        NOTE: a token that expires between pages (410 Gone, once etcd has
        compacted past the LIST's resourceVersion) fails the LIST rather than
        restarting it, because pages already yielded cannot be taken back.
        """
        token = ""
        while True:
            query = [("limit", str(PAGE_SIZE))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            page = self.request("GET", path, target=target, query=query, accept=accept)
            yield list(page.get("items") or [])
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                return
