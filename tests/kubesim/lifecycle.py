"""Namespace lifecycle admission for kubesim, after kube-apiserver's NamespaceLifecycle plug-in.

- New content in a namespace that is being deleted is rejected with 403
  Forbidden and the real message "unable to create new content in namespace
  <ns> because it is being terminated".
- New content in a namespace that does not exist is rejected with 404.
- The namespaces default, kube-system and kube-public cannot be deleted.

The core sets a new Namespace's ``spec.finalizers: [kubernetes]`` and phase
Active, as the namespace registry strategy does.
"""

from __future__ import annotations

from typing import Optional

from tests.kubesim.contract import ApiError, Object, RequestAttributes
from tests.kubesim.controllers.base import ClusterBound

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
NAMESPACE_FINALIZER = "kubernetes"


def qualified_name(attributes: RequestAttributes) -> str:
    resource = attributes.resource
    assert resource is not None
    return f"{resource.resource}.{resource.group}" if resource.group else resource.resource


def forbidden(attributes: RequestAttributes, name: str, message: str, *, cause: str) -> ApiError:
    subject = f'{qualified_name(attributes)} "{name}"' if name else qualified_name(attributes)
    return ApiError(
        403,
        "Forbidden",
        f"{subject} is forbidden: {message}",
        details={
            "name": name,
            "kind": attributes.resource.resource if attributes.resource else "",
            "causes": [{"reason": cause, "message": message}],
        },
    )


class NamespaceLifecycle(ClusterBound):
    """The AdmissionPlugin."""

    name = "namespace-lifecycle"

    def admit(
        self,
        attributes: RequestAttributes,
        operation: str,
        obj: Optional[Object],
        old: Optional[Object],
    ) -> Optional[Object]:
        resource = attributes.resource
        if resource is None:
            return obj
        if resource.group == "" and resource.resource == "namespaces":
            return self._admit_namespace(attributes, operation, obj)

        # Only creates of new namespaced objects are checked. Subresource creates
        # (pods/eviction, serviceaccounts/token) act on objects that already exist.
        checked = operation == "CREATE" and resource.namespaced and attributes.namespace
        if not checked or attributes.subresource or self.cluster is None:
            return obj
        namespaces = self.cluster.resource_named("", "namespaces")
        if namespaces is None:
            return obj

        namespace = self.cluster.get(namespaces, "", attributes.namespace)
        if namespace is None:
            raise ApiError(
                404,
                "NotFound",
                f'namespaces "{attributes.namespace}" not found',
                details={"name": attributes.namespace, "kind": "namespaces"},
            )
        deleting = bool((namespace.get("metadata") or {}).get("deletionTimestamp"))
        if deleting or (namespace.get("status") or {}).get("phase") == "Terminating":
            name = attributes.name or ((obj or {}).get("metadata") or {}).get("name", "")
            message = (
                f"unable to create new content in namespace {attributes.namespace} "
                "because it is being terminated"
            )
            raise forbidden(attributes, name, message, cause="NamespaceTerminating")
        return obj

    @staticmethod
    def _admit_namespace(
        attributes: RequestAttributes, operation: str, obj: Optional[Object]
    ) -> Optional[Object]:
        if operation == "DELETE" and attributes.name in IMMORTAL_NAMESPACES:
            raise forbidden(
                attributes, attributes.name, "this namespace may not be deleted", cause=""
            )
        return obj
