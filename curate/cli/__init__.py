"""The command line: a thin Typer layer over the core library.

Each command lives in its own module, parses its options into core values, calls
one core function, renders the result and returns an exit code: 0 clean,
1 findings, 2 usage or configuration error (or a crash), 130 interrupted.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # the start-up of every run: nothing imported that a replay does not need
    from collections.abc import Sequence

    from typer._click.exceptions import UsageError as UsageErrorType


def main(argv: Sequence[str] | None = None, *, replay: bool | None = None) -> int:
    """Run curate with ``argv`` (default: the process arguments) and return its exit code.

    As the process entry (no ``argv``), or with ``replay=True``, an unchanged run
    prints its stored result instead (:mod:`curate.replay`).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args in (["--version"], ["-V"]):
            # Answered before importing Typer: a version check should cost nothing.
            from curate.__about__ import __version__

            print(f"curate {__version__}")
            return 0
        if replay if replay is not None else argv is None:
            from curate.replay import entry

            code = entry(args, _guarded)
        else:
            code = _guarded(args)
        if argv is None:
            _ending()
        return code
    except KeyboardInterrupt:  # before the handler is in place: while importing it
        import contextlib

        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("curate: interrupted\n")
        return 130


def _ending() -> None:
    """The process is about to end: spare it the garbage collections of its shutdown.

    They walk every object left (the modules, a run's results), 60-80 ms after a
    ``curate links``, to free memory that the end of the process frees anyway. Objects
    still run their finalizers when their last reference goes; only cycles are left.
    """
    import gc

    gc.freeze()


def _guarded(args: list[str]) -> int:
    from curate.cli.errors import guarded

    return guarded(lambda: _run(args))


def _run(args: list[str]) -> int:
    import typer
    from typer._click import exceptions as click

    from curate.cli.app import build_app
    from curate.errors import UsageError

    if any("\0" in arg for arg in args):  # a process cannot get one; main([...]) can
        raise UsageError("an argument holds a NUL character")

    app = build_app(args)
    try:
        # Not standalone: Click's own usage-error block (Usage/Try/Error, four lines)
        # would be a second format; its errors come here and are one line, like ours.
        result = app(args=args, prog_name="curate", standalone_mode=False)
    except typer.Abort:
        raise KeyboardInterrupt from None
    except click.NoArgsIsHelpError as error:  # a bare `curate`: the help, as Click shows it
        error.show()
        return error.exit_code
    except click.UsageError as error:
        raise UsageError(_usage_message(error)) from None
    except click.ClickException as error:
        raise UsageError(error.format_message()) from None
    except SystemExit as exit_:
        code = exit_.code
        if code == 130:  # Typer's answer to a Ctrl-C inside a command
            raise KeyboardInterrupt from None
        return code if isinstance(code, int) else (0 if code is None else 2)
    if result == 130:
        raise KeyboardInterrupt
    return result if isinstance(result, int) else 0


def _usage_message(error: UsageErrorType) -> str:
    """Click's message, with the command whose --help would have helped."""
    message = error.format_message().rstrip(".")
    context = error.ctx
    where = context.command_path if context is not None else "curate"
    return f"{message} (see '{where} --help')"
