"""The krew manifest that `make dist` generates, checked against krew's rules.

Sources of the rules (opened when this test was written):
- krew's validation, kubernetes-sigs/krew internal/index/validation/validate.go
  (ValidatePlugin, validatePlatform, validateFiles, validateSelector). It
  requires apiVersion krew.googlecontainertools.github.com/v1alpha2 and kind
  Plugin. The name matches ``^[\\w-]+$``, is not a Windows device name and
  equals the file name. shortDescription is set and has no line break. There
  is at least one platform. The version is set and parsed by
  internal/installation/semver: a leading "v", then semver. Each platform
  sets uri and bin, and a sha256 matching ``^[a-f0-9]{64}$``. Its files are
  unset or each has from and to. Its selector uses only the keys os and arch,
  and matchLabels is not empty when given.
- https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest: the manifest
  file is named after the plugin; ``uri`` is a .zip or .tar.gz archive URL.
- the krew-index review bot (for example kubernetes-sigs/krew-index pull 3612):
  shortDescription at most 50 characters, description wrapped at 80 columns.
Our own rule on top: the uri is HTTPS, so that the download is authenticated.

Covers: those rules; the four platforms linux/darwin x amd64/arm64 with the
archive's real sha256 and URL; every file the manifest names is in the
archive; the caveats name the Python floor, the Helm 3/4 usage and the
offline route; dist/ and krew/ get the same manifest.

Leaves out: running the krew binary itself, which is not installed here
(it would have to be built from its Go module); test_krew_install.py lays
the plugin out as krew does instead.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tarfile
from typing import Any, Dict, List
from urllib.parse import urlparse

import pytest
import yaml

from tests.distribution.conftest import BASE_URL, Release, dist

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
SAFE_NAME = re.compile(r"^[\w-]+$")
WINDOWS_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)
}
SHA256 = re.compile(r"^[a-f0-9]{64}$")
# semver.org's regular expression, behind krew's required "v".
SEMVER = re.compile(
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
MAX_SHORT_DESCRIPTION = 50
MAX_DESCRIPTION_COLUMNS = 80
EXPECTED_PLATFORMS = {(os, arch) for os in ("linux", "darwin") for arch in ("amd64", "arm64")}


@pytest.fixture(scope="module")
def manifest(release: Release) -> Dict[str, Any]:
    loaded = yaml.safe_load(release.manifest.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def platforms(manifest: Dict[str, Any]) -> List[Dict[str, Any]]:
    return list(manifest["spec"]["platforms"])


def test_manifest_type(manifest: Dict[str, Any]) -> None:
    assert manifest["apiVersion"] == API_VERSION
    assert manifest["kind"] == "Plugin"


def test_name_matches_file_and_rules(release: Release, manifest: Dict[str, Any]) -> None:
    name = manifest["metadata"]["name"]
    assert name == release.manifest.stem
    assert SAFE_NAME.match(name)
    assert name.upper() not in WINDOWS_DEVICE_NAMES


def test_short_description_rules(manifest: Dict[str, Any]) -> None:
    short = manifest["spec"]["shortDescription"]
    assert short
    assert "\n" not in short
    assert "\r" not in short
    assert len(short) <= MAX_SHORT_DESCRIPTION


def test_description_wrapped_at_80(manifest: Dict[str, Any]) -> None:
    for field in ("description", "caveats"):
        for line in manifest["spec"][field].splitlines():
            assert len(line) <= MAX_DESCRIPTION_COLUMNS, (field, line)


def test_version_is_v_semver(release: Release, manifest: Dict[str, Any]) -> None:
    version = manifest["spec"]["version"]
    assert SEMVER.match(version), version
    assert version == f"v{release.version}"


def test_platforms_cover_linux_darwin(manifest: Dict[str, Any]) -> None:
    found = set()
    for platform in platforms(manifest):
        labels = platform["selector"]["matchLabels"]
        assert labels, "matchLabels specified but empty"
        assert set(labels) <= {"os", "arch"}
        assert "matchExpressions" not in platform["selector"]
        found.add((labels["os"], labels["arch"]))
    assert found == EXPECTED_PLATFORMS
    assert len(platforms(manifest)) == len(EXPECTED_PLATFORMS)


def test_platform_download_fields(release: Release, manifest: Dict[str, Any]) -> None:
    digest = hashlib.sha256(release.archive.read_bytes()).hexdigest()
    expected_uri = f"{BASE_URL}/v{release.version}/{release.archive.name}"
    for platform in platforms(manifest):
        assert platform["uri"] == expected_uri
        assert platform["uri"].startswith("https://")
        assert platform["uri"].endswith(".tar.gz")
        assert SHA256.match(platform["sha256"])
        assert platform["sha256"] == digest
        assert platform["bin"] == "kubectl-metax"


def test_platform_files_in_archive(release: Release, manifest: Dict[str, Any]) -> None:
    with tarfile.open(release.archive) as opened:
        names = opened.getnames()
    for platform in platforms(manifest):
        operations = platform["files"]
        assert operations, "`files` has to be unspecified or non-empty"
        copied = []
        for operation in operations:
            assert operation["from"] and operation["to"]
            matched = fnmatch.filter(names, operation["from"])
            assert matched, operation["from"]
            copied.extend(matched)
        assert platform["bin"] in copied
        assert "LICENSE" in copied


def test_caveats_name_requirements(manifest: Dict[str, Any]) -> None:
    caveats = manifest["spec"]["caveats"]
    assert "Python 3.8" in caveats
    assert "python3" in caveats
    assert "--post-renderer-args post-render" in caveats
    assert "--post-renderer metax" in caveats
    assert "--archive=kubectl-metax-" in caveats
    assert "kubectl_complete-metax" in caveats


def test_caveats_link_path_is_filled(release: Release, manifest: Dict[str, Any]) -> None:
    caveats = manifest["spec"]["caveats"]
    assert f"/store/metax/v{release.version}/kubectl_complete-metax" in caveats
    assert '"${KREW_ROOT:-$HOME/.krew}' in caveats


def test_no_placeholder_left(release: Release) -> None:
    text = release.manifest.read_text(encoding="utf-8")
    assert "${version}" not in text
    assert "${tag}" not in text
    assert "${sha256}" not in text
    assert "${uri}" not in text
    assert text.startswith("# Generated by `make dist`")


def test_krew_copy_matches_dist(release: Release) -> None:
    assert (release.krew_dir / "metax.yaml").read_bytes() == release.manifest.read_bytes()


def test_placeholder_base_never_resolves(manifest: Dict[str, Any]) -> None:
    host = urlparse(dist.PLACEHOLDER_BASE_URL).hostname or ""
    # RFC 2606 reserves .invalid: no DNS server answers for it.
    assert host.endswith(".invalid")
    assert host in manifest["spec"]["caveats"]
