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
