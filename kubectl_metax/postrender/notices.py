"""Warnings and errors for the person running helm, and the Helm 3 explanation.

helm v3.17 and v4.1 discard what a post-renderer writes to stderr when it
exits 0, so a warning goes to the controlling terminal (``/dev/tty``) when
one can be opened, and to stderr otherwise (CI logs, or helm failing later).
helm v4.1 also discards the stderr of a plugin that fails, even with
--debug, so under Helm 4 an error is copied to the terminal as well.
"""

from __future__ import annotations

import sys
from typing import TextIO

from kubectl_metax.i18n import _

TERMINAL = "/dev/tty"


def helm3_no_hook() -> str:
    """Explain why Helm 3 gets no hook, what stays uncorrected, and what to run instead."""
    return _(
        "Helm 3 does not pass hooks to a post-renderer and installs whatever it adds as "
        "ordinary resources, so no pre-delete cleanup hook was added: it would run at install "
        "time. Images inside the chart's own hooks (such as the metax-pre-delete Job) cannot be "
        "corrected here; set them with the chart values registry, driver.payload.version, "
        "maca.payload.registry and maca.payload.images. Before `helm uninstall`, run "
        "`kubectl metax unstick` to remove the ClusterOperator finalizer and leftover webhook "
        "configurations, or install with Helm 4."
    )


def helm3_require() -> str:
    return _(
        "--hook=require: this is Helm 3, which cannot run a hook added by a post-renderer. {reason}"
    ).format(reason=helm3_no_hook())


def no_operator() -> str:
    return _(
        "--hook=require: the rendered chart contains no ClusterOperator and no metax-operator "
        "Deployment, so there is nothing for a cleanup hook to remove"
    )


def warn(message: str) -> None:
    """Show a warning on the terminal that runs helm, or on stderr without one."""
    text = _("kubectl-metax post-render: warning: {message}").format(message=message) + "\n"
    try:
        with open(TERMINAL, "w", encoding="utf-8") as terminal:
            terminal.write(text)
            return
    except OSError:
        pass
    _write(sys.stderr, text)


def error_on_terminal(message: str) -> None:
    """Copy an error to the terminal that runs helm; without a terminal, do nothing.

    The caller still prints the error to stderr, which helm v3 shows and
    helm v4.1 drops.
    """
    text = _("kubectl-metax post-render: error: {message}").format(message=message) + "\n"
    try:
        with open(TERMINAL, "w", encoding="utf-8") as terminal:
            terminal.write(text)
    except OSError:
        pass


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()
