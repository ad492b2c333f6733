"""The errors every command raises, each carrying its exit code.

Messages are translated where the error is raised, because only the raiser
knows which values to name. ``cli`` prints the message and exits with the
code; nothing else catches these.
"""

from __future__ import annotations

# Exit codes shared by every subcommand.
EXIT_OK = 0
EXIT_PROBLEM = 1  # a problem was found or an action failed
EXIT_INVALID = 2  # bad input, or the request was refused


class MetaxError(Exception):
    """Base class; the message is already translated."""

    exit_code = EXIT_PROBLEM


class InvalidInput(MetaxError):
    """Bad flags, values, files or documents: nothing was done."""

    exit_code = EXIT_INVALID


class Refused(MetaxError):
    """A safety gate refused the action: nothing was done."""

    exit_code = EXIT_INVALID


class ActionFailed(MetaxError):
    """An action was attempted and did not succeed."""

    exit_code = EXIT_PROBLEM
