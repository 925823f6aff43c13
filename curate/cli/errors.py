"""The one error handler around every command: messages, exit codes, a quiet broken pipe.

- A :class:`~curate.errors.UsageError` (or a config, schema or rule-code error) is one
  ``curate: error: ...`` line and exit 2.
- Any other exception is a bug: one ``curate: internal error: ...`` line and exit 2;
  ``CURATE_DEBUG=1`` prints the traceback too.
- Ctrl-C is exit 130 with one ``curate: interrupted`` line (no traceback), wherever it strikes.
- When the reader of the output goes away (``curate list | head``), the rest of the
  output is dropped and curate exits with the code it would have had, as the usual
  Unix tools do.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO, cast

USAGE_ERROR = 2
INTERRUPTED = 130


def fail(message: str) -> int:
    """Print ``curate: error: message`` on stderr; return the usage-error exit code.

    Each line is escaped: the message may quote a value from an article.
    """
    from curate.reporting.escape import line_start

    _say("curate: error: " + "\n".join(line_start(line) for line in message.split("\n")))
    return USAGE_ERROR


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere left to say it


def _usage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the invocation cannot be used", imported only on an error."""
    from curate.errors import UsageError
    from curate.rules import UnknownCodeError
    from curate.schema import SchemaError

    return (UsageError, SchemaError, UnknownCodeError)


def guarded(run: Callable[[], int]) -> int:
    """``run()``'s exit code, with every failure turned into a message and an exit code."""
    quiet = _QuietPipe(sys.stdout)
    sys.stdout = cast(TextIO, quiet)
    try:
        return run()
    except KeyboardInterrupt:
        _say("curate: interrupted")
        return INTERRUPTED
    except Exception as error:
        if isinstance(error, _usage_errors()):
            return fail(str(error))
        if os.environ.get("CURATE_DEBUG"):
            traceback.print_exc()
        _say(
            f"curate: internal error: {error!r}. This is a bug in curate; set CURATE_DEBUG=1 "
            "to see the traceback, and please report it."
        )
        return USAGE_ERROR
    finally:
        sys.stdout = quiet.stream
        quiet.close()


class _QuietPipe:
    """Standard output that goes quiet, instead of raising, once its reader has left."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._silence()

    def close(self) -> None:
        """Flush what is left; a pipe closed meanwhile is no error."""
        self.flush()

    def _silence(self) -> None:
        self.broken = True
        # What Python would still flush at exit goes nowhere, not into a second error.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        except Exception:  # io.UnsupportedOperation of a stream without a file descriptor
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
