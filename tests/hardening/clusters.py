"""Cluster states for the hardening tests, built from the unstick tests' states."""

from __future__ import annotations

import yaml

from tests.unstick import states


def faq_state() -> str:
    """Return the vendor FAQ's state: webhook without service, stuck ClusterOperator."""
    return states.stuck_install()


def operator_only_state() -> str:
    """Return the FAQ's state without the webhook configuration, in an Active namespace."""
    kept = [
        document
        for document in yaml.safe_load_all(states.stuck_install(terminating=False))
        if document["kind"] != "ValidatingWebhookConfiguration"
    ]
    return yaml.safe_dump_all(kept)
