"""Project a Job pod's ConfigMap, Secret and emptyDir volumes into a local directory.

The jobs actor runs a container's command as a local process, so nothing is
mounted at a volume's ``mountPath``. Instead each volume becomes a
directory ``<root>/<volume name>`` in the attempt's temporary directory:
a ConfigMap's keys (``data`` and ``binaryData``) and a Secret's keys
(decoded) are written there as files, all of them or the ``items`` chosen,
and an emptyDir stays empty. Other volume types are not projected.

The rule that makes a command find the files: a command, args or env value
equal to a mountPath, or starting with the mountPath and ``/``, has that
prefix replaced by the volume's directory. The longest mountPath is tried
first, and a ``subPath`` maps the mountPath onto that file or directory of
the volume. The limit: only a value that starts with the path is mapped, so a path in
the middle of a value (``sh -c 'cat /scripts/x'``) or one the command builds
at run time still points at the real filesystem.

Files are written only under ``root``: keys are checked as Kubernetes
ConfigMap keys (IsConfigMapKey in k8s.io/apimachinery validation.go:
``[-._a-zA-Z0-9]+``, at most 253 characters, not ``.`` or ``..``), an
item's ``path`` and a ``subPath`` must be relative with no ``..`` element,
and volume names must be DNS-1123 labels. A value that breaks a rule, or a
missing ConfigMap or Secret that is not ``optional``, fails the attempt with
a message, where the kubelet would keep the pod waiting to start.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Dict, List, Optional, Tuple

from tests.kubesim.contract import Cluster, Object

# k8s.io/apimachinery/pkg/util/validation: IsConfigMapKey and IsDNS1123Label.
_CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")
MAX_KEY_LENGTH = 253
_VOLUME_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
MAX_VOLUME_NAME_LENGTH = 63


class VolumeError(Exception):
    """A volume that cannot be projected, with the cause in its message."""


def project(
    cluster: Cluster, pod: Object, container: Object, *, root: str
) -> List[Tuple[str, str]]:
    """Write the container's mounted volumes under root; return (mountPath, local path) pairs."""
    namespace = pod["metadata"].get("namespace", "")
    volumes = {
        volume.get("name", ""): volume for volume in (pod.get("spec") or {}).get("volumes") or []
    }
    mounts: List[Tuple[str, str]] = []
    written: Dict[str, str] = {}
    for mount in container.get("volumeMounts") or []:
        name = mount.get("name", "")
        mount_path = str(mount.get("mountPath", "")).rstrip("/")
        volume = volumes.get(name)
        if volume is None or not mount_path.startswith("/"):
            continue
        if name not in written:
            directory = _volume_directory(root, name)
            if not _fill(cluster, namespace, volume, directory):
                continue
            written[name] = directory
        local = written[name]
        sub_path = mount.get("subPath") or ""
        if sub_path:
            local = os.path.join(local, *_relative_parts(sub_path, what="subPath"))
        mounts.append((mount_path, local))
    # Longest mountPath first, so /etc/app/conf wins over /etc/app.
    mounts.sort(key=lambda pair: len(pair[0]), reverse=True)
    return mounts


def mapped(value: str, mounts: List[Tuple[str, str]]) -> str:
    """Return value with a leading mountPath replaced by its local path."""
    for mount_path, local in mounts:
        if value == mount_path or value.startswith(mount_path + "/"):
            return local + value[len(mount_path) :]
    return value


def _volume_directory(root: str, name: str) -> str:
    if len(name) > MAX_VOLUME_NAME_LENGTH or not _VOLUME_NAME.match(name):
        raise VolumeError(f"volume name {name!r} is not a DNS-1123 label")
    return os.path.join(root, name)


def _fill(cluster: Cluster, namespace: str, volume: Object, directory: str) -> bool:
    """Create the volume's directory and files; return False for a type not projected."""
    if "emptyDir" in volume:
        os.makedirs(directory, exist_ok=True)
        return True
    for field, plural, name_field in (
        ("configMap", "configmaps", "name"),
        ("secret", "secrets", "secretName"),
    ):
        source = volume.get(field)
        if source is None:
            continue
        os.makedirs(directory, exist_ok=True)
        files = _source_files(cluster, namespace, source, plural=plural, name_field=name_field)
        if files is None:
            return True  # optional and missing: an empty directory, as the kubelet mounts
        _write(directory, files, source.get("items"))
        return True
    return False


def _source_files(
    cluster: Cluster, namespace: str, source: Object, *, plural: str, name_field: str
) -> Optional[Dict[str, bytes]]:
    name = source.get(name_field, "")
    resource = cluster.resource_named("", plural)
    stored = cluster.get(resource, namespace, name) if resource else None
    if stored is None:
        if source.get("optional"):
            return None
        raise VolumeError(f'{plural[:-1]} "{name}" not found in namespace "{namespace}"')
    files: Dict[str, bytes] = {}
    if plural == "secrets":
        for key, value in (stored.get("data") or {}).items():
            files[key] = base64.b64decode(value)
    else:
        for key, value in (stored.get("data") or {}).items():
            files[key] = str(value).encode("utf-8")
        for key, value in (stored.get("binaryData") or {}).items():
            files[key] = base64.b64decode(value)
    return files


def _write(directory: str, files: Dict[str, bytes], items: Optional[List[Object]]) -> None:
    chosen: List[Tuple[str, str]] = []
    if items:
        for item in items:
            key = item.get("key", "")
            if key not in files:
                raise VolumeError(f"key {key!r} named in items is missing")
            chosen.append((key, item.get("path") or key))
    else:
        chosen = [(key, key) for key in sorted(files)]
    for key, path in chosen:
        _check_key(key)
        target = os.path.join(directory, *_relative_parts(path, what="item path"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(files[key])


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH or key in (".", "..") or not _CONFIG_MAP_KEY.match(key):
        raise VolumeError(f"{key!r} is not a valid ConfigMap key")


def _relative_parts(path: str, *, what: str) -> List[str]:
    parts = [part for part in path.split("/") if part]
    if path.startswith("/") or not parts or ".." in parts or "\x00" in path:
        raise VolumeError(f"{what} {path!r} must be relative and must not contain '..'")
    return parts
