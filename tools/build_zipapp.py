"""Build dist/kubectl-metax, the single-file shiv zipapp users install.

The zipapp must run on the python3 that users' hosts ship, Python 3.8 and
newer, on any OS and CPU. So the dependencies are resolved for Python 3.8
(pure-Python wheels where they exist), compiled accelerators that have a
pure-Python twin are removed, and PyYAML's libyaml module is added for
every CPython 3.8-3.13 build on Linux x86-64 and aarch64: Python loads the
one whose ABI tag matches and PyYAML falls back to its pure-Python parser
everywhere else.

Usage: ``python tools/build_zipapp.py [--output dist/kubectl-metax]``
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
FLOOR = "3.8"
INTERPRETER = "/usr/bin/env python3"

# libyaml builds to add beside the Python 3.8 one that the resolver picks.
YAML_ABIS = ("cp38", "cp39", "cp310", "cp311", "cp312", "cp313")
YAML_PLATFORMS = ("manylinux2014_x86_64", "manylinux2014_aarch64")

# Packages whose compiled modules are optional speed-ups with a .py twin.
# NB: an extension built for another CPU shadows its .py twin and fails to
# import, so these are removed rather than kept "just in case".
PURE_FALLBACKS = ("charset_normalizer",)


def pip(*args: str) -> None:
    # Two -q keep pip to errors: its warnings about this machine's index settings are noise here.
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-qq", *args], check=True
    )


def runtime_pins() -> list[str]:
    lines = (TOP / "requirements" / "runtime.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def install_dependencies(site: Path) -> None:
    pip(
        "install",
        "--quiet",
        "--target",
        str(site),
        "--only-binary=:all:",
        "--python-version",
        FLOOR,
        "--implementation",
        "cp",
        "--abi",
        f"cp{FLOOR.replace('.', '')}",
        *runtime_pins(),
    )
    for package in PURE_FALLBACKS:
        for compiled in (site / package).rglob("*.so"):
            if compiled.with_name(compiled.name.split(".", 1)[0] + ".py").exists():
                compiled.unlink()
    shutil.rmtree(site / "bin", ignore_errors=True)


def add_libyaml_builds(site: Path, scratch: Path) -> None:
    version = next(
        pin.split("==")[1] for pin in runtime_pins() if pin.lower().startswith("pyyaml==")
    )
    for abi in YAML_ABIS:
        for platform in YAML_PLATFORMS:
            wheels = scratch / f"{abi}-{platform}"
            pip(
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(wheels),
                "--python-version",
                abi[2] + "." + abi[3:],
                "--implementation",
                "cp",
                "--abi",
                abi,
                "--platform",
                platform,
                f"PyYAML=={version}",
            )
            for wheel in wheels.glob("*.whl"):
                with zipfile.ZipFile(wheel) as archive:
                    for member in archive.namelist():
                        if member.startswith("yaml/_yaml.") and member.endswith(".so"):
                            (site / member).write_bytes(archive.read(member))


def install_package(site: Path) -> None:
    pip("install", "--no-deps", "--target", str(site), str(TOP))


def record_build(site: Path) -> None:
    """Write the commit and build date that `kubectl metax version -o json` reports."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(TOP), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    # SOURCE_DATE_EPOCH, when set, makes the date reproducible (reproducible-builds.org).
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", datetime.datetime.now().timestamp()))
    date = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    info = {"commit": commit, "buildDate": date.strftime("%Y-%m-%dT%H:%M:%SZ")}
    (site / "kubectl_metax" / "buildinfo.json").write_text(json.dumps(info) + "\n")


def build(output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kubectl-metax-build-") as scratch_name:
        scratch = Path(scratch_name)
        site = scratch / "site"
        install_dependencies(site)
        add_libyaml_builds(site, scratch / "wheels")
        install_package(site)
        record_build(site)
        output.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(Path(sys.executable).parent / "shiv"),
                "--site-packages",
                str(site),
                "--entry-point",
                "kubectl_metax.cli:main",
                "--python",
                INTERPRETER,
                "--output-file",
                str(output),
                "--compressed",
                "--reproducible",
            ],
            check=True,
        )
    print(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TOP / "dist" / "kubectl-metax")
    build(parser.parse_args().output.resolve())


if __name__ == "__main__":
    main()
