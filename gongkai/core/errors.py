"""The few exceptions the domain raises.

Domain code raises these with a message for staff (Simplified Chinese) that says what was expected
and what came; only the command line turns them into an exit status. Never put applicants' personal
data or secrets into a message.
"""

from __future__ import annotations


class GongkaiError(Exception):
    """Base class: ``str(err)`` is a complete sentence for staff, in Chinese."""

    exit_code = 2


class ConfigError(GongkaiError):
    """The configuration file is missing, unreadable or has a wrong key or value."""


class InputError(GongkaiError):
    """Bad input from a person or a file: a malformed date, an unknown code, a bad row."""


class EventError(InputError):
    """An event that the application's state does not allow (e.g. a reply before receipt)."""


class ImportRejected(InputError):
    """An import found bad rows; nothing was written. ``problems`` lists every one."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class NotFound(InputError):
    """A reference (application ref, staff id, year) that does not exist."""


class NotAllowed(GongkaiError):
    """The acting person's roles do not allow the action (CONTRACT section 6: the desk answers 403, the
    command line exits 2); nothing was written."""
