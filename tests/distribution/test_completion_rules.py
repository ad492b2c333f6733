"""The completion rules in kubectl_metax.completion(_values), on a parser built for the test.

Covers: the word walk (``--flag=value``, ``-nVALUE``, ``--``, optional-value
flags, unknown words); hidden flags; repeatable flags offered again; choices
of options and positionals; file and folder directives; the flags handed to
cluster look-ups; the reply format (``value<TAB>description`` lines, then
``:<directive>``); cluster_names against kubesim over HTTPS for namespaces,
Helm releases (from Helm's release Secrets) and contexts, and its empty
answer when the API server forbids the LIST or is gone.

Leaves out: the real command tree and kubectl in front of it
(test_completion.py).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from kubectl_metax import completion, completion_values
from tests.kubesim.cluster import UserInfo
from tests.kubesim.instance import KubeSim

Calls = List[Tuple[str, Dict[str, str]]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubectl metax")
    parser.add_argument("-v", "--verbose", action="count", help="more   detail\n on stderr")
    commands = parser.add_subparsers(dest="command")
    tool = commands.add_parser("tool", help="run the tool")
    tool.add_argument("-n", "--namespace")
    tool.add_argument("--kubeconfig")
    tool.add_argument("--release")
    tool.add_argument("--label", action="append")
    tool.add_argument("--mode", choices=("fast", "slow"))
    tool.add_argument("--secret", help=argparse.SUPPRESS)
    tool.add_argument("--dry-run", nargs="?", const="client", choices=("client", "server"))
    tool.add_argument("--backup-dir")
    tool.add_argument("--plain", action="store_true")
    tool.add_argument("--only")
    tool.add_argument("target", choices=("node", "pod"))
    tool.add_argument("files", nargs="*")
    commands.add_parser("other", help="another command")
    return parser


@pytest.fixture
def calls() -> Calls:
    return []


def run_complete(words: List[str], calls: Calls) -> completion.Reply:
    def lookup(kind: str, flags: Dict[str, str]) -> List[str]:
        calls.append((kind, dict(flags)))
        return ["metax-operator", "kube-system"] if kind == "namespaces" else ["demo"]

    return completion.complete(words, parser=build_parser(), lookup=lookup)


def values(reply: completion.Reply) -> List[str]:
    return [value for value, _ in reply.candidates]


def test_empty_words_list_subcommands(calls: Calls) -> None:
    reply = run_complete([], calls)
    assert reply.candidates == [("tool", "run the tool"), ("other", "another command")]
    assert reply.directive == completion.DIRECTIVE_NO_FILE


def test_hidden_flag_not_offered(calls: Calls) -> None:
    reply = run_complete(["tool", "--s"], calls)
    assert values(reply) == []


def test_repeatable_flags_offered_again(calls: Calls) -> None:
    reply = run_complete(["-v", "tool", "--label", "a", "--plain", "--"], calls)
    assert "--label" in values(reply)
    assert "--plain" not in values(reply)


def test_count_flag_offered_again(calls: Calls) -> None:
    reply = run_complete(["-v", "--v"], calls)
    assert values(reply) == ["--verbose"]


def test_description_on_one_line(calls: Calls) -> None:
    reply = run_complete(["--verb"], calls)
    assert reply.candidates == [("--verbose", "more detail on stderr")]


def test_option_choices(calls: Calls) -> None:
    reply = run_complete(["tool", "--mode", "f"], calls)
    assert values(reply) == ["fast"]


def test_equals_form_keeps_flag(calls: Calls) -> None:
    reply = run_complete(["tool", "--mode=s"], calls)
    assert values(reply) == ["--mode=slow"]


def test_optional_value_then_flag(calls: Calls) -> None:
    reply = run_complete(["tool", "--dry-run", "--pl"], calls)
    assert values(reply) == ["--plain"]


def test_optional_value_choices(calls: Calls) -> None:
    reply = run_complete(["tool", "--dry-run", ""], calls)
    assert values(reply) == ["client", "server"]


def test_optional_value_consumed(calls: Calls) -> None:
    reply = run_complete(["tool", "--dry-run", "server", ""], calls)
    assert values(reply) == ["node", "pod"]


def test_positional_choices_then_files(calls: Calls) -> None:
    reply = run_complete(["tool", "node", ""], calls)
    assert reply.candidates == []
    assert reply.directive == completion.DIRECTIVE_DEFAULT


def test_folder_option_directive(calls: Calls) -> None:
    reply = run_complete(["tool", "--backup-dir", ""], calls)
    assert reply.candidates == []
    assert reply.directive == completion.DIRECTIVE_DIRS_ONLY


def test_file_option_directive(calls: Calls) -> None:
    reply = run_complete(["tool", "--kubeconfig", ""], calls)
    assert reply.directive == completion.DIRECTIVE_DEFAULT


def test_double_dash_ends_flags(calls: Calls) -> None:
    reply = run_complete(["tool", "--", "-"], calls)
    assert values(reply) == []
    assert reply.directive == completion.DIRECTIVE_NO_FILE


def test_unknown_subcommand_completes_nothing(calls: Calls) -> None:
    reply = run_complete(["nosuch", ""], calls)
    assert reply.candidates == []
    assert calls == []


def test_attached_short_value_reaches_lookup(calls: Calls) -> None:
    reply = run_complete(["tool", "-nmetax-operator", "--release", "d"], calls)
    assert values(reply) == ["demo"]
    assert calls == [("releases", {"namespace": "metax-operator"})]


def test_equals_value_reaches_lookup(calls: Calls) -> None:
    run_complete(["tool", "--kubeconfig=/tmp/k", "--namespace", ""], calls)
    assert calls == [("namespaces", {"kubeconfig": "/tmp/k"})]


def test_namespace_prefix_filters(calls: Calls) -> None:
    reply = run_complete(["tool", "-n", "kube"], calls)
    assert values(reply) == ["kube-system"]


def test_check_list_next_id(calls: Calls) -> None:
    from kubectl_metax.checks import catalog

    reply = run_complete(["tool", "--only", "MX101,MX10"], calls)
    expected = [f"MX101,{i}" for i in catalog.known_ids() if i.startswith("MX10") and i != "MX101"]
    assert values(reply) == expected
    assert reply.directive == completion.DIRECTIVE_NO_FILE | completion.DIRECTIVE_NO_SPACE


def test_reply_format() -> None:
    stream = io.StringIO()
    completion.Reply([("a", "first"), ("b", "")], directive=16).write(stream)
    assert stream.getvalue() == "a\tfirst\nb\n:16\n"


def test_run_prints_reply() -> None:
    stream = io.StringIO()
    assert completion.run(["ver"], stdout=stream) == 0
    lines = stream.getvalue().splitlines()
    assert lines[0].split("\t")[0] == "version"
    assert lines[-1] == ":4"


def helm_release_secret(name: str, revision: int, namespace: str) -> Dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{revision}",
            "namespace": namespace,
            "labels": {"owner": "helm", "name": name, "version": str(revision)},
        },
        "data": {"release": ""},
    }


@pytest.fixture
def helm_cluster(kubesim: KubeSim) -> KubeSim:
    for namespace in ("metax-operator", "monitoring"):
        kubesim.cluster.create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        )
    kubesim.cluster.create(helm_release_secret("metax-operator-1743500897", 1, "metax-operator"))
    kubesim.cluster.create(helm_release_secret("metax-operator-1743500897", 2, "metax-operator"))
    kubesim.cluster.create(helm_release_secret("prometheus", 1, "monitoring"))
    kubesim.cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "plain", "namespace": "metax-operator", "labels": {"name": "x"}},
        }
    )
    return kubesim


def test_cluster_namespaces(helm_cluster: KubeSim) -> None:
    names = completion_values.cluster_names(
        "namespaces", {"kubeconfig": str(helm_cluster.kubeconfig)}
    )
    assert {"default", "kube-system", "metax-operator", "monitoring"} <= set(names)
    assert names == sorted(names)


def test_cluster_releases_all_namespaces(helm_cluster: KubeSim) -> None:
    names = completion_values.cluster_names(
        "releases", {"kubeconfig": str(helm_cluster.kubeconfig)}
    )
    assert names == ["metax-operator-1743500897", "prometheus"]


def test_cluster_releases_one_namespace(helm_cluster: KubeSim) -> None:
    flags = {"kubeconfig": str(helm_cluster.kubeconfig), "namespace": "monitoring"}
    assert completion_values.cluster_names("releases", flags) == ["prometheus"]


def test_cluster_contexts(helm_cluster: KubeSim) -> None:
    names = completion_values.cluster_names(
        "contexts", {"kubeconfig": str(helm_cluster.kubeconfig)}
    )
    assert names == ["kubesim"]


def test_cluster_forbidden_is_empty(kubesim: KubeSim, tmp_path: Path) -> None:
    nobody = UserInfo(username="nobody", groups=("system:authenticated",))
    kubeconfig = kubesim.write_kubeconfig(tmp_path / "nobody", nobody)
    assert completion_values.cluster_names("namespaces", {"kubeconfig": str(kubeconfig)}) == []
    answered = [entry.code for entry in kubesim.audit if entry.user == "nobody"]
    assert answered == [403]


def test_cluster_gone_is_empty(kubesim: KubeSim) -> None:
    kubeconfig = str(kubesim.kubeconfig)
    kubesim.stop()
    assert completion_values.cluster_names("namespaces", {"kubeconfig": kubeconfig}) == []


def test_missing_kubeconfig_is_empty(tmp_path: Path) -> None:
    flags = {"kubeconfig": str(tmp_path / "absent")}
    assert completion_values.cluster_names("namespaces", flags) == []
    assert completion_values.cluster_names("contexts", flags) == []
