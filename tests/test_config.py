"""Config discovery and checking: curate.toml, pyproject's [tool.curate], nearest wins, --config."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from curate.config import ConfigError, Settings, cpu_count, find_config, resolve_settings
from curate.errors import UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    settings = resolve_settings({}, cwd=tmp_path)
    assert settings == Settings() and settings.config_path is None


def test_curate_toml_is_found_walking_up(tmp_path: Path) -> None:
    config = write(tmp_path / "curate.toml", "strict = true\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    settings = resolve_settings({}, cwd=deep)
    assert settings.strict and settings.config_path == config


def test_pyproject_needs_a_tool_curate_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 99\n")
    assert find_config(tmp_path) is None
    write(tmp_path / "pyproject.toml", '[tool.curate]\nselect = ["RL"]\n')
    assert resolve_settings({}, cwd=tmp_path).select == ("RL",)


def test_the_nearest_file_wins(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", "strict = true\n")
    inner = write(tmp_path / "site" / "pyproject.toml", "[tool.curate]\njobs = 1\n")
    settings = resolve_settings({}, cwd=inner.parent)
    assert settings.config_path == inner and settings.jobs == 1 and not settings.strict


def test_curate_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.curate]\nstrict = false\n")
    config = write(tmp_path / "curate.toml", "strict = true\n")
    assert find_config(tmp_path) == config


def test_config_option_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", "strict = true\n")
    other = write(tmp_path / "elsewhere" / "ci.toml", "jobs = 1\n")
    settings = resolve_settings({}, config=other, cwd=tmp_path)
    assert settings.config_path == other and not settings.strict
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_settings({}, config=tmp_path / "missing.toml", cwd=tmp_path)


def test_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", "strict = true\njobs = 1\n")
    settings = resolve_settings({"strict": False, "jobs": None}, cwd=tmp_path)
    assert settings.strict is False and settings.jobs == 1


def test_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    write(tmp_path / "curate.toml", 'root = "site"\nschema = "schemas/a.json"\n')
    settings = resolve_settings({}, cwd=tmp_path / "site")
    assert settings.root == (tmp_path / "site").resolve()
    assert settings.schema == (tmp_path / "schemas" / "a.json").resolve()


def test_the_readme_pyproject_table_works_pasted_into_curate_toml(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", '[tool.curate]\nselect = ["RL"]\nstrict = true\n')
    settings = resolve_settings({}, cwd=tmp_path)
    assert settings.select == ("RL",) and settings.strict


def test_curate_toml_with_both_forms_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", 'strict = true\n[tool.curate]\nselect = ["RL"]\n')
    with pytest.raises(ConfigError, match="not both"):
        resolve_settings({}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 5\n", "'tool' must be a table, got 5"),
        ("[tool]\ncurate = 5\n", r"\[tool.curate\] must be a table of settings, got 5"),
        ('[tool]\ncurate = "yes"\n', r"\[tool.curate\] must be a table"),
    ],
)
def test_a_pyproject_of_the_wrong_shape_is_a_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    config = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError, match=message):
        resolve_settings({}, config=config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs = -1\n", "'jobs': give 0 .* not -1"),
        ("jobs = 100000\n", "'jobs': give 0 .* to 1024"),
        ("timeout = nan\n", "'timeout': the time-out must be more than 0 seconds.*nan"),
        ("timeout = inf\n", "'timeout': the time-out .* not inf"),
        ("timeout = -3\n", "'timeout': the time-out .* not -3"),
        ("max-cache-age = -1\n", "'max-cache-age': the age must be 0 seconds or more"),
        ('max-cache-age = "soon"\n', "'max-cache-age': 'soon' is not a duration"),
        ("concurrency = 0\n", "'concurrency': give 1 to 10000"),
        ('user-agent = "bot\\r\\nX-Evil: 1"\n', "'user-agent': .* printable ASCII"),
        ('user-agent = "bøt"\n', "'user-agent': .* printable ASCII"),
        ('root = "nowhere"\n', "'root': .*nowhere does not exist"),
        ("stritc = true\n", "unknown key 'stritc' \\(did you mean 'strict'\\?\\)"),
        ('jobs = "2"\n', "'jobs' must be an integer, got '2'"),
        ('root = "a\\u0000b"\n', "'root' must be a path"),
    ],
)
def test_bad_values_in_the_file_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "curate.toml", text)
    with pytest.raises(ConfigError, match=message):
        resolve_settings({}, cwd=tmp_path)


def test_config_errors_are_usage_errors() -> None:
    assert issubclass(ConfigError, UsageError)


def test_durations_in_the_file(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", 'max-cache-age = "1w"\n')
    assert resolve_settings({}, cwd=tmp_path).max_cache_age == 7 * 86400
    write(tmp_path / "curate.toml", "max-cache-age = 3600\n")
    assert resolve_settings({}, cwd=tmp_path).max_cache_age == 3600


def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path) -> None:
    settings = resolve_settings({"jobs": 1024}, cwd=tmp_path)
    assert settings.jobs == cpu_count() == (os.cpu_count() or 1)
    assert resolve_settings({"jobs": 0}, cwd=tmp_path).jobs == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jobs": -1}, "--jobs: give 0"),
        ({"root": Path("/nonexistent")}, "--root: /nonexistent does not exist"),
        ({"timeout": float("nan")}, "--timeout: the time-out must be more than 0"),
        ({"user_agent": "a\nb"}, "--user-agent: 'a\\\\nb' cannot be sent"),
        ({"per_host": 0}, "--per-host: give 1 to 10000"),
    ],
)
def test_bad_values_on_the_command_line_name_the_option(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_settings(overrides, cwd=tmp_path)


def readme_toml_blocks() -> list[str]:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", readme, re.DOTALL)


def test_the_readme_examples_work_in_both_files(tmp_path: Path) -> None:
    blocks = readme_toml_blocks()
    assert any("[tool.curate]" in block for block in blocks)
    assert any("[tool.curate]" not in block for block in blocks)
    for number, block in enumerate(blocks):
        names = ["curate.toml", "pyproject.toml"] if "[tool.curate]" in block else ["curate.toml"]
        for name in names:
            folder = tmp_path / f"{number}-{name}"
            write(folder / name, block)
            settings = resolve_settings({}, cwd=folder)
            assert settings.config_path == folder / name
            assert settings.per_file_ignores == (("_archive/*", ("DT001", "IM001")),)


def test_publish_threshold_and_its_deprecated_old_name(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", "publish-threshold = 60\n")
    assert resolve_settings({}, cwd=tmp_path).published_quality_threshold == 60
    write(tmp_path / "curate.toml", "published-quality-threshold = 50\n")
    assert resolve_settings({}, cwd=tmp_path).published_quality_threshold == 50
    write(tmp_path / "curate.toml", "published-quality-threshold = 50\npublish-threshold = 6\n")
    with pytest.raises(ConfigError, match="'published-quality-threshold' is the old name"):
        resolve_settings({}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("publish-threshold = -5\n", "'publish-threshold': the threshold must be 0 or more"),
        (
            "published-quality-threshold = -5\n",
            "'published-quality-threshold': the threshold must be 0 or more",
        ),
        ('published-field = "hot"\n', "'published-field': 'hot' is not a number field"),
        ('published-field = "title"\n', "'published-field': 'title' is not a number field"),
    ],
)
def test_publishing_settings_that_would_turn_pb001_off_are_errors(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path / "curate.toml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        resolve_settings({}, cwd=tmp_path)


def test_published_field_may_name_any_number_field_of_the_schema(tmp_path: Path) -> None:
    write(tmp_path / "curate.toml", 'published-field = "quality"\n')
    assert resolve_settings({}, cwd=tmp_path).published_field == "quality"


def test_a_negative_publish_threshold_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--publish-threshold: the threshold must be 0"):
        resolve_settings({"published_quality_threshold": -5}, cwd=tmp_path)
