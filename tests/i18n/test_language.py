"""The language follows LC_ALL, LC_MESSAGES and LANG, and reaches argparse.

Covers: the POSIX precedence of the three variables, the locale spellings
that select Simplified Chinese, the English default, and a real run of the
command line in each language (our strings and argparse's own).

Leaves out: per-command messages, which each command's tests check in
both languages.
"""

from __future__ import annotations

import pytest

from kubectl_metax import cli, i18n


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN.utf8"}, "zh_CN"),
        ({"LANG": "zh_CN"}, "zh_CN"),
        ({"LANG": "zh_SG.UTF-8"}, "zh_CN"),
        ({"LANG": "zh"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, None),
        ({"LANG": "zh_HK.UTF-8"}, None),
        ({"LANG": "en_US.UTF-8"}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "POSIX"}, None),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, None),
        ({"LC_ALL": "zh_CN.GB18030", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "zh_CN", "LANG": "en_US.UTF-8"}, None),
    ],
)
def test_language_from_environment(environ: dict, expected: object) -> None:
    assert i18n.language_from(environ) == expected


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, lang: str, *argv: str):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", lang)
    try:
        code = cli.run(list(argv))
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_in_chinese(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "zh_CN.UTF-8", "--help")
    assert code == 0
    assert out.startswith("用法：kubectl metax")
    assert "显示此帮助信息并退出" in out
    assert "诊断 MetaX GPU Operator" in out


def test_help_in_english(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "en_US.UTF-8", "--help")
    assert code == 0
    assert out.startswith("usage: kubectl metax")
    assert "show this help message and exit" in out


def test_usage_error_in_chinese(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "zh_CN.UTF-8", "no-such-command")
    assert code == 2
    assert out == ""
    assert "错误" in err
    assert "无效的选项" in err


def test_version_flag(monkeypatch, capsys) -> None:
    from kubectl_metax import __version__

    code, out, _ = run_cli(monkeypatch, capsys, "en_US.UTF-8", "--version")
    assert code == 0
    assert out.strip() == f"kubectl-metax {__version__}"
