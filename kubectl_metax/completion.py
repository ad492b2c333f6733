"""Shell completion for ``kubectl metax``, printed in cobra's ``__complete`` format.

kubectl 1.26 and newer run ``kubectl_complete-metax`` from PATH with the words
typed after ``metax``. The last word is the one to complete, and it is empty
after a space. bin/kubectl_complete-metax passes the words on as
``kubectl-metax __complete <words...>``. The reply is one candidate per line, as
``candidate<TAB>description`` where a description helps, and a last line
``:<directive>`` (cobra's ShellCompDirective bits). kubectl relays stdout to
the shell and stderr to the terminal, so nothing is ever written to stderr.

Subcommands and flags come from ``cli.build_parser()``, so new ones complete
without a change here. Values come from argparse choices, the image naming
tables, doctor's check IDs, the kubeconfig's contexts, and for namespaces
and Helm releases from the cluster (all in ``completion_values``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, TextIO

from kubectl_metax import completion_values, i18n

# cobra's ShellCompDirective values, as the script of `kubectl completion bash`
# (kubectl v1.35) defines them; tests/distribution/test_completion.py checks them.
DIRECTIVE_DEFAULT = 0  # the shell may add file names
DIRECTIVE_NO_SPACE = 2  # ShellCompDirectiveNoSpace: a list may go on after a comma
DIRECTIVE_NO_FILE = 4  # ShellCompDirectiveNoFileComp
DIRECTIVE_DIRS_ONLY = 16  # ShellCompDirectiveFilterDirs, no candidates: any folder

# Destinations whose values are paths: the shell completes them itself.
# Matched against the underscore-separated parts of ``dest``, because
# metavars are translated.
FILE_DEST_PARTS = frozenset({"file", "files", "path", "kubeconfig", "config", "dump"})
DIR_DEST_PARTS = frozenset({"dir", "directory"})

Candidate = completion_values.Candidate


@dataclass
class Reply:
    """One completion answer: (value, description) candidates and the shell directive."""

    candidates: List[Candidate] = field(default_factory=list)
    directive: int = DIRECTIVE_NO_FILE

    def write(self, stream: TextIO) -> None:
        for value, description in self.candidates:
            stream.write(f"{value}\t{description}\n" if description else f"{value}\n")
        stream.write(f":{self.directive}\n")


@dataclass
class Position:
    """Parser state after the words that precede the one being completed."""

    parser: argparse.ArgumentParser
    pending: Optional[argparse.Action] = None  # an option still waiting for its value
    positionals_done: int = 0
    after_double_dash: bool = False
    seen: List[argparse.Action] = field(default_factory=list)
    values: Dict[str, str] = field(default_factory=dict)  # dest -> last value given


ClusterLookup = completion_values.ClusterLookup


def run(words: Sequence[str], *, stdout: TextIO = sys.stdout) -> int:
    """Print the completions for words; the exit code is always 0, as in cobra's __complete."""
    i18n.setup()
    # Nothing may reach stderr: no log records (the root logger's last-resort
    # handler would print warnings) and no Python warnings (urllib3 warns on
    # kubeconfigs with insecure-skip-tls-verify).
    logging.getLogger().addHandler(logging.NullHandler())
    warnings.simplefilter("ignore")

    from kubectl_metax import cli

    try:
        reply = complete(
            list(words), parser=cli.build_parser(), lookup=completion_values.cluster_names
        )
    except Exception:  # the top level of __complete: a TAB must never print a traceback
        reply = Reply()
    reply.write(stdout)
    return 0


def complete(words: List[str], *, parser: argparse.ArgumentParser, lookup: ClusterLookup) -> Reply:
    """Return the candidates for the last word of words, given the ones before it."""
    done, current = (words[:-1], words[-1]) if words else ([], "")
    position = walk(done, parser)

    if position.pending is not None:
        if position.pending.nargs == "?" and current.startswith("-"):
            return flag_reply(position, current)
        return value_reply(position.pending, current, position=position, lookup=lookup)

    if current.startswith("-") and not position.after_double_dash:
        return option_reply(position, current, lookup=lookup)

    subcommands = subparsers_action(position.parser)
    if subcommands is not None and position.positionals_done == 0:
        return Reply([c for c in subcommand_candidates(subcommands) if c[0].startswith(current)])

    positional = current_positional(position)
    if positional is None:
        return Reply()
    return value_reply(positional, current, position=position, lookup=lookup)


