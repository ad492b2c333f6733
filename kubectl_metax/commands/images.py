"""``kubectl metax images``: compute, parse and check MetaX image references.

``list`` prints every image the operator needs for a node, ``parse`` maps
offline package files to the images they load (and prints retag-and-push
commands), ``check`` reports whether references fit a node. All three work
offline: nothing here talks to a cluster or a registry.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

from kubectl_metax import errors, printing
from kubectl_metax.i18n import _

TOOL_CHOICES = ("docker", "nerdctl", "ctr", "all")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "images",
        help=_("compute, parse and check MetaX image references"),
        description=_(
            "Compute the image references the MetaX GPU Operator needs, map offline package files "
            "to the images they load, and check references against a node. Works offline."
        ),
    )
    parser.set_defaults(run=run, images_parser=parser, images_command=None)
    commands = parser.add_subparsers(
        dest="images_command", metavar=_("SUBCOMMAND"), title=_("subcommands")
    )
    _register_list(commands)
    _register_parse(commands)
    _register_check(commands)


def _register_list(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "list",
        help=_("print every image reference the operator needs"),
        description=_(
            "Print the driver, MXMACA, operator component and hook images for one kind of node, "
            "optionally relocated to a site registry."
        ),
    )
    parser.add_argument(
        "--gpu",
        required=True,
        metavar="MODEL",
        help=_("GPU product, such as MXC500, c500 or MXN100"),
    )
    _add_node_arch(parser)
    parser.add_argument(
        "--driver-version",
        required=True,
        metavar="VERSION",
        help=_("kernel driver version, such as 2.24.0.8"),
    )
    parser.add_argument(
        "--maca-version",
        required=True,
        metavar="VERSION",
        help=_("MXMACA version, such as 2.32.0.6"),
    )
    parser.add_argument(
        "--distro",
        required=True,
        metavar="DISTRO",
        help=_("distribution of the MXMACA image, such as ubuntu22.04 or kylinv10"),
    )
    parser.add_argument(
        "--operator-version",
        metavar="VERSION",
        help=_("operator version, such as 0.11.1; adds the operator component images"),
    )
    parser.add_argument(
        "--registry",
        metavar="REGISTRY",
        help=_("site registry to relocate every image to, such as harbor.example.cn/mximages"),
    )
    printing.add_output_flag(parser, choices=("table", "json", "yaml", "values"), default="table")


def _add_node_arch(parser: argparse.ArgumentParser) -> None:
    """Add the required --arch of the node that `list` and `check` describe."""
    parser.add_argument(
        "--arch",
        required=True,
        metavar="ARCH",
        help=_("node architecture: amd64 (x86_64) or arm64 (aarch64)"),
    )


def _register_parse(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "parse",
        help=_("map offline package files to the images they load"),
        description=_(
            "Map offline package file names (driver .run files, MXMACA .container.xz files, "
            "image bundles and charts) to the image references they load, and optionally print "
            "the commands that push them to a site registry."
        ),
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help=_("package file name or path; the file need not exist"),
    )
    parser.add_argument(
        "--arch",
        action="append",
        metavar="ARCH",
        help=_(
            "architecture to list for files whose name has none; repeat for several "
            "(default: amd64 and arm64)"
        ),
    )
    parser.add_argument(
        "--push-to",
        metavar="REGISTRY",
        help=_("print the commands that retag and push the images to this registry"),
    )
    parser.add_argument(
        "--tool",
        choices=TOOL_CHOICES,
        default="all",
        help=_("tool to print push commands for: docker, nerdctl, ctr or all (default all)"),
    )
    parser.add_argument(
        "--plain-http",
        action="store_true",
        help=_("the registry speaks plain HTTP: add the insecure flags of each tool"),
    )
    printing.add_output_flag(parser, choices=("table", "json", "yaml"), default="table")


def _register_check(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "check",
        help=_("check whether image references fit a node"),
        description=_(
            "Check each image reference against a node's GPU product, architecture and, "
            "optionally, distribution. A tag without -<ARCH> does not fit on the vendor's "
            "per-architecture projects; elsewhere it is taken as a manifest list and fits with "
            "a note. Exits with 1 when any reference does not fit."
        ),
    )
    parser.add_argument("references", nargs="+", metavar="REF", help=_("image reference to check"))
    parser.add_argument(
        "--gpu",
        required=True,
        metavar="MODEL",
        help=_("GPU product of the node, such as MXC500, c500 or MXN100"),
    )
    _add_node_arch(parser)
    parser.add_argument(
        "--distro",
        metavar="DISTRO",
        help=_("distribution the node's MXMACA image must be built for, such as ubuntu22.04"),
    )
    printing.add_output_flag(parser, choices=("table", "json", "yaml"), default="table")


def run(args: argparse.Namespace) -> int:
    if args.images_command is None:
        args.images_parser.print_help(sys.stderr)
        return errors.EXIT_INVALID
    if args.images_command == "list":
        return _run_list(args)
    if args.images_command == "parse":
        return _run_parse(args)
    return _run_check(args)


def _run_list(args: argparse.Namespace) -> int:
    from kubectl_metax import imagereport

    listing = imagereport.image_list(
        gpu=args.gpu,
        arch=args.arch,
        driver_version=args.driver_version,
        maca_version=args.maca_version,
        distro=args.distro,
        operator_version=args.operator_version,
        registry=args.registry,
    )
    # The stream is passed because emit's default is the sys.stdout of import time.
    if args.output == "values":
        printing.emit(imagereport.helm_values(listing), "yaml", sys.stdout)
    elif args.output == "table":
        sys.stdout.write(imagereport.list_table(listing))
    else:
        printing.emit(imagereport.list_document(listing), args.output, sys.stdout)
    return errors.EXIT_OK


def _run_parse(args: argparse.Namespace) -> int:
    from kubectl_metax import imagereport, imagetable, naming, packages

    arches = (
        [naming.normalize_arch(arch) for arch in args.arch]
        if args.arch
        else list(imagetable.ARCHITECTURES)
    )
    files = packages.parse_file_names(args.files, arches=arches)
    tools = [args.tool] if args.tool != "all" else [tool for tool in TOOL_CHOICES if tool != "all"]
    commands = (
        imagereport.push_plan(files, registry=args.push_to, tools=tools, plain_http=args.plain_http)
        if args.push_to is not None
        else {}
    )

    if args.output == "table":
        text = imagereport.push_script(commands) if commands else imagereport.files_table(files)
        sys.stdout.write(text)
        return errors.EXIT_OK
    document: Dict[str, Any] = {"files": imagereport.files_document(files)}
    if commands:
        document["push"] = {"registry": args.push_to, "commands": commands}
    printing.emit(document, args.output, sys.stdout)
    return errors.EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    from kubectl_metax import fitting, imagereport

    target = fitting.node(gpu=args.gpu, arch=args.arch, distro=args.distro or "")
    verdicts: List[fitting.Fit] = [
        fitting.check(reference, target) for reference in args.references
    ]
    if args.output == "table":
        sys.stdout.write(imagereport.check_table(verdicts))
    else:
        printing.emit(imagereport.check_document(target, verdicts), args.output, sys.stdout)
    return errors.EXIT_OK if all(verdict.fits for verdict in verdicts) else errors.EXIT_PROBLEM
