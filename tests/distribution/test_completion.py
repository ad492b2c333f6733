"""Shell completion through the real kubectl v1.35: `kubectl __complete metax ...`.

kubectl 1.26+ looks up ``kubectl_complete-metax`` on PATH and runs it with
the words after ``metax``, the last being the word to complete; it reads
one candidate per line and a last line ``:<directive>`` (kubernetes
staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go,
pluginCompletion and getPluginCompletions). PATH here holds the built
zipapp as kubectl-metax, bin/kubectl_complete-metax and python3 only.

Covers: the directive numbers against kubectl's own bash script;
subcommands and nested subcommands with their help as description; flags
read from cli.build_parser(), without flags already given; argparse choices;
GPU products and architectures from imagetable; doctor's check IDs;
``--flag=value``; folder and file directives; namespaces and contexts from a
kubesim cluster; silence (no candidates, directive 4, nothing on stderr)
with no cluster or an unreachable one; Chinese descriptions under a zh_CN
locale; the helper script's choice of kubectl-metax (its own folder first,
then PATH, else no candidates).

Leaves out: the shells' own completion scripts (bash, zsh, fish), which
kubectl generates and which need shells and packages this machine lacks
(bash needs bash-completion); Helm release names, which no command takes yet
(test_completion_rules.py covers them through a parser of its own).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from kubectl_metax import cli, completion, i18n, imagetable
from kubectl_metax.checks import catalog
from tests.distribution.conftest import REPO, Release
from tests.kubesim.instance import KubeSim

NO_FILE = 4
FILES = 0
DIRS_ONLY = 16


@pytest.fixture
def complete_env(
    tmp_path: Path, release: Release, python_dir: Path, clean_env: Dict[str, str]
) -> Dict[str, str]:
    tools = tmp_path / "plugins"
    tools.mkdir()
    (tools / "kubectl-metax").symlink_to(release.zipapp)
    (tools / "kubectl_complete-metax").symlink_to(REPO / "bin" / "kubectl_complete-metax")
    return {**clean_env, "PATH": f"{tools}:{python_dir}"}


def kubectl_complete(
    kubectl_bin: Path, words: List[str], env: Dict[str, str]
) -> Tuple[List[Tuple[str, str]], int]:
    """Return (candidates as (value, description), directive) from kubectl."""
    result = subprocess.run(
        [str(kubectl_bin), "__complete", "metax", *words],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and lines[-1].startswith(":"), result.stdout
    candidates = []
    for line in lines[:-1]:
        value, _, description = line.partition("\t")
        candidates.append((value, description))
    return candidates, int(lines[-1][1:])


def values(candidates: List[Tuple[str, str]]) -> List[str]:
    return [value for value, _ in candidates]


def parser_at(*path: str) -> argparse.ArgumentParser:
    """The English parser of `kubectl metax <path...>`."""
    i18n.setup({})
    parser = cli.build_parser()
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def subcommand_helps(parser: argparse.ArgumentParser) -> Dict[str, str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {choice.dest: choice.help or "" for choice in action._choices_actions}


def test_directives_match_kubectl_script(kubectl_bin: Path) -> None:
    script = subprocess.run(
        [str(kubectl_bin), "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    defined = dict(re.findall(r"local shellCompDirective(\w+)=(\d+)", script))
    assert int(defined["NoSpace"]) == completion.DIRECTIVE_NO_SPACE
    assert int(defined["NoFileComp"]) == completion.DIRECTIVE_NO_FILE
    assert int(defined["FilterDirs"]) == completion.DIRECTIVE_DIRS_ONLY


def test_subcommands_with_help(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, [""], complete_env)
    assert dict(candidates) == subcommand_helps(parser_at())
    assert "__complete" not in values(candidates)
    assert directive == NO_FILE


def test_subcommand_prefix_filters(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, _ = kubectl_complete(kubectl_bin, ["im"], complete_env)
    assert values(candidates) == ["images"]


def test_nested_subcommands(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["images", ""], complete_env)
    assert dict(candidates) == subcommand_helps(parser_at("images"))
    assert directive == NO_FILE


def test_flags_from_parser(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["images", "list", "--"], complete_env)
    expected = {
        name
        for action in parser_at("images", "list")._actions
        for name in action.option_strings
        if name.startswith("--")
    }
    assert set(values(candidates)) == expected
    assert directive == NO_FILE


def test_given_flag_not_offered_again(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    words = ["images", "list", "--gpu", "MXC500", "--"]
    candidates, _ = kubectl_complete(kubectl_bin, words, complete_env)
    assert "--gpu" not in values(candidates)
    assert "--arch" in values(candidates)


def test_output_choices_from_parser(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["version", "-o", ""], complete_env)
    output = next(a for a in parser_at("version")._actions if "-o" in a.option_strings)
    assert values(candidates) == [str(choice) for choice in output.choices or ()]
    assert directive == NO_FILE


def test_gpu_products_from_table(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(
        kubectl_bin, ["images", "list", "--gpu", ""], complete_env
    )
    assert values(candidates) == list(imagetable.PRODUCTS)
    assert directive == NO_FILE


def test_gpu_short_lowercase_spelling(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, _ = kubectl_complete(kubectl_bin, ["images", "check", "--gpu", "c"], complete_env)
    expected = [model[2:].lower() for model in imagetable.PRODUCTS if model.startswith("MXC")]
    assert values(candidates) == expected


def test_gpu_equals_form(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, _ = kubectl_complete(kubectl_bin, ["images", "list", "--gpu=MXC5"], complete_env)
    expected = [f"--gpu={model}" for model in imagetable.PRODUCTS if model.startswith("MXC5")]
    assert values(candidates) == expected


def test_architectures_from_table(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, _ = kubectl_complete(kubectl_bin, ["images", "list", "--arch", ""], complete_env)
    assert values(candidates) == list(imagetable.ARCHITECTURES)


def test_architecture_aliases_on_prefix(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, _ = kubectl_complete(kubectl_bin, ["images", "list", "--arch", "x"], complete_env)
    expected = [alias for alias in imagetable.ARCH_ALIASES if alias.startswith("x")]
    assert values(candidates) == expected


def test_doctor_check_ids(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["doctor", "--skip", "MX3"], complete_env)
    expected = [check_id for check_id in catalog.known_ids() if check_id.startswith("MX3")]
    assert values(candidates) == expected
    assert all(description for _, description in candidates)
    # NoFileComp (4) | NoSpace (2): the list may go on after a comma.
    assert directive == 6


def test_folder_flag_completes_folders(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(
        kubectl_bin, ["unstick", "--backup-dir", ""], complete_env
    )
    assert candidates == []
    assert directive == DIRS_ONLY


def test_file_positional_completes_files(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["images", "parse", ""], complete_env)
    assert candidates == []
    assert directive == FILES


def test_namespaces_without_cluster(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    candidates, directive = kubectl_complete(kubectl_bin, ["unstick", "-n", ""], complete_env)
    assert candidates == []
    assert directive == NO_FILE


def test_helper_silent_when_unreachable(
    release: Release, complete_env: Dict[str, str], tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    # Port 1 on 127.0.0.1 is closed: the connection is refused at once.
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: gone, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: gone}}]\n"
    )
    result = subprocess.run(
        [str(REPO / "bin" / "kubectl_complete-metax"), "unstick", "-n", ""],
        env={**complete_env, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f":{NO_FILE}\n"
    assert result.stderr == ""


def test_namespaces_from_cluster(
    kubectl_bin: Path, complete_env: Dict[str, str], kubesim: KubeSim
) -> None:
    kubesim.cluster.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "metax-operator"}}
    )
    env = {**complete_env, "KUBECONFIG": str(kubesim.kubeconfig)}
    candidates, directive = kubectl_complete(kubectl_bin, ["unstick", "-n", "m"], env)
    assert values(candidates) == ["metax-operator"]
    assert directive == NO_FILE
    candidates, _ = kubectl_complete(kubectl_bin, ["unstick", "--namespace", ""], env)
    assert {"default", "kube-system", "metax-operator"} <= set(values(candidates))


def test_namespaces_use_kubeconfig_flag(
    kubectl_bin: Path, complete_env: Dict[str, str], kubesim: KubeSim
) -> None:
    kubeconfig = str(kubesim.kubeconfig)
    words = ["unstick", "--kubeconfig", kubeconfig, "-n", "kube-"]
    candidates, _ = kubectl_complete(kubectl_bin, words, complete_env)
    assert values(candidates) == sorted(
        name for name in ("kube-system", "kube-public", "kube-node-lease")
    )


def test_contexts_from_kubeconfig(
    kubectl_bin: Path, complete_env: Dict[str, str], kubesim: KubeSim
) -> None:
    kubeconfig = Path(kubesim.kubeconfig)
    expected = sorted(item["name"] for item in yaml.safe_load(kubeconfig.read_text())["contexts"])
    env = {**complete_env, "KUBECONFIG": str(kubeconfig)}
    candidates, directive = kubectl_complete(kubectl_bin, ["unstick", "--context", ""], env)
    assert values(candidates) == expected
    assert directive == NO_FILE


def test_descriptions_in_chinese(kubectl_bin: Path, complete_env: Dict[str, str]) -> None:
    english, _ = kubectl_complete(kubectl_bin, [""], complete_env)
    chinese, _ = kubectl_complete(kubectl_bin, [""], {**complete_env, "LANG": "zh_CN.UTF-8"})
    assert values(chinese) == values(english)
    assert dict(chinese)["version"] != dict(english)["version"]
    assert any("\u4e00" <= char <= "\u9fff" for char in dict(chinese)["version"])


def test_helper_without_plugin_offers_nothing(python_dir: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    helper = alone / "kubectl_complete-metax"
    helper.write_bytes((REPO / "bin" / "kubectl_complete-metax").read_bytes())
    helper.chmod(0o755)
    result = subprocess.run(
        [str(helper), ""],
        env={"PATH": f"{alone}:{python_dir}", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f":{NO_FILE}\n"
    assert result.stderr == ""


def test_helper_prefers_sibling_plugin(
    release: Release, complete_env: Dict[str, str], tmp_path: Path
) -> None:
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    (sibling / "kubectl-metax").symlink_to(release.zipapp)
    (sibling / "kubectl_complete-metax").symlink_to(REPO / "bin" / "kubectl_complete-metax")
    # PATH keeps only python3, so kubectl-metax can come only from the helper's own folder.
    env = {**complete_env, "PATH": complete_env["PATH"].split(":", 1)[1]}
    result = subprocess.run(
        [str(sibling / "kubectl_complete-metax"), "vers"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split("\t")[0] == "version"