def option_reply(position: Position, current: str, *, lookup: ClusterLookup) -> Reply:
    """Complete a flag name, or the value of ``--flag=<value>``."""
    name, equals, prefix = current.partition("=")
    action = option_actions(position.parser).get(name) if equals else None
    if action is None or not takes_value(action):
        return flag_reply(position, current)
    reply = value_reply(action, prefix, position=position, lookup=lookup)
    reply.candidates = [(f"{name}={value}", text) for value, text in reply.candidates]
    return reply


def walk(words: Sequence[str], parser: argparse.ArgumentParser) -> Position:
    """Follow words through the parser tree as argparse would, without failing on errors."""
    position = Position(parser)
    for word in words:
        if position.pending is not None:
            waiting = position.pending
            position.pending = None
            if not (waiting.nargs == "?" and word.startswith("-")):
                position.values[waiting.dest] = word
                continue

        if word == "--" and not position.after_double_dash:
            position.after_double_dash = True
            continue

        if word.startswith("-") and word != "-" and not position.after_double_dash:
            take_option(position, word)
            continue

        subcommands = subparsers_action(position.parser)
        if subcommands is not None and position.positionals_done == 0:
            chosen = subcommands.choices.get(word)
            if isinstance(chosen, argparse.ArgumentParser):
                position.parser = chosen
                continue
        position.positionals_done += 1
    return position


def take_option(position: Position, word: str) -> None:
    """Record a flag word; a flag that needs the next word for its value becomes pending."""
    options = option_actions(position.parser)
    name, equals, value = word.partition("=")
    action = options.get(name)
    if action is None and not word.startswith("--") and len(word) > 2:
        # A short option with its value attached, such as -nmetax-operator.
        name, equals, value = word[:2], "=", word[2:]
        action = options.get(name)
    if action is None:
        return  # unknown flags and clusters such as -vv complete nothing

    position.seen.append(action)
    if takes_value(action):
        if equals:
            position.values[action.dest] = value
        else:
            position.pending = action


def option_actions(parser: argparse.ArgumentParser) -> Dict[str, argparse.Action]:
    # NOTE: argparse has no public way to list a parser's arguments; _actions
    # has been stable since Python 2.7 and is what shtab and argcomplete read.
    return {name: action for action in parser._actions for name in action.option_strings}


def subparsers_action(parser: argparse.ArgumentParser) -> Optional[argparse._SubParsersAction]:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def subcommand_candidates(action: argparse._SubParsersAction) -> List[Candidate]:  # type: ignore[type-arg]
    # The help given to add_parser lives only on these pseudo-actions.
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return [(name, describe(helps.get(name, ""))) for name in action.choices]


def flag_reply(position: Position, current: str) -> Reply:
    candidates = []
    repeatable = (argparse._CountAction, argparse._AppendAction)
    for action in position.parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        if action in position.seen and not isinstance(action, repeatable):
            continue
        for name in action.option_strings:
            if name.startswith(current):
                candidates.append((name, describe(action.help or "")))
    return Reply(candidates)


def current_positional(position: Position) -> Optional[argparse.Action]:
    positionals = [
        action
        for action in position.parser._actions
        if not action.option_strings and not isinstance(action, argparse._SubParsersAction)
    ]
    if not positionals:
        return None
    if position.positionals_done < len(positionals):
        return positionals[position.positionals_done]
    last = positionals[-1]
    return last if last.nargs in ("+", "*", argparse.REMAINDER) else None


def value_reply(
    action: argparse.Action, current: str, *, position: Position, lookup: ClusterLookup
) -> Reply:
    """Return the values action accepts that start with current."""
    if action.choices is not None:
        values = [str(choice) for choice in action.choices]
        return Reply([(value, "") for value in values if value.startswith(current)])

    parts = set(action.dest.split("_"))
    if parts & DIR_DEST_PARTS:
        return Reply(directive=DIRECTIVE_DIRS_ONLY)
    if parts & FILE_DEST_PARTS:
        return Reply(directive=DIRECTIVE_DEFAULT)

    if action.dest in completion_values.CHECK_LIST_DESTS:
        candidates = completion_values.check_ids(current)
        return Reply(candidates, directive=DIRECTIVE_NO_FILE | DIRECTIVE_NO_SPACE)
    source = completion_values.VALUE_SOURCES.get(action.dest)
    if source is None:
        return Reply()
    return Reply(source(current, position.values, lookup))


def describe(help_text: str) -> str:
    """Shorten a help text to one line for a completion menu."""
    return " ".join(help_text.replace("%%", "%").split())
