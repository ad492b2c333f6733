"""The kubectl-style connection flags for commands that talk to a cluster.

Only argparse lives here, so that parsing does not import the Kubernetes
client; ``kubectl_metax.kube`` turns the parsed values into a client.
"""

from __future__ import annotations

import argparse

from kubectl_metax.i18n import _


def add_to(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(_("cluster connection (as in kubectl)"))
    group.add_argument(
        "--kubeconfig",
        metavar=_("PATH"),
        help=_(
            "path to the kubeconfig file (default: $KUBECONFIG, which may list several files, "
            "then ~/.kube/config, then the in-cluster service account)"
        ),
    )
    group.add_argument("--context", metavar=_("NAME"), help=_("kubeconfig context to use"))
    group.add_argument(
        "-n",
        "--namespace",
        metavar=_("NAMESPACE"),
        help=_("namespace of the MetaX GPU Operator (default: discovered from the cluster)"),
    )
    group.add_argument(
        "--request-timeout",
        metavar=_("DURATION"),
        default="0",
        help=_(
            "time to wait for each API request, such as 30s, 1m or 500ms; 0 waits without limit"
        ),
    )
