"""The one handler that turns known errors into messages and exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import typer

USAGE_ERROR = 2


def fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    """Print ``curate: error: message`` on stderr; return the Exit to raise.

    Each line is escaped: the message may quote a value from an article.
    """
    from curate.reporting.escape import line_start

    shown = "\n".join(line_start(line) for line in message.split("\n"))
    sys.stderr.write(f"curate: error: {shown}\n")
    return typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Known errors become one line on stderr and exit 2; a crash too, unless CURATE_DEBUG."""
    from curate.config import ConfigError
    from curate.rules import UnknownCodeError
    from curate.schema import SchemaError

    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise  # Typer reports these itself, with the usage line
    except (ConfigError, SchemaError, UnknownCodeError, ValueError) as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except BrokenPipeError:
        # The reader of our output went away (| head): nothing left to say.
        sys.stderr.close()
        raise typer.Exit(1) from None
    except Exception as error:
        if os.environ.get("CURATE_DEBUG"):
            traceback.print_exc()
        raise fail(
            f"internal error: {error!r}. This is a bug in curate; set CURATE_DEBUG=1 to see "
            "the traceback and please report it."
        ) from None
