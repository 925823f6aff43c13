"""Every command is documented: in --help, and in the README (as sqlite-utils checks)."""

from __future__ import annotations

import re

import pytest

from curate.cli import main
from curate.cli.app import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    names = [
        command.name or command.callback.__name__
        for command in app.registered_commands
        if command.callback is not None
    ]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        names += [
            f"{group.name} {command.name or command.callback.__name__}"
            for command in group.typer_instance.registered_commands
            if command.callback is not None
        ]
    return sorted(names)


def test_there_are_commands() -> None:
    assert {"validate", "lint", "rank", "list", "stats", "rules"} <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*name.split(), "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


@pytest.mark.parametrize("name", command_names())
def test_command_is_in_the_readme(name: str) -> None:
    first = name.split()[0]
    assert re.search(rf"`curate {first}\b", README), f"README does not document curate {first}"


def test_quick_start_matches_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_line = 'python -m pip install -e ".[test]" && python -m pytest'
    assert test_line in README
    assert test_line in ci.splitlines()


def test_the_hooks_show_the_warnings_of_a_passing_run() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks and all(hook.get("verbose") is True for hook in hooks)
    assert "verbose: true" in README


@pytest.mark.parametrize("name", command_names())
@pytest.mark.parametrize("columns", [80, 120])
def test_help_keeps_option_names_whole_and_placeholders_alike(
    name: str, columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main([*name.split(), "--help"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= columns for line in lines)
    # No line ends inside a word at a hyphen ("--max-" / "cache-age", "'ai-" / "ethics'").
    assert not [line for line in lines if re.search(r"\w-$", line)]
    # One placeholder style: PATH, N, TEXT, CODES..., never Typer's <path>, <int range>, <str>.
    assert not re.search(r"<(path|str|int|float)[^>]*>", out.replace("<site root>", ""))


def test_help_uses_a_wide_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    main(["links", "--help"])
    assert max(map(len, capsys.readouterr().out.splitlines())) > 100


@pytest.mark.parametrize("name", command_names())
def test_the_readme_headings_show_the_arguments_as_the_help_does(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main([*name.split(), "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    arguments = usage.split("[OPTIONS]")[1].strip()
    first = name.split()[0]
    heading = re.search(rf"^### `curate {first}[^`]*`", README, re.MULTILINE)
    if heading is not None and "[" in heading.group(0):
        assert heading.group(0).endswith(f" {arguments}`"), (heading.group(0), arguments)
