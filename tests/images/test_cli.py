"""``kubectl metax images`` on the command line, in English and in zh_CN.

Covers: ``list`` as a table (aligned columns, translated headers), JSON and
Helm values (loaded as YAML with the keys the chart reads); ``parse`` as a
table, JSON and push scripts per tool; ``check`` verdicts and exit codes;
every bad-input path exiting 2 with a translated message on stderr and
nothing on stdout; translated help for every flag; one run of the real
entry point in a subprocess.

Leaves out: the naming rules themselves (test_naming.py, test_packages.py,
test_fitting.py). Needs the compiled catalog (``make catalogs``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import List, Tuple

import pytest
import yaml

from kubectl_metax import cli, i18n, imagetable, naming, texttable

NODE = [
    "--gpu",
    "c500",
    "--arch",
    "x86_64",
    "--driver-version",
    "2.24.0.8",
    "--maca-version",
    "2.32.0.6",
    "--distro",
    "ubuntu22.04",
]
ENGLISH = "en_US.UTF-8"
CHINESE = "zh_CN.UTF-8"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the CLI in-process in a language; return (exit code, stdout, stderr)."""

    def invoke(*argv: str, lang: str = ENGLISH) -> Tuple[int, str, str]:
        for variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("LANG", lang)
        try:
            code = cli.run(["images", *argv])
        except SystemExit as exit:
            code = int(exit.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield invoke
    i18n.setup({})


def test_list_table_columns_aligned(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("list", *NODE, "--operator-version", "0.11.1")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["ROLE", "COMPONENT", "IMAGE"]
    assert len(lines) == 1 + 2 + len(imagetable.COMPONENTS) + 1
    image_column = lines[0].index("IMAGE")
    for line in lines[1:]:
        assert line[image_column - 1] == " "
        assert line[image_column] != " "


def test_list_table_chinese_headers(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("list", *NODE, lang=CHINESE)
    assert code == 0
    header, first = out.splitlines()[:2]
    assert header.split() == ["角色", "组件", "镜像"]
    # Each CJK header character takes two cells, so the columns line up on screen.
    assert texttable.display_width(header[: header.index("镜像")]) == first.index(
        "cr.metax-tech.com"
    )


def test_list_json_images(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("list", *NODE, "--registry", "harbor.example.cn/mx", "-o", "json")
    assert code == 0
    document = json.loads(out)
    assert document["tableVersion"] == imagetable.TABLE_VERSION
    assert document["node"] == {"gpu": "MXC500", "arch": "amd64", "distro": "ubuntu22.04"}
    references = [image["reference"] for image in document["images"]]
    assert references == [
        "harbor.example.cn/mx/driver-image:2.24.0.8-amd64",
        "harbor.example.cn/mx/maca-native:2.32.0.6-ubuntu22.04-amd64",
        "harbor.example.cn/mx/k8s:" + naming.DEFAULT_HOOK_IMAGE.rsplit(":", 1)[1],
    ]
    assert [image["role"] for image in document["images"]] == ["driver", "maca", "hook"]


def test_list_yaml_has_components(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("list", *NODE, "--operator-version", "0.15.0", "-o", "yaml")
    assert code == 0
    images = yaml.safe_load(out)["images"]
    components = [image["component"] for image in images if image["role"] == "component"]
    assert components == [component.name for component in imagetable.COMPONENTS]
    assert images[-1]["reference"] == naming.DEFAULT_HOOK_IMAGE


def test_list_values_load_as_yaml(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("list", *NODE, "--registry", "harbor.example.cn/mximages", "-o", "values")
    assert code == 0
    values = yaml.safe_load(out)
    assert values["registry"] == "harbor.example.cn/mximages"
    assert values["driver"]["payload"] == {
        "name": "driver-image",
        "registry": "harbor.example.cn/mximages",
        "version": "2.24.0.8-amd64",
    }
    assert values["maca"]["payload"] == {
        "registry": "harbor.example.cn/mximages",
        "images": ["maca-native:2.32.0.6-ubuntu22.04-amd64"],
    }


def test_list_values_vendor_registries(run) -> None:  # type: ignore[no-untyped-def]
    node = [*NODE]
    node[1] = "n100"
    code, out, _ = run("list", *node, "-o", "values")
    assert code == 0
    values = yaml.safe_load(out)
    assert values["registry"] == "cr.metax-tech.com/cloud"
    assert values["driver"]["payload"]["registry"] == "cr.metax-tech.com/cloud"
    assert values["maca"]["payload"]["registry"] == "cr.metax-tech.com/library"
    assert values["maca"]["payload"]["images"] == ["maca-n100:2.32.0.6-ubuntu22.04-amd64"]


def replaced(flag: str, value: str) -> List[str]:
    arguments = [*NODE]
    arguments[arguments.index(flag) + 1] = value
    return arguments


BAD_LIST = [
    (replaced("--gpu", "c900"), "'c900'", "MXC600"),
    (replaced("--arch", "ppc64le"), "'ppc64le'", "arm64"),
    (replaced("--driver-version", "2.24"), "'2.24'", "2.24.0.8"),
    (replaced("--driver-version", "2.20.0.1"), "2.20.0.1", "2.24.0"),
    (replaced("--maca-version", "latest"), "'latest'", "2.32.0.6"),
    (replaced("--distro", "Ubuntu22.04"), "'Ubuntu22.04'", "ubuntu22.04"),
    ([*NODE, "--operator-version", "0.11"], "'0.11'", "0.11.1"),
    (
        [*NODE, "--registry", "https://harbor.example.cn"],
        "https://harbor.example.cn",
        "host[:port]",
    ),
    ([*NODE, "--registry", "harbor"], "'harbor'", "localhost"),
]


@pytest.mark.parametrize("arguments, value, accepted", BAD_LIST)
def test_list_bad_input_exits_2(run, arguments: List[str], value: str, accepted: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("list", *arguments)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert value in err
    assert accepted in err


def test_list_bad_input_chinese(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("list", *replaced("--gpu", "c900"), lang=CHINESE)
    assert code == 2
    assert out == ""
    assert "未知 GPU 型号 'c900'" in err
    assert "MXN100" in err


def test_list_missing_flag_exits_2(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("list", "--gpu", "c500")
    assert code == 2
    assert out == ""
    assert "--arch" in err


def test_images_without_subcommand(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run()
    assert code == 2
    assert out == ""
    assert "list" in err
    assert "check" in err


FILES = [
    "/srv/offline/metax-k8s-driver-image.2.24.0.8-x86_64.run",
    "mxc500-maca-2.29.0.1-ubuntu20.04-x86_64.container.xz",
]


def test_parse_table(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("parse", *FILES)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["FILE", "CONTENTS", "IMAGE"]
    assert lines[1].startswith(FILES[0])
    assert lines[1].endswith("cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64")
    assert lines[2].endswith("mxc500-maca:2.29.0.1-ubuntu20.04-amd64")


def test_parse_table_chinese(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("parse", *FILES, lang=CHINESE)
    assert code == 0
    assert out.splitlines()[0].split() == ["文件", "内容", "镜像"]
    assert "内核驱动镜像" in out


def test_parse_json_with_push(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "parse",
        *FILES,
        "--push-to",
        "registry.local:5000",
        "--tool",
        "ctr",
        "--plain-http",
        "-o",
        "json",
    )
    assert code == 0
    document = json.loads(out)
    assert [entry["kind"] for entry in document["files"]] == ["driver-image", "maca-image"]
    assert document["push"]["registry"] == "registry.local:5000"
    assert list(document["push"]["commands"]) == ["ctr"]
    lines = document["push"]["commands"]["ctr"]
    assert (
        "ctr -n k8s.io images push --plain-http registry.local:5000/driver-image:2.24.0.8-amd64"
        in lines
    )
    assert (
        "ctr -n k8s.io images tag docker.io/library/mxc500-maca:2.29.0.1-ubuntu20.04-amd64 "
        "registry.local:5000/mxc500-maca:2.29.0.1-ubuntu20.04-amd64"
    ) in lines


def test_parse_push_script_all_tools(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "parse",
        "metax-k8s-images.0.11.1.run",
        "--arch",
        "arm64",
        "--push-to",
        "harbor.example.cn/mx",
    )
    assert code == 0
    sections = out.strip().split("\n\n")
    assert [section.splitlines()[0] for section in sections] == ["# docker", "# nerdctl", "# ctr"]
    docker = sections[0].splitlines()
    assert "docker push harbor.example.cn/mx/gpu-label:0.11.1-arm64" in docker
    assert "docker manifest push harbor.example.cn/mx/gpu-label:0.11.1" in docker


def test_parse_yaml(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("parse", "metax-gpu-extensions-0.11.1.tgz", "--arch", "amd64", "-o", "yaml")
    assert code == 0
    entry = yaml.safe_load(out)["files"][0]
    assert entry["kind"] == "extensions-chart"
    assert entry["version"] == "0.11.1"
    assert len(entry["images"]) == 3
    assert "push" not in yaml.safe_load(out)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ([FILES[0], "setup.exe"], "setup.exe: not a MetaX package file name"),
        (["metax-k8s-images.0.11.1.run", "--arch", "mips"], "'mips'"),
        ([FILES[0], "--push-to", "https://harbor"], "scheme"),
        ([FILES[0], "--push-to", "harbor"], "not a registry host"),
    ],
)
def test_parse_bad_input_exits_2(run, arguments: List[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("parse", *arguments)
    assert code == 2
    assert out == ""
    assert fragment in err


def test_parse_bad_file_chinese(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("parse", "setup.exe", lang=CHINESE)
    assert code == 2
    assert out == ""
    assert "setup.exe：不是沐曦软件包文件名" in err


CHECK_NODE = ["--gpu", "MXC500", "--arch", "amd64", "--distro", "ubuntu22.04"]


def test_check_all_fit_exits_0(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "check",
        "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64",
        "harbor.example.cn/mx/maca-native:2.32.0.6-ubuntu22.04-amd64",
        *CHECK_NODE,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["REFERENCE", "RESULT", "DETAILS"]
    assert all(" fits" in line for line in lines[1:])


def test_check_misfit_exits_1(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "check", "cr.metax-tech.com/cloud/driver-image:2.24.0.8-arm64", "nginx", *CHECK_NODE
    )
    assert code == 1
    assert "does not fit" in out
    assert "built for arm64, but the node is amd64" in out
    assert "not a MetaX image" in out


def test_check_json_document(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "check", "harbor.example.cn/mx/gpu-label:0.11.1", "maca-n100:1", *CHECK_NODE, "-o", "json"
    )
    assert code == 1
    document = json.loads(out)
    first, second = document["results"]
    assert first["fits"] is True
    assert first["role"] == "component"
    assert first["problems"] == []
    assert len(first["notes"]) == 1
    assert second["fits"] is False
    assert len(second["problems"]) == 2


def test_check_chinese_verdict(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("check", "nginx", *CHECK_NODE, lang=CHINESE)
    assert code == 1
    assert "不适配" in out
    assert "不是沐曦镜像" in out


@pytest.mark.parametrize(
    "node, fragment",
    [
        (["--gpu", "c800", "--arch", "amd64"], "'c800'"),
        (["--gpu", "c500", "--arch", "i386"], "'i386'"),
        (["--gpu", "c500", "--arch", "amd64", "--distro", "22.04"], "'22.04'"),
    ],
)
def test_check_bad_node_exits_2(run, node: List[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("check", "nginx", *node)
    assert code == 2
    assert out == ""
    assert fragment in err


def images_parsers() -> List[argparse.ArgumentParser]:
    parser = cli.build_parser()
    top = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    images = top.choices["images"]
    nested = next(
        action for action in images._actions if isinstance(action, argparse._SubParsersAction)
    )
    return [images, *nested.choices.values()]


def test_every_flag_help_in_chinese() -> None:
    i18n.setup({"LANG": CHINESE})
    try:
        parsers = images_parsers()
        for parser in parsers:
            assert any("\u4e00" <= character <= "\u9fff" for character in parser.description or "")
            for action in parser._actions:
                if action.help in (None, argparse.SUPPRESS):
                    continue
                text = action.help or ""
                assert any("\u4e00" <= character <= "\u9fff" for character in text), (
                    parser.prog,
                    text,
                )
    finally:
        i18n.setup({})
    assert len(parsers) == 4


def test_entry_point_subprocess_chinese() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    environment.update(LANG=CHINESE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubectl_metax",
            "images",
            "check",
            "nginx",
            "--gpu",
            "c500",
            "--arch",
            "amd64",
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 1
    assert "不是沐曦镜像" in result.stdout
    assert result.stderr == ""
