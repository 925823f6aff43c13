"""The error a user can fix: a bad option, path or configuration value.

The library raises :class:`UsageError` for an invocation it cannot use; the command
line turns it into one ``curate: error: ...`` line and exit code 2. Any other
exception is a bug in curate, reported as such: it never passes for a usage error.
"""

from __future__ import annotations


class UsageError(ValueError):
    """The invocation cannot be used; the message says what to change.

    A ``ValueError`` too, so library callers that caught ``ValueError`` still do.
    """
