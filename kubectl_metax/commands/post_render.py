"""``kubectl metax post-render``: the Helm post-renderer (stdin to stdout).

Helm 3 runs it as ``--post-renderer kubectl-metax --post-renderer-args
post-render ...``; Helm 4 through the ``metax`` plugin in ``helm-plugin/``.
stdout carries the YAML stream and nothing else: it is written once, after
every document was read, so a failure leaves it empty. Malformed input
exits 1, bad options exit 2. Helm 3 shows the message from stderr; under
Helm 4 it is also written to the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any, Dict, Optional

from kubectl_metax import errors
from kubectl_metax.i18n import _

log = logging.getLogger(__name__)

# helm v4.1 sets this (to the plugin's name) for a subprocess plugin; helm
# v3.17 sets nothing of the kind for a --post-renderer executable. helm 4
# shows only "plugin exited with error", so its errors also go to the terminal.
HELM4_PLUGIN_VARIABLE = "HELM_PLUGIN_NAME"

# Settings that a --config file may hold: option name -> (attribute, type).
CONFIG_KEYS = {
    "registry": ("registry", str),
    "gpu": ("gpu", str),
    "arch": ("arch", str),
    "maca-version": ("maca_version", str),
    "driver-version": ("driver_version", str),
    "distro": ("distro", str),
    "hook-image": ("hook_image", str),
    "hook": ("hook", str),
    "hook-allow-busy-gpus": ("hook_allow_busy_gpus", bool),
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "post-render",
        help=_(
            "Helm post-renderer: correct MetaX image references and add a pre-delete cleanup hook"
        ),
        description=_(
            "Read the manifests Helm rendered on stdin and write them to stdout with MetaX "
            "image references corrected. With Helm 4 it also adds a pre-delete hook that "
            "removes the ClusterOperator and the operator's webhook configurations so that "
            "helm uninstall does not hang."
        ),
    )
    parser.add_argument(
        "--config", metavar=_("FILE"), help=_("YAML file with any of the options below; flags win")
    )
    parser.add_argument(
        "--registry",
        metavar="R",
        help=_("move every MetaX image to R/<name>:<tag> (R may carry a project path)"),
    )
    parser.add_argument(
        "--gpu",
        metavar=_("MODEL"),
        help=_("GPU product (such as MXC500) that names the MXMACA image"),
    )
    parser.add_argument(
        "--arch", metavar="A", help=_("architecture of the driver and MXMACA images (amd64, arm64)")
    )
    parser.add_argument(
        "--maca-version", metavar="V", help=_("MXMACA release for the MXMACA images (needs --gpu)")
    )
    parser.add_argument(
        "--driver-version", metavar="V", help=_("driver release for the driver image")
    )
    parser.add_argument(
        "--distro", metavar="D", help=_("distribution of the MXMACA image, such as ubuntu22.04")
    )
    parser.add_argument(
        "--hook-image",
        metavar=_("IMAGE"),
        help=_("pinned image with sh and kubectl for the cleanup hook Job"),
    )
    parser.add_argument(
        "--hook",
        choices=("auto", "require", "never"),
        help=_(
            "auto: add the hook on Helm 4 and warn on Helm 3; require: fail on Helm 3; "
            "never: add no hook"
        ),
    )
    parser.add_argument(
        "--hook-allow-busy-gpus",
        action="store_true",
        default=None,
        help=_("let the cleanup hook run while pods still request metax-tech.com resources"),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _post_render(args)
    except errors.MetaxError as error:
        if os.environ.get(HELM4_PLUGIN_VARIABLE):
            from kubectl_metax.postrender import notices

            notices.error_on_terminal(str(error))
        raise


def _post_render(args: argparse.Namespace) -> int:
    from kubectl_metax.postrender import notices, pipeline
    from kubectl_metax.postrender.options import Options

    settings = _config(args.config) if args.config else {}
    for _key, (attribute, _kind) in CONFIG_KEYS.items():
        value = getattr(args, attribute)
        if value is not None:
            settings[attribute] = value
    options = Options(**settings).checked()

    data = sys.stdin.buffer.read()
    result = pipeline.run(data, options)

    for number, change in result.changes:
        log.info("document %d line %d: %s -> %s", number, change.line, change.old, change.new)
    for message in result.warnings:
        notices.warn(message)
    sys.stdout.write(result.text)
    sys.stdout.flush()
    return errors.EXIT_OK


def _config(path: str) -> Dict[str, Any]:
    """Read a --config file into Options keyword arguments; raise InvalidInput on any problem."""
    import yaml

    try:
        with open(path, encoding="utf-8") as stream:
            data: Optional[Any] = yaml.safe_load(stream)
    except OSError as error:
        raise errors.InvalidInput(
            _("cannot read the config file {path}: {reason}").format(
                path=path, reason=error.strerror
            )
        ) from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise errors.InvalidInput(
            _("the config file {path} is not valid YAML: {reason}").format(path=path, reason=error)
        ) from error

    if data is None:
        return {}
    if not isinstance(data, dict):
        raise errors.InvalidInput(
            _("the config file {path} must hold a mapping of options").format(path=path)
        )
    settings: Dict[str, Any] = {}
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise errors.InvalidInput(
                _("the config file {path} has an unknown key {key!r}; known keys: {known}").format(
                    path=path, key=key, known=", ".join(CONFIG_KEYS)
                )
            )
        attribute, kind = CONFIG_KEYS[key]
        if not isinstance(value, kind):
            raise errors.InvalidInput(
                _(
                    'the config file {path}: {key} must be a {kind}; quote versions such as "2.32"'
                ).format(path=path, key=key, kind=_("string") if kind is str else _("boolean"))
            )
        settings[attribute] = value
    return settings
