"""Subcommands, one module each; the order here is the order in ``--help``."""

COMMAND_MODULES = ("version", "doctor", "images", "unstick", "post_render")
