"""The HTTP(S) front of kubesim: authentication, faults, authorization, then the handlers.

Each request runs in its own thread (ThreadingHTTPServer, HTTP/1.1 with
keep-alive). Responses are always JSON; request bodies may be JSON, YAML or,
for the kinds in protobuf.SCHEMAS, protobuf.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import logging
import select
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.kubesim import discovery, errors, openapi, protobuf, routing, selectors, tables
from tests.kubesim.applying import user_agent_manager
from tests.kubesim.audit import AuditEntry
from tests.kubesim.certs import ServerCerts
from tests.kubesim.cluster import SimCluster
from tests.kubesim.contract import ApiError, RequestAttributes, ResourceInfo, UserInfo
from tests.kubesim.registry import Served
from tests.kubesim.store import Event

Object = Dict[str, Any]
LOG = logging.getLogger(__name__)

# kube-apiserver picks a random watch timeout between --min-request-timeout and twice that
# (30 to 60 minutes by default); kubesim takes the lower bound.
DEFAULT_WATCH_TIMEOUT = 1800
# How often an idle watch wakes to notice a server shutdown or a client that left.
WATCH_POLL_SECONDS = 0.5
IDLE_CONNECTION_TIMEOUT = 120
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


def query_flag(query: Dict[str, str], name: str) -> bool:
    """Read a boolean query parameter as apimachinery does: present and not "0" or "false"."""
    if name not in query:
        return False
    return query[name] != "0" and query[name].lower() != "false"


@dataclass
class Call:
    """One resource request, as the verb handlers receive it."""

    served: Served
    route: routing.Route
    query: Dict[str, str]
    attributes: RequestAttributes
    body: bytes
    dry_run: bool


class _DropConnection(Exception):
    """Raised to close the connection without any response (fault injection)."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Close keep-alive connections idle this long (seconds); client-go's own idle timeout is 90.
    timeout = IDLE_CONNECTION_TIMEOUT
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # ----- plumbing ------------------------------------------------------

    @property
    def cluster(self) -> SimCluster:
        return self.server.cluster

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, code: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        data = json.dumps(body).encode("utf-8")
        headers = dict(headers or {})
        self.send_response(code)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_error(self, error: ApiError) -> None:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
        self._send_json(error.code, errors.status_body(error), headers)

    # ----- the request pipeline -------------------------------------------

    def _handle(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self._code = 0
        user: Optional[UserInfo] = None
        route = routing.parse(path)
        verb = (
            routing.verb_for(self.command, route, query_flag(query, "watch"))
            if route.kind == "resource"
            else self.command.lower()
        )
        self._audit_resource: Tuple[str, str] = (route.group, route.resource)
        dry_run = query.get("dryRun") == "All"
        try:
            body = self._read_body()
            if path in HEALTH_PATHS:
                self._send_text(200, "ok")
                self._code = 200
                return
            user = self._authenticate()
            if not path.startswith("/kubesim/"):
                self._inject_fault(
                    verb or "", path + (f"?{split.query}" if split.query else ""), route.resource
                )
            self._dispatch(
                path, query, route=route, verb=verb or "", user=user, body=body, dry_run=dry_run
            )
        except _DropConnection:
            self.close_connection = True
            self._code = 0
        except ApiError as error:
            self._code = error.code
            self._send_error(error)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as error:
            LOG.exception("request %s %s failed", self.command, self.path)
            self._code = 500
            try:
                self._send_error(errors.internal(f"{type(error).__name__}: {error}"))
            except OSError:
                self.close_connection = True
        finally:
            self._record_audit(user, verb or "", route, dry_run)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record_audit(
        self, user: Optional[UserInfo], verb: str, route: routing.Route, dry_run: bool
    ) -> None:
        self.cluster.audit.record(
            AuditEntry(
                time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                user=user.username if user else "system:anonymous",
                verb=verb,
                method=self.command,
                path=self.path,
                resource=route.resource,
                group=route.group if route.kind == "resource" else "",
                subresource=route.subresource,
                namespace=route.namespace if route.kind == "resource" else "",
                name=route.name,
                code=self._code,
                dry_run=dry_run,
                user_agent=self.headers.get("User-Agent", ""),
            )
        )

    def _authenticate(self) -> UserInfo:
        header = self.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        user = self.cluster.authenticate(token) if token else None
        if user is None:
            raise errors.unauthorized()
        return user

    def _inject_fault(self, verb: str, path: str, resource: str) -> None:
        rule = self.cluster.faults.check(self.command, verb, path, resource)
        if rule is None:
            return
        if rule.latency:
            time.sleep(rule.latency)
        if rule.drop:
            raise _DropConnection()
        if rule.code is not None:
            raise ApiError(rule.code, rule.reason, rule.message, retry_after=rule.retry_after)

    def _authorize(self, attributes: RequestAttributes) -> None:
        authorizer = self.cluster.plugins.authorizer
        if authorizer is None:
            return
        allowed, reason = authorizer.authorize(attributes)
        if not allowed:
            verb = attributes.verb
            if attributes.resource is None:
                raise ApiError(
                    403,
                    "Forbidden",
                    f'forbidden: User "{attributes.user.username}" cannot {verb} path '
                    f'"{attributes.path}"' + (f": {reason}" if reason else ""),
                )
            resource = attributes.resource
            if attributes.subresource:
                resource = ResourceInfo(
                    resource.group,
                    resource.version,
                    f"{resource.resource}/{attributes.subresource}",
                    resource.kind,
                    resource.namespaced,
                )
            error = errors.forbidden(
                attributes.user.username,
                verb,
                resource,
                namespace=attributes.namespace,
                name=attributes.name,
                reason=reason,
            )
            if attributes.subresource:
                error.message = error.message.replace(
                    f'{errors.qualified(resource)} "',
                    f'{errors.qualified(attributes.resource)} "',
                    1,
                )
            raise error

    # ----- dispatch --------------------------------------------------------

    def _dispatch(
        self,
        path: str,
        query: Dict[str, str],
        *,
        route: routing.Route,
        verb: str,
        user: UserInfo,
        body: bytes,
        dry_run: bool,
    ) -> None:
        if route.kind != "resource":
            self._authorize(RequestAttributes(user=user, verb=verb, resource=None, path=path))
            self._serve_non_resource(path, query, route, body)
            return
        served = self._served_for(route, verb)
        info = served.info
        name = route.name
        if verb in ("watch", "list") and not name:
            name = _name_from_field_selector(query.get("fieldSelector", ""))
        if verb in ("watch", "list") and route.name:
            # A watch of one object by name (`/watch/<resource>/<name>`) is a filtered watch.
            selectors_given = [query.get("fieldSelector", ""), f"metadata.name={route.name}"]
            query = dict(query, fieldSelector=",".join(filter(None, selectors_given)))

        attributes = RequestAttributes(
            user=user,
            verb=verb,
            resource=info,
            subresource=route.subresource,
            namespace=route.namespace,
            name=name,
            path=path,
            dry_run=dry_run,
        )
        self._authorize(attributes)
        handler = getattr(self, f"_verb_{verb}")
        handler(Call(served, route, query, attributes, body, dry_run))

    def _served_for(self, route: routing.Route, verb: str) -> Served:
        """Find the resource a request addresses; 404 or 405 as kube-apiserver answers."""
        served = self.cluster.registry.find(route.group, route.version, route.resource)
        if served is None:
            raise _no_such_path()
        info = served.info
        if route.namespace and not info.namespaced:
            raise _no_such_path()
        if route.subresource and route.subresource not in info.subresources:
            raise _no_such_path()
        # A namespaced object is addressed inside its namespace, except by list and watch.
        if info.namespaced and route.name and not route.namespace and verb not in ("list", "watch"):
            raise _no_such_path()
        subresource_verb = bool(route.subresource) and verb in ("get", "update", "patch")
        if verb not in served.verbs and not subresource_verb:
            raise errors.method_not_allowed(verb, info)
        return served

    def _serve_non_resource(
        self, path: str, query: Dict[str, str], route: routing.Route, body: bytes
    ) -> None:
        if path == "/version":
            self._send_json(200, discovery.SERVER_VERSION)
        elif route.kind in ("discovery-root", "group", "group-version"):
            self._serve_discovery(route)
        elif path.rstrip("/") == "/openapi/v3":
            self._send_json(200, openapi.index(self.cluster.registry))
        elif path.startswith("/openapi/v3/"):
            self._serve_openapi(path[len("/openapi/v3/") :])
        elif path.startswith("/kubesim/faults"):
            self._serve_faults(body)
        else:
            raise _no_such_path()
        self._code = 200

    def _serve_discovery(self, route: routing.Route) -> None:
        registry = self.cluster.registry
        if route.kind == "discovery-root" and discovery.wants_aggregated(
            self.headers.get("Accept", "")
        ):
            document = discovery.aggregated(registry, legacy=route.group == "")
            self._send_json(200, document, {"Content-Type": discovery.AGGREGATED_CONTENT_TYPE})
            return
        if route.kind == "discovery-root":
            legacy = route.group == ""
            document = discovery.api_versions() if legacy else discovery.api_group_list(registry)
        elif route.kind == "group":
            document = discovery.api_group(registry, route.group)
        else:
            document = discovery.api_resource_list(registry, route.group, route.version)
        if not document:
            raise _no_such_path()
        self._send_json(200, document)

    def _serve_openapi(self, group_version_path: str) -> None:
        """Serve /openapi/v3/api/<v> or /openapi/v3/apis/<group>/<v>."""
        parts = group_version_path.split("/")
        if parts[0] == "api" and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[0] == "apis" and len(parts) == 3:
            group, version = parts[1], parts[2]
        else:
            raise _no_such_path()
        if not self.cluster.registry.in_version(group, version):
            raise _no_such_path()
        self._send_json(200, openapi.document(self.cluster.registry, group, version))

    def _serve_faults(self, body: bytes) -> None:
        if self.command == "DELETE":
            self.cluster.faults.clear()
        elif self.command == "POST":
            specs = json.loads(body or b"[]")
            self.cluster.faults.add_many(specs if isinstance(specs, list) else [specs])
        rules = [
            {k: v for k, v in vars(rule).items() if not k.startswith("_")}
            for rule in self.cluster.faults.rules()
        ]
        self._send_json(200, {"rules": rules})

    # ----- bodies ------------------------------------------------------------

    def _decode_body(self, body: bytes) -> Any:
        content_type = (
            (self.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        )
        if content_type == protobuf.CONTENT_TYPE:
            return protobuf.decode(body)
        if (
            content_type
            in ("application/json", "application/yaml", "application/apply-patch+yaml", "*/*")
            or content_type in PATCH_TYPES
        ):
            try:
                if content_type.endswith("yaml"):
                    return yaml.safe_load(body.decode("utf-8")) if body.strip() else {}
                return json.loads(body.decode("utf-8")) if body.strip() else {}
            except (ValueError, yaml.YAMLError) as error:
                raise errors.bad_request(f"error decoding body: {error}") from None
        raise errors.unsupported_media_type(content_type)

    def _manager(self, query: Dict[str, str]) -> str:
        return query.get("fieldManager") or user_agent_manager(self.headers.get("User-Agent", ""))

    def _wants_table(self) -> bool:
        return "as=Table" in (self.headers.get("Accept") or "")

    # ----- verbs -------------------------------------------------------------

    def _verb_get(self, call: Call) -> None:
        obj = self.cluster.get(call.served.info, call.route.namespace, call.route.name)
        if obj is None:
            raise errors.not_found(call.served.info, call.route.name)
        if call.route.subresource == "scale":
            obj = _scale_of(obj)
        if self._wants_table():
            crd = self.cluster.get_crd(call.served.crd_name) if call.served.crd_name else None
            self._send_json(
                200,
                tables.table(
                    call.served,
                    [obj],
                    crd=crd,
                    include_object=call.query.get("includeObject", "Metadata"),
                    list_meta={"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                ),
            )
        else:
            self._send_json(200, obj)
        self._code = 200

    def _predicate(self, served: Served, query: Dict[str, str]) -> Any:
        labels = selectors.parse_label_selector(query.get("labelSelector", ""))
        fields = selectors.parse_field_selector(query.get("fieldSelector", ""), served.info.kind)
        return lambda obj: labels(obj) and fields(obj)

    def _verb_list(self, call: Call) -> None:
        with self.cluster.store.lock:
            revision = self.cluster.store.revision
            items = self.cluster.snapshot(call.served.info, call.route.namespace)
        if call.query.get("labelSelector") or call.query.get("fieldSelector"):
            predicate = self._predicate(call.served, call.query)
            items = [obj for obj in items if predicate(obj)]
        meta: Object = {"resourceVersion": str(revision)}
        items, meta = _paginate(items, call.query, meta)
        items = [self.cluster.as_version(call.served.info, obj) for obj in items]
        if self._wants_table():
            crd = self.cluster.get_crd(call.served.crd_name) if call.served.crd_name else None
            self._send_json(
                200,
                tables.table(
                    call.served,
                    items,
                    crd=crd,
                    include_object=call.query.get("includeObject", "Metadata"),
                    list_meta=meta,
                ),
            )
        else:
            self._send_json(
                200,
                {
                    "kind": f"{call.served.info.kind}List",
                    "apiVersion": call.served.info.api_version,
                    "metadata": meta,
                    "items": items,
                },
            )
        self._code = 200

    def _verb_create(self, call: Call) -> None:
        obj = self._decode_body(call.body)
        if call.served.virtual:
            self._send_json(201, self._review(call.served, call.attributes, obj))
            self._code = 201
            return
        if call.route.name:
            raise errors.method_not_allowed("create", call.served.info)
        created = self.cluster.ops.create(
            call.served,
            call.route.namespace,
            obj,
            attributes=call.attributes,
            dry_run=call.dry_run,
            manager=self._manager(call.query),
        )
        self._send_json(201, created)
        self._code = 201

    def _verb_update(self, call: Call) -> None:
        obj = self._decode_body(call.body)
        if call.route.subresource == "scale":
            obj = _apply_scale(self.cluster, call.served, call.route, obj)
            call.route.subresource = ""
        updated = self.cluster.ops.update(
            call.served,
            call.route.namespace,
            call.route.name,
            obj,
            subresource=call.route.subresource,
            attributes=call.attributes,
            dry_run=call.dry_run,
            manager=self._manager(call.query),
        )
        self._send_json(200, updated)
        self._code = 200

    def _verb_patch(self, call: Call) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(PATCH_TYPES)}",
            )
        patch_body = self._decode_body(call.body)
        existed = (
            self.cluster.get(call.served.info, call.route.namespace, call.route.name) is not None
        )
        manager = (
            call.query.get("fieldManager", "")
            if patch_type == "apply"
            else self._manager(call.query)
        )
        result = self.cluster.ops.patch(
            call.served,
            call.route.namespace,
            call.route.name,
            patch_type,
            patch_body,
            subresource=call.route.subresource,
            attributes=call.attributes,
            dry_run=call.dry_run,
            manager=manager,
            force=query_flag(call.query, "force"),
        )
        code = 201 if patch_type == "apply" and not existed else 200
        self._send_json(code, result)
        self._code = code

    def _delete_options(self, query: Dict[str, str], body: bytes) -> Object:
        options: Object = {}
        if body.strip():
            decoded = self._decode_body(body)
            if isinstance(decoded, dict):
                options.update(decoded)
        if "propagationPolicy" in query:
            options["propagationPolicy"] = query["propagationPolicy"]
        if "orphanDependents" in query:
            options["orphanDependents"] = query_flag(query, "orphanDependents")
        policy = options.get("propagationPolicy")
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            raise errors.invalid(
                None,
                "DeleteOptions",
                "",
                [
                    errors.field_invalid(
                        "propagationPolicy",
                        policy,
                        'must be one of "Background", "Foreground", "Orphan"',
                    )
                ],
            )
        return options

    def _verb_delete(self, call: Call) -> None:
        options = self._delete_options(call.query, call.body)
        dry_run = call.dry_run or "All" in (options.get("dryRun") or [])
        result = self.cluster.ops.delete(
            call.served,
            call.route.namespace,
            call.route.name,
            options=options,
            attributes=call.attributes,
            dry_run=dry_run,
        )
        if (
            (
                result["metadata"].get("deletionTimestamp")
                and self.cluster.get(call.served.info, call.route.namespace, call.route.name)
                is not None
            )
            or call.served.crd_name
            or dry_run
        ):
            self._send_json(200, result)
        else:
            self._send_json(
                200,
                errors.success_status(
                    call.served.info, call.route.name, result["metadata"].get("uid", "")
                ),
            )
        self._code = 200

    def _verb_deletecollection(self, call: Call) -> None:
        options = self._delete_options(call.query, call.body)
        predicate = self._predicate(call.served, call.query)
        targets = [
            obj
            for obj in self.cluster.snapshot(call.served.info, call.route.namespace)
            if predicate(obj)
        ]
        deleted = self.cluster.ops.delete_collection(
            call.served,
            call.route.namespace,
            targets,
            options=options,
            attributes=call.attributes,
            dry_run=call.dry_run,
        )
        self._send_json(
            200,
            {
                "kind": f"{call.served.info.kind}List",
                "apiVersion": call.served.info.api_version,
                "metadata": {"resourceVersion": str(self.cluster.store.revision)},
                "items": deleted,
            },
        )
        self._code = 200

    def _review(self, served: Served, attributes: RequestAttributes, body: Any) -> Object:
        """Serve a create on a virtual resource through the first plug-in with a `review` method."""
        plugins: List[Any] = [
            self.cluster.plugins.authorizer,
            *self.cluster.plugins.admission,
            *self.cluster.plugins.controllers,
        ]
        for plugin in plugins:
            review = getattr(plugin, "review", None)
            if review is None:
                continue
            result = review(attributes, body)
            if result is not None:
                return dict(result)
        return _default_review(self.cluster, served, attributes, body)

    # ----- watch -------------------------------------------------------------

    def _verb_watch(self, call: Call) -> None:
        predicate = self._predicate(call.served, call.query)
        timeout = float(call.query.get("timeoutSeconds") or DEFAULT_WATCH_TIMEOUT)
        deadline = time.monotonic() + timeout
        store = self.cluster.store
        wants_table = self._wants_table()
        send_initial = query_flag(call.query, "sendInitialEvents")
        requested = call.query.get("resourceVersion", "")
        initial: List[Object] = []
        with store.lock:
            last = store.revision
            if requested in ("", "0") or send_initial:
                initial = [
                    obj
                    for obj in self.cluster.snapshot(call.served.info, call.route.namespace)
                    if predicate(obj)
                ]
                expired = False
            else:
                try:
                    last = int(requested)
                except ValueError:
                    raise errors.bad_request(f'invalid resource version: "{requested}"') from None
                expired = last < store.oldest_resumable()

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self._code = 200
        crd = self.cluster.get_crd(call.served.crd_name) if call.served.crd_name else None

        def emit(event_type: str, obj: Object) -> None:
            if wants_table and event_type not in {"ERROR", "BOOKMARK"}:
                obj = tables.table(
                    call.served,
                    [obj],
                    crd=crd,
                    include_object=call.query.get("includeObject", "Metadata"),
                    list_meta={"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                )
            data = json.dumps({"type": event_type, "object": obj}).encode("utf-8") + b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
            self.wfile.flush()

        if expired:
            emit(
                "ERROR",
                errors.status_body(
                    errors.gone(f"too old resource version: {last} ({store.oldest_resumable()})")
                ),
            )
            self._end_chunks()
            return
        for obj in initial:
            emit("ADDED", self.cluster.as_version(call.served.info, obj))
        if send_initial and query_flag(call.query, "allowWatchBookmarks"):
            emit(
                "BOOKMARK",
                {
                    "kind": call.served.info.kind,
                    "apiVersion": call.served.info.api_version,
                    "metadata": {
                        "resourceVersion": str(last),
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                },
            )

        while not self.server.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._client_gone():
                self.close_connection = True
                break
            with store.changed:
                events = store.events_after(last)
                if not events:
                    store.changed.wait(timeout=min(WATCH_POLL_SECONDS, remaining))
                    events = store.events_after(last)
            for event in events:
                last = event.resource_version
                translated = _filter_event(event, call.served, call.route.namespace, predicate)
                if translated is not None:
                    emit(translated[0], self.cluster.as_version(call.served.info, translated[1]))
        self._end_chunks()

    def _client_gone(self) -> bool:
        """Tell whether a watching client closed its side.

        A client sends nothing while it watches, so anything readable (end of stream, or a
        TLS close_notify) means it is gone.
        """
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _name_from_field_selector(selector: str) -> str:
    """Return X of a lone metadata.name=X term, as kube-apiserver's RequestInfo takes it."""
    names = [
        term.split("=")[-1]
        for term in selector.split(",")
        if term.replace("==", "=").startswith("metadata.name=")
    ]
    return names[0] if len(names) == 1 else ""


def _no_such_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def _filter_event(
    event: Event, served: Served, namespace: str, predicate: Any
) -> Optional[Tuple[str, Object]]:
    """Return the event as this watcher receives it, or None.

    A change that moves an object into or out of the selector becomes ADDED or DELETED.
    """
    info = event.resource
    if info.group != served.info.group or info.resource != served.info.resource:
        return None
    if namespace and event.object.get("metadata", {}).get("namespace") != namespace:
        return None
    now_matches = predicate(event.object)
    if event.type == "MODIFIED" and event.previous is not None:
        before = predicate(event.previous)
        if before and not now_matches:
            return "DELETED", event.object
        if now_matches and not before:
            return "ADDED", event.object
    return (event.type, event.object) if now_matches else None


def _paginate(
    items: List[Object], query: Dict[str, str], meta: Object
) -> Tuple[List[Object], Object]:
    """Apply `continue` and `limit` (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).

    NOTE: a continue token resumes after the last key in the current state,
    not in the snapshot of the first page as etcd does.
    """
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
            start = tuple(state["start"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise errors.bad_request(
                "continue key is not valid: incorrect encoded start resourceVersion (version "
                "meta.k8s.io/v1)"
            ) from None
        # Items are sorted by (namespace, name), so the next page starts after a bisection.
        position = bisect.bisect_right(
            items,
            start,
            key=lambda obj: (obj["metadata"].get("namespace", ""), obj["metadata"]["name"]),
        )
        items = items[position:]
    limit = int(query.get("limit") or 0)
    if limit > 0 and len(items) > limit:
        page, rest = items[:limit], items[limit:]
        last = page[-1]["metadata"]
        state = {
            "v": "meta.k8s.io/v1",
            "rv": int(meta["resourceVersion"]),
            "start": [last.get("namespace", ""), last["name"]],
        }
        meta = dict(
            meta,
            **{
                "continue": base64.urlsafe_b64encode(json.dumps(state).encode("utf-8")).decode(
                    "ascii"
                ),
                "remainingItemCount": len(rest),
            },
        )
        return page, meta
    return items, meta


def _scale_of(obj: Object) -> Object:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
    }


def _apply_scale(
    cluster: SimCluster, served: Served, route: routing.Route, scale: Object
) -> Object:
    current = cluster.get(served.info, route.namespace, route.name)
    if current is None:
        raise errors.not_found(served.info, route.name)
    current.setdefault("spec", {})["replicas"] = (scale.get("spec") or {}).get("replicas", 0)
    wanted = (scale.get("metadata") or {}).get("resourceVersion")
    if wanted:
        current["metadata"]["resourceVersion"] = wanted
    return current


def _default_review(
    cluster: SimCluster, served: Served, attributes: RequestAttributes, body: Any
) -> Object:
    """Evaluate a SelfSubjectAccessReview with the authorizer (allowed when there is none)."""
    result = dict(body) if isinstance(body, dict) else {}
    result.setdefault("apiVersion", served.info.api_version)
    result.setdefault("kind", served.info.kind)
    spec = result.get("spec") or {}
    if served.info.kind == "SelfSubjectRulesReview":
        # Without a plug-in that lists rules, say so rather than claim there are none.
        result["status"] = {"resourceRules": [], "nonResourceRules": [], "incomplete": True}
        return result
    if served.info.kind != "SelfSubjectAccessReview":
        result["status"] = {"allowed": cluster.plugins.authorizer is None}
        return result
    authorizer = cluster.plugins.authorizer
    if authorizer is None:
        result["status"] = {"allowed": True}
        return result
    resource_attributes = spec.get("resourceAttributes")
    if resource_attributes:
        target = cluster.resource_named(
            resource_attributes.get("group", ""), resource_attributes.get("resource", "")
        )
        if target is None:
            target = ResourceInfo(
                resource_attributes.get("group", ""),
                resource_attributes.get("version", "") or "v1",
                resource_attributes.get("resource", ""),
                "",
                bool(resource_attributes.get("namespace")),
            )
        asked = RequestAttributes(
            user=attributes.user,
            verb=resource_attributes.get("verb", ""),
            resource=target,
            subresource=resource_attributes.get("subresource", ""),
            namespace=resource_attributes.get("namespace", ""),
            name=resource_attributes.get("name", ""),
        )
    else:
        non_resource = spec.get("nonResourceAttributes") or {}
        asked = RequestAttributes(
            user=attributes.user,
            verb=non_resource.get("verb", ""),
            resource=None,
            path=non_resource.get("path", ""),
        )
    allowed, reason = authorizer.authorize(asked)
    result["status"] = {"allowed": allowed, **({"reason": reason} if reason else {})}
    return result


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # helm 4 opens many connections at once, more than the default listen backlog of 5.
    request_queue_size = 128
    allow_reuse_address = True
    cluster: SimCluster
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.debug("connection from %s ended with an error", client_address, exc_info=True)


class ApiServer:
    """Serve a SimCluster on 127.0.0.1 over HTTPS (or plain HTTP)."""

    def __init__(self, cluster: SimCluster, *, certs: Optional[ServerCerts], port: int = 0) -> None:
        self.cluster = cluster
        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._httpd.cluster = cluster
        self._httpd.stopping = threading.Event()
        scheme = "http"
        if certs is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            with tempfile.TemporaryDirectory() as folder:
                cert_file = Path(folder) / "tls.crt"
                key_file = Path(folder) / "tls.key"
                cert_file.write_text(certs.cert_pem + certs.ca_pem)
                key_file.write_text(certs.key_pem)
                context.load_cert_chain(str(cert_file), str(key_file))
            context.set_alpn_protocols(["http/1.1"])
            # The handshake runs in each request thread, so a slow client cannot block accept().
            self._httpd.socket = context.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            scheme = "https"
            cluster.ca_pem = certs.ca_pem
        self.port = int(self._httpd.server_address[1])
        cluster.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="kubesim-http",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.stopping.set()
        self.cluster.store.wake_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
