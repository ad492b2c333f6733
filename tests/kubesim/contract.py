"""The seam between the kubesim server core and its pluggable semantics.

The core (HTTP(S), authentication, discovery, OpenAPI, storage, patching,
watch, deletion with finalizers, audit, faults) calls three kinds of
plug-ins, each of which only sees the types below:

- an ``Authorizer`` decides every request after authentication (RBAC);
- ``AdmissionPlugin`` objects see every write before it is stored
  (mutating first, then validating), after defaulting and before
  ``dryRun`` is honoured, as kube-apiserver orders them;
- ``Controller`` objects run in background threads and act on the store
  through ``Cluster`` as a privileged system client (namespace lifecycle,
  garbage collection, CRD finalization, workloads, jobs, the MetaX
  operator stand-in).

``Cluster`` is implemented by the core; the plug-ins are implemented by the
semantics modules. Both sides import from here and nowhere else across the
seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

Object = Dict[str, Any]

# Annotation in which the jobs actor keeps a Pod's combined output (the last
# 64 KiB); the core may serve GET .../pods/<name>/log from it.
POD_LOG_ANNOTATION = "kubesim.io/log"


@dataclass(frozen=True)
class UserInfo:
    username: str
    groups: Tuple[str, ...] = ()
    uid: str = ""


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource, as discovery lists it."""

    group: str  # "" for the core group
    version: str
    resource: str  # plural, e.g. "deployments"
    kind: str
    namespaced: bool
    subresources: Tuple[str, ...] = ()
    short_names: Tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class RequestAttributes:
    """What authorization and admission know about one request."""

    user: UserInfo
    verb: str  # get list watch create update patch delete deletecollection
    resource: Optional[ResourceInfo]  # None for non-resource paths (/version, /apis, ...)
    subresource: str = ""
    namespace: str = ""
    # For list and watch limited by fieldSelector=metadata.name=<name>, that name,
    # as kube-apiserver's RequestInfo sets it; RBAC resourceNames rules rely on it.
    name: str = ""
    path: str = ""
    dry_run: bool = False


class ApiError(Exception):
    """An error that the core turns into a ``Status`` response."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Optional[Object] = None,
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after


class Authorizer(Protocol):
    def authorize(self, attributes: RequestAttributes) -> Tuple[bool, str]:
        """Return (allowed, reason); the core answers 403 Forbidden when not allowed."""


class AdmissionPlugin(Protocol):
    def admit(
        self,
        attributes: RequestAttributes,
        operation: str,  # CREATE UPDATE DELETE
        obj: Optional[Object],
        old: Optional[Object],
    ) -> Optional[Object]:
        """Return the (possibly mutated) object, or raise ApiError to reject the write."""


class Reviewer(Protocol):
    """Optional on any plug-in: answers creates of a virtual resource such as SelfSubjectAccessReview.

    The core calls ``review`` with the request's attributes and the decoded
    body and sends the returned object back with 201. ``kubectl auth can-i``
    (v1.35.2) posts its SelfSubjectAccessReview as protobuf, so the core must
    decode that kind too (authorization/v1 generated.proto).
    """

    def review(self, attributes: RequestAttributes, body: Object) -> Optional[Object]: ...


# Event types passed to watchers: ADDED, MODIFIED, DELETED.
WatchCallback = Callable[[str, ResourceInfo, Object], None]


class Cluster(Protocol):
    """What the core offers to controllers and plug-ins; every call is thread-safe."""

    url: str  # https://127.0.0.1:<port> (or http:// when TLS is off)
    ca_pem: str  # empty when TLS is off

    def resource_for(self, api_version: str, kind: str) -> Optional[ResourceInfo]: ...

    def resource_named(self, group: str, resource: str) -> Optional[ResourceInfo]: ...

    def get(self, resource: ResourceInfo, namespace: str, name: str) -> Optional[Object]: ...

    def list(self, resource: ResourceInfo, namespace: str = "") -> List[Object]: ...

    def create(self, obj: Object) -> Object:
        """Store a new object as the system (no authorization, no admission)."""

    def update(self, obj: Object) -> Object:
        """Replace an object as the system; 409 Conflict on a stale resourceVersion."""

    def update_status(self, obj: Object) -> Object: ...

    def delete(
        self,
        resource: ResourceInfo,
        namespace: str,
        name: str,
        *,
        propagation: str = "Background",
    ) -> Optional[Object]:
        """Delete as the system: sets deletionTimestamp when finalizers remain, else removes.

        Semantics expect kube-apiserver's behaviour here and on the HTTP path:
        a Namespace with ``spec.finalizers`` left is only marked (deletionTimestamp
        and status.phase Terminating) and goes once an update leaves both
        finalizer lists empty (the namespace controller also deletes it again
        then); ``Foreground`` adds the ``foregroundDeletion``
        finalizer and ``Orphan`` the ``orphan`` finalizer, which the garbage
        collector removes when it has handled the dependents.
        """

    def finalize_namespace(self, name: str, finalizers: List[str]) -> Object:
        """Set a Namespace's spec.finalizers, as PUT .../namespaces/<name>/finalize does.

        The namespace controller calls it with the ``kubernetes`` entry removed;
        the Namespace goes when no finalizer of either list remains.
        """

    def resources(self) -> List[ResourceInfo]:
        """Return every served resource, built-in and CRD-backed, in its storage version.

        The namespace controller and the garbage collector walk these to find
        namespaced content and dependents across kinds.
        """

    def watch(self, callback: WatchCallback) -> Callable[[], None]:
        """Call back on every stored change; returns a function that unsubscribes."""

    def issue_token(self, user: UserInfo) -> str:
        """Return a bearer token that authenticates as user (for job-runner kubeconfigs)."""


class Controller(Protocol):
    name: str

    def start(self, cluster: Cluster) -> None: ...

    def stop(self) -> None: ...


@dataclass
class PluginSet:
    """What a kubesim instance is built with; the core accepts any of them as empty."""

    authorizer: Optional[Authorizer] = None
    admission: List[AdmissionPlugin] = field(default_factory=list)
    controllers: List[Controller] = field(default_factory=list)
