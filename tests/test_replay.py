"""Replay (curate.replay): a stored run is replayed only while it equals a fresh one.

Real processes (``python -m curate``): the replay lives in the process entry. An
input changed less than two seconds before a run is not trusted to ``stat``
(curate.replay.RACY_WINDOW_NS), so each step waits that long once for all sites.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from curate import replay
from curate.replay import Invocation, Tape, decode_tape
from tests.conftest import ROOT, copy_tracked

#: How long after a change a run may store its result.
SETTLE_S = replay.RACY_WINDOW_NS / 1e9 + 0.2

Run = tuple[int, bytes, bytes]


def curate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    # The environment given explicitly: the one a child inherits can hold entries set
    # below os.environ (COLUMNS, by a library of the test run), which would change the key.
    result = subprocess.run(
        [sys.executable, "-m", "curate", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        check=False,
        timeout=120,
    )
    return result.returncode, result.stdout, result.stderr


def replayed(site: Path) -> int:
    """How many runs were replayed in the site (what ``curate cache info`` says)."""
    return _count(site, "SELECT value FROM counters WHERE name = 'replayed'")


def stored(site: Path) -> int:
    return _count(site, "SELECT COUNT(*) FROM runs")


def _count(site: Path, query: str) -> int:
    path = site / ".curate_cache" / replay.DB_NAME
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute(query).fetchone()[0])


def said(site: Path) -> tuple[int, int]:
    """Stored runs and replays, as ``curate cache info`` says them."""
    code, out, err = curate(site, "cache", "info")
    assert code == 0, err
    runs = re.search(rb"(\d+) stored runs? for replay", out)
    hits = re.search(rb"replayed (\d+) times?", out)
    return (int(runs.group(1)) if runs else 0, int(hits.group(1)) if hits else 0)


def make_site(tmp_path: Path, name: str) -> Path:
    site = copy_tracked(ROOT / "examples", tmp_path / name)
    # Made now, not by the first run: a folder created in the root changes the root.
    (site / ".curate_cache").mkdir()
    return site


def _edit(site: Path) -> dict[str, str]:
    post = site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    post.write_text(post.read_text(encoding="utf-8").replace("title:", "title: [", 1), "utf-8")
    return {}


def _touch(site: Path) -> dict[str, str]:
    os.utime(site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md")
    return {}


def _add(site: Path) -> dict[str, str]:
    source = site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    shutil.copy(source, site / "_posts/2021-07-10-ibm-opens-an-ai-ethics-lab-again.md")
    return {}


def _remove(site: Path) -> dict[str, str]:
    (site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md").unlink()
    return {}


def _rename(site: Path) -> dict[str, str]:
    posts = site / "_posts"
    (posts / "2021-07-07-a-key-written-twice.md").rename(posts / "2021-07-07-twice.md")
    return {}


def _config(site: Path) -> dict[str, str]:
    config = site / "_config.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "  - _posts/2021-07-07-a-key-written-twice.md\n", "utf-8")
    return {}


def _curate_toml(site: Path) -> dict[str, str]:
    (site / "curate.toml").write_text('ignore = ["RL007"]\n', encoding="utf-8")
    return {}


def _remove_image(site: Path) -> dict[str, str]:
    (site / "assets/images/topics/ai.jpg").unlink()  # a topic's image: TX004
    return {}


def _remove_logo(site: Path) -> dict[str, str]:
    (site / "assets/images/organizations/scmp.com-50x50.jpg").unlink()  # an article's: IM006
    return {}


def _add_topic(site: Path) -> dict[str, str]:
    (site / "_data/topics/05-robots.yaml").write_text("shortname: robots\n", encoding="utf-8")
    return {}


def _no_color(site: Path) -> dict[str, str]:
    return {"NO_COLOR": "1"}


def _columns(site: Path) -> dict[str, str]:
    return {"COLUMNS": "70"}


CHANGES: dict[str, Callable[[Path], dict[str, str]]] = {
    "edit": _edit,
    "touch": _touch,
    "add": _add,
    "remove": _remove,
    "rename": _rename,
    "config": _config,
    "curate-toml": _curate_toml,
    "remove-image": _remove_image,
    "remove-logo": _remove_logo,
    "add-topic": _add_topic,
    "no-color": _no_color,
    "columns": _columns,
}
COMMANDS = {"lint": ("lint", "."), "validate": ("validate", "_posts", "-f", "concise")}


def test_a_replay_equals_a_fresh_run_through_a_site_history(tmp_path: Path) -> None:
    """Each change on its own site: stored before it, checked right after it, stored
    again once it settled; every run's bytes and exit code are a --no-cache run's."""
    sites = {name: make_site(tmp_path, name) for name in CHANGES}
    commands = {name: COMMANDS["validate" if name == "touch" else "lint"] for name in CHANGES}
    time.sleep(SETTLE_S)

    def fresh(site: Path, args: tuple[str, ...], env: dict[str, str]) -> Run:
        return curate(site, *args, "--no-cache", env=env)

    # The sites are alike and paths are shown relative to each: one fresh run per command.
    before = {args: fresh(sites["edit"], args, {}) for args in set(commands.values())}
    for name, site in sites.items():
        args = commands[name]
        assert curate(site, *args) == before[args]  # stored
        assert curate(site, *args) == before[args]  # replayed
        assert replayed(site) == 1, name

    changed_env = {name: change(sites[name]) for name, change in CHANGES.items()}
    after = {}
    for name, site in sites.items():
        args, env = commands[name], changed_env[name]
        after[name] = fresh(site, args, env)
        assert curate(site, *args, env=env) == after[name], name
        assert replayed(site) == 1, name  # the stored run no longer holds
    unchanged = {name for name in CHANGES if after[name] == before[commands[name]]}
    assert unchanged == {"touch", "no-color"}  # the others change the output: a stale replay shows

    time.sleep(SETTLE_S)
    for name, site in sites.items():
        args, env = commands[name], changed_env[name]
        assert curate(site, *args, env=env) == after[name], name  # stored (unless it was)
        assert curate(site, *args, env=env) == after[name], name
        assert replayed(site) >= 2, name


def test_the_stored_output_and_exit_code_are_the_run_s(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    first = curate(site, "lint", ".", "-f", "json")
    assert first[0] == 1 and first[1].startswith(b"[")  # the examples have errors
    again = curate(site, "lint", ".", "-f", "json")
    assert again == first and said(site) == (1, 1)
    code, _, _ = curate(site, "cache", "clear")
    assert code == 0 and said(site) == (0, 0)
    assert not (site / ".curate_cache" / replay.DB_NAME).exists()


def test_runs_that_depend_on_more_than_their_files_are_never_stored(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    (site / "_posts/2999-01-01-from-the-future.md").write_text(
        (site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md")
        .read_text(encoding="utf-8")
        .replace("2021-07-05", "2999-01-01"),
        encoding="utf-8",
    )
    other = make_site(tmp_path, "other")
    time.sleep(SETTLE_S)
    for _ in range(2):
        _, out, _ = curate(site, "lint", ".")
        assert b"DT002" in out  # a clock rule fired: the finding goes away in 2999
        curate(other, "rank", ".")  # scores by the time of day
        curate(other, "lint", ".", "--no-cache")
        curate(other, "lint", "--diff", ".")
        curate(other, "lint", "--fix", "_posts/2021-07-07-a-key-written-twice.md")
    assert stored(site) == 0 and stored(other) == 0
    time.sleep(SETTLE_S)  # --fix changed a file
    for _ in range(2):
        curate(other, "rank", ".", "--now", "2021-07-10")
    assert stored(other) == 1 and replayed(other) == 1


def test_a_result_is_stored_only_in_the_site_s_own_cache(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    elsewhere = tmp_path / "elsewhere"
    (site / "curate.toml").write_text(f"cache-dir = {str(elsewhere)!r}\n", encoding="utf-8")
    time.sleep(SETTLE_S)
    for _ in range(2):
        assert curate(site, "lint", ".")[0] == 1
    assert not (site / ".curate_cache" / replay.DB_NAME).exists()
    assert not (elsewhere / replay.DB_NAME).exists()


def test_a_racy_input_is_not_trusted(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    _edit(site)  # now: within the window of the next run
    assert curate(site, "lint", ".")[0] == 1
    assert stored(site) == 0


def test_a_broken_store_is_no_error_and_is_rebuilt(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    (site / ".curate_cache" / replay.DB_NAME).write_bytes(b"not a database" * 100)
    time.sleep(SETTLE_S)
    expected = curate(site, "lint", ".", "--no-cache")
    assert curate(site, "lint", ".") == expected
    assert curate(site, "lint", ".") == expected
    assert replayed(site) == 1


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="no bash")
def test_a_replay_piped_into_head_keeps_its_exit_code_and_says_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    command = f"{sys.executable} -m curate lint . -f concise"
    for pipe in (" > /dev/null", " | head -1", " | head -1"):  # stored, then replayed
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command + pipe],
            env=dict(os.environ),
            capture_output=True,
            cwd=site,
            check=False,
            timeout=120,
        )
        assert result.returncode == 1
        assert result.stdout.count(b"\n") == int("head" in pipe) and result.stderr == b""
    assert replayed(site) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "--fix", "."],
        ["lint", "--unsafe-fixes", "--fix"],
        ["lint", "--diff"],
        ["lint", "--online"],
        ["lint", ".", "--no-cache"],
        ["lint", "--cache-dir", "x"],
        ["lint", "--help"],
        ["links", "."],
        ["lsp"],
        ["cache", "info"],
        ["rules"],
        ["--version"],
        [],
    ],
)
def test_only_commands_their_files_decide_are_candidates(args: list[str]) -> None:
    assert Invocation.of(args) is None


@pytest.mark.parametrize("command", ["lint", "validate", "list", "stats", "rank"])
def test_the_commands_that_may_be_replayed(command: str) -> None:
    assert Invocation.of([command, "."]) is not None


def test_the_mirrored_names_are_the_engine_s() -> None:
    from curate.cache import CACHE_DIR_NAME
    from curate.corpus import CONFIG_NAMES

    assert replay.CACHE_DIR_NAME == CACHE_DIR_NAME
    assert replay.CONFIG_NAMES == CONFIG_NAMES


def test_the_tape_keeps_every_write_and_flush_in_order() -> None:
    tape = Tape()
    tape.chunks = [(1, "a\n"), (2, "warn\ud800\n"), (1, None), (1, "é" * 3), (2, None)]
    assert decode_tape(tape.encode()) == tape.chunks
    assert decode_tape(tape.encode()[:-1]) is None
    assert decode_tape(b"garbage") is None


def test_the_replay_path_imports_neither_typer_nor_rich_nor_the_engine(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    curate(site, "lint", ".")
    probe = (
        "import sys, curate.cli\n"
        "sys.argv = ['curate', 'lint', '.']\n"
        "code = curate.cli.main()\n"
        "loaded = [m for m in ('typer', 'rich', 'yaml', 'curate.engine') if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=site, capture_output=True, check=False, timeout=120
    )
    # The probe's key differs from `python -m curate`'s (sys.path): it stores, then replays.
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=site, capture_output=True, check=False, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.endswith(b"[]")


def test_in_process_calls_do_not_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from curate.cli import main

    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    here = os.getcwd()
    os.chdir(site)
    try:
        assert main(["lint", "."]) == 1
        assert main(["lint", "."]) == 1
    finally:
        os.chdir(here)
    capsys.readouterr()
    assert not (site / ".curate_cache" / replay.DB_NAME).exists()


def test_a_stored_run_with_a_mangled_row_is_run_again(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    expected = curate(site, "lint", ".")
    database = site / ".curate_cache" / replay.DB_NAME
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET output = ?", (b"junk",))
    db.close()
    assert curate(site, "lint", ".") == expected
    assert replayed(site) == 0


def test_a_replay_into_a_closed_pipe_keeps_its_exit_code_and_says_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    curate(site, "lint", ".")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before curate writes a byte
    try:
        result = subprocess.run(
            [sys.executable, "-m", "curate", "lint", "."],
            cwd=site,
            env=dict(os.environ),  # as curate() passes it (not the C environ: see there)
            stdout=write,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write)
    assert result.returncode == 1 and result.stderr == b""
    assert replayed(site) == 1


def _on_a_terminal(
    site: Path, *args: str, env: dict[str, str], module: bool = True
) -> tuple[int, bytes]:
    """Run curate (or a script) with stdout and stderr on a pseudo-terminal of 100 columns."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, *(["-m", "curate"] if module else []), *args],
        cwd=site,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    output = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal has no writer left
            break
        if not data:
            break
        output += data
    os.close(master)
    return process.wait(timeout=120), output


@pytest.mark.skipif(not hasattr(os, "openpty") or sys.platform == "win32", reason="no pty")
def test_a_replay_on_a_terminal_is_the_run_s_colours_and_width(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    time.sleep(SETTLE_S)
    expected = _on_a_terminal(site, "lint", ".", "--no-cache", env=env)
    assert b"\x1b[" in expected[1]  # coloured, as on a terminal
    assert _on_a_terminal(site, "lint", ".", env=env) == expected  # stored
    assert _on_a_terminal(site, "lint", ".", env=env) == expected  # replayed
    assert replayed(site) == 1


def test_a_schema_edited_after_a_stored_run_is_noticed(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    schema = site / "article.schema.json"
    shutil.copy(ROOT / "schemas" / "article.schema.json", schema)
    (site / "curate.toml").write_text('schema = "article.schema.json"\n', encoding="utf-8")
    time.sleep(SETTLE_S)
    args = ("validate", "--root", ".", "_posts", "-f", "concise")
    assert curate(site, *args) == curate(site, *args, "--no-cache")
    assert curate(site, *args)[0] == 1 and replayed(site) == 1
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('"required": [', '"required": ["nickname", ', 1), "utf-8")
    expected = curate(site, *args, "--no-cache")
    assert b"nickname" in expected[1]
    assert curate(site, *args) == expected
    assert replayed(site) == 1


def test_an_in_process_call_may_ask_for_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``main(argv, replay=True)``: the process entry's path, for a test that wants it."""
    from curate.cli import main

    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    monkeypatch.chdir(site)
    outputs = []
    for _ in range(2):
        assert main(["lint", ".", "-f", "concise"], replay=True) == 1
        outputs.append(capsys.readouterr())
    assert outputs[0] == outputs[1] and outputs[0].out
    assert replayed(site) == 1


def test_a_locked_store_is_no_error(tmp_path: Path) -> None:
    site = make_site(tmp_path, "site")
    time.sleep(SETTLE_S)
    expected = curate(site, "lint", ".", "--no-cache")
    assert curate(site, "lint", ".") == expected  # stored
    with contextlib.closing(sqlite3.connect(site / ".curate_cache" / replay.DB_NAME)) as db:
        db.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than curate waits
        assert curate(site, "lint", ".") == expected  # replayed, not counted
        (site / "_config.yml").touch()
        time.sleep(SETTLE_S)
        assert curate(site, "lint", ".") == expected  # run, and not stored
        db.rollback()
    assert curate(site, "lint", ".") == expected  # run, stored
    assert curate(site, "lint", ".") == expected  # replayed
    assert replayed(site) == 1


# -- holes found by an adversarial review: each was a replay that differed from a fresh run


def _settled_sites(root: Path) -> dict[str, Path]:
    """The sites of the tests below, made at once so that one wait settles them all."""
    sites = {
        name: make_site(root, name)
        for name in ("resize", "clock", "groups", "streams", "extensions", "fork")
    }
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        sites["shm"] = make_site(Path(tempfile.mkdtemp(dir=shm, prefix="curate-test-")), "site")
    # A module the run imports (textwrap, through Click), shadowed by a copy compiled in
    # place: as an editable install of a dependency is, or a package edited by hand.
    import importlib.util
    import py_compile
    import textwrap

    modules = root / "modules"
    modules.mkdir()
    source = modules / "textwrap.py"
    shutil.copy(textwrap.__file__, source)
    cached = importlib.util.cache_from_source(str(source))
    py_compile.compile(str(source), cfile=cached, doraise=True)
    sites["module"] = make_site(root, "module")
    sites["modules"] = modules
    # A schema beside documents it may refer to, one of them a link to a file not made yet.
    site = sites["neighbours"] = make_site(root, "neighbours")
    schemas = site / "schemas"
    schemas.mkdir()
    schema = json.loads((ROOT / "schemas" / "article.schema.json").read_text(encoding="utf-8"))
    schema["allOf"] = [*schema.get("allOf", []), {"$ref": "urn:curate-test:extra"}]
    (schemas / "article.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (schemas / "defs.json").write_text('{"$id": "urn:curate-test:extra"}', encoding="utf-8")
    (site / "elsewhere").mkdir()
    (schemas / "later.json").symlink_to(site / "elsewhere" / "later.json")
    (site / "curate.toml").write_text('schema = "schemas/article.schema.json"\n', "utf-8")
    # A link in a collection to a folder not made yet (a drive not mounted yet).
    site = sites["link"] = make_site(root, "link")
    (site / "elsewhere").mkdir()
    (site / "_posts" / "more").symlink_to(site / "elsewhere" / "more")
    # A site reached through a link to its release, the next release a copy of hard links
    # with its own _config.yml, the cache shared between releases.
    deploy = root / "deploy"
    (deploy / "cache").mkdir(parents=True)
    first = make_site(deploy, "v1")
    (first / ".curate_cache").rmdir()
    (first / ".curate_cache").symlink_to(deploy / "cache")
    second = Path(shutil.copytree(first, deploy / "v2", symlinks=True, copy_function=os.link))
    config = second / "_config.yml"
    text = config.read_text(encoding="utf-8")
    config.unlink()
    config.write_text(text.replace('baseurl: "/ai"', 'baseurl: "/ml"'), encoding="utf-8")
    (deploy / "site").symlink_to(first)
    sites["deploy"] = deploy
    group = sites["groups"] / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    if hasattr(os, "chown") and os.geteuid() == 0:
        os.chown(group, 1000, 50)
        group.chmod(0o640)
    return sites


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sites = _settled_sites(tmp_path_factory.mktemp("settled"))
    time.sleep(SETTLE_S)
    yield sites
    if "shm" in sites:
        shutil.rmtree(sites["shm"].parent, ignore_errors=True)


def test_a_site_in_dev_shm_is_watched_like_any_other(settled: dict[str, Path]) -> None:
    """Files opened under /dev were never inputs (devices, terminals): /dev/shm holds files."""
    site = settled.get("shm")
    if site is None:
        pytest.skip("no writable /dev/shm")
    assert curate(site, "lint", ".") == curate(site, "lint", ".")
    assert replayed(site) == 1
    topic = site / "_data/topics/04-ai-ethics.yaml"  # read, and only read, by the run
    topic.write_text(topic.read_text(encoding="utf-8").replace("name:", "label:", 1), "utf-8")
    expected = curate(site, "lint", ".", "--no-cache")
    assert b"TX003" in expected[1]
    assert curate(site, "lint", ".") == expected
    assert replayed(site) == 1


def test_a_module_edited_beside_its_compiled_copy_is_noticed(settled: dict[str, Path]) -> None:
    """Python opens a module's .pyc, after checking its source's stat: both are inputs."""
    site, modules = settled["module"], settled["modules"]
    env = {"PYTHONPATH": str(modules)}
    assert curate(site, "lint", ".", env=env) == curate(site, "lint", ".", env=env)
    assert replayed(site) == 1
    with (modules / "textwrap.py").open("a", encoding="utf-8") as handle:
        handle.write("\nimport sys as _sys\n_sys.stderr.write('an edited textwrap\\n')\n")
    expected = curate(site, "lint", ".", "--no-cache", env=env)
    assert b"an edited textwrap" in expected[2]
    assert curate(site, "lint", ".", env=env) == expected
    assert replayed(site) == 1


def test_a_schema_neighbour_not_read_is_still_an_input(settled: dict[str, Path]) -> None:
    """Which files beside the schema are read depends on each one's kind and size: a link
    to nothing is skipped, until its target appears (and, later in name order, wins the $id)."""
    site = settled["neighbours"]
    args = ("validate", "_posts", "-f", "concise")
    assert curate(site, *args) == curate(site, *args)
    assert replayed(site) == 1
    (site / "elsewhere" / "later.json").write_text(
        '{"$id": "urn:curate-test:extra", "required": ["nickname"]}', encoding="utf-8"
    )
    expected = curate(site, *args, "--no-cache")
    assert b"nickname" in expected[1]
    assert curate(site, *args) == expected
    assert replayed(site) == 1


def test_a_link_to_nothing_that_comes_to_point_at_a_folder_is_noticed(
    settled: dict[str, Path],
) -> None:
    site = settled["link"]
    assert curate(site, "lint", ".") == curate(site, "lint", ".")
    assert replayed(site) == 1
    (site / "elsewhere" / "more").mkdir()  # _posts itself does not change
    post = site / "_posts/2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    shutil.copy(post, site / "elsewhere/more/2021-07-05-ibm-opens-an-ai-ethics-lab-again.md")
    expected = curate(site, "lint", ".", "--no-cache")
    assert b"-again.md" in expected[1]
    assert curate(site, "lint", ".") == expected
    assert replayed(site) == 1


def test_a_site_swapped_behind_its_link_is_noticed(settled: dict[str, Path]) -> None:
    """``site -> v1`` becomes ``site -> v2`` (hard links: the articles are the same files)."""
    deploy = settled["deploy"]
    post = "site/_posts/2021-06-30-shenzhen-chinas-silicon-valley-plans-to-turbocharge-local-ai-"
    post += "development.md"
    before = curate(deploy, "lint", post)
    assert curate(deploy, "lint", post) == before
    assert replayed(deploy / "v1") == 1
    (deploy / "next").symlink_to(deploy / "v2")
    (deploy / "next").replace(deploy / "site")  # as deployments swap it: atomically
    expected = curate(deploy, "lint", post, "--no-cache")
    assert expected != before  # the other baseurl
    assert curate(deploy, "lint", post) == expected
    assert replayed(deploy / "v1") == 1


_RESIZING = """
import fcntl, struct, sys, termios
from curate import replay
from curate.cli import _guarded

def run(args):
    if sys.argv[1] == "resize":  # as a user who drags the window's corner mid-run
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 60, 0, 0))
    return _guarded(args)

sys.exit(replay.entry(sys.argv[2:], run))
"""


@pytest.mark.skipif(not hasattr(os, "openpty") or sys.platform == "win32", reason="no pty")
def test_a_terminal_resized_during_a_run_keeps_it_from_being_stored(
    settled: dict[str, Path], tmp_path: Path
) -> None:
    site = settled["resize"]
    driver = tmp_path / "driver.py"
    driver.write_text(_RESIZING, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"

    # The same invocation (the key does not hold the driver's own arguments) at 100 columns.
    def drive(*args: str) -> tuple[int, bytes]:
        return _on_a_terminal(site, str(driver), *args, env=env, module=False)

    resized = drive("resize", "lint", ".")
    expected = drive("plain", "lint", ".", "--no-cache")
    assert resized[1] != expected[1]  # printed at 60 columns
    assert drive("plain", "lint", ".") == expected
    assert replayed(site) == 0


_FORKING = """
import os, sys
from curate import replay
from curate.cli import _guarded

def run(args):
    pid = os.fork()  # as the pool's workers are made: the streams are inherited
    if pid == 0:
        sys.stderr.write("a worker's warning\\n")
        sys.stderr.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    return _guarded(args)

sys.exit(replay.entry(sys.argv[1:], run))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_what_a_forked_worker_writes_keeps_a_run_from_being_stored(
    settled: dict[str, Path], tmp_path: Path
) -> None:
    site = settled["fork"]
    driver = tmp_path / "driver.py"
    driver.write_text(_FORKING, encoding="utf-8")
    first = subprocess.run(
        [sys.executable, str(driver), "lint", "."], cwd=site, capture_output=True, check=False
    )
    assert first.stderr == b"a worker's warning\n"
    again = subprocess.run(
        [sys.executable, str(driver), "lint", "."], cwd=site, capture_output=True, check=False
    )
    assert (again.returncode, again.stdout, again.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
    assert replayed(site) == 0


def test_a_clock_set_back_does_not_replay(settled: dict[str, Path]) -> None:
    """DT002 did not fire when the run was stored; before that moment it might."""
    site = settled["clock"]
    expected = curate(site, "lint", ".")
    with contextlib.closing(sqlite3.connect(site / ".curate_cache" / replay.DB_NAME)) as db, db:
        db.execute("UPDATE runs SET stored_ns = stored_ns + 86400 * 1000000000")
    assert curate(site, "lint", ".") == expected
    assert replayed(site) == 0


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run as another set of groups",
)
def test_the_groups_of_the_user_are_part_of_the_key(settled: dict[str, Path]) -> None:
    """A file readable by a group the user was not in (FM012), then is in: read now."""
    site = settled["groups"]
    # Root without the capabilities that let it read any file: as a user, whose groups count.
    setpriv = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]

    def as_groups(groups: str, *args: str) -> Run:
        result = subprocess.run(
            [*setpriv, "--groups", groups, "--", sys.executable, "-m", "curate", *args],
            cwd=site,
            env=dict(os.environ),
            capture_output=True,
            check=False,
            timeout=120,
        )
        return result.returncode, result.stdout, result.stderr

    outside = as_groups("0", "lint", ".", "-f", "concise")
    assert b"FM012" in outside[1]
    assert as_groups("0", "lint", ".", "-f", "concise") == outside
    assert replayed(site) == 1
    expected = as_groups("0,50", "lint", ".", "-f", "concise", "--no-cache")
    assert b"FM012" not in expected[1]
    assert as_groups("0,50", "lint", ".", "-f", "concise") == expected
    assert replayed(site) == 1


def test_the_key_holds_whether_the_streams_themselves_are_terminals(
    settled: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process, ``sys.stdout`` need not be file descriptor 1 (an IDE's console)."""
    import io

    from curate.cli import main

    class Console(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.chdir(settled["streams"])
    monkeypatch.delenv("NO_COLOR", raising=False)
    outputs = []
    for stream, args in (
        (Console(), ["lint", "."]),  # stored: in colour
        (io.StringIO(), ["lint", ".", "--no-cache"]),
        (io.StringIO(), ["lint", "."]),
    ):
        monkeypatch.setattr(sys, "stdout", stream)
        assert main(args, replay=True) == 1
        outputs.append(stream.getvalue())
    monkeypatch.undo()
    assert "\x1b[" in outputs[0] and "\x1b[" not in outputs[1]
    assert outputs[2] == outputs[1]


def test_compiled_modules_the_run_imports_are_inputs(settled: dict[str, Path]) -> None:
    """An extension module is loaded without an ``open``: rebuilt in place, it is noticed."""
    import zlib

    site = settled["extensions"]
    assert curate(site, "validate", "_posts")[0] == 1
    with contextlib.closing(sqlite3.connect(site / ".curate_cache" / replay.DB_NAME)) as db:
        (paths,) = db.execute("SELECT paths FROM runs").fetchone()
    names = zlib.decompress(paths).decode("utf-8", "surrogateescape").split("\0")
    assert any(os.path.basename(name).startswith("_yaml.") for name in names)  # PyYAML's libyaml


def test_the_key_holds_how_python_runs_and_who_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    key = replay.invocation_key(["lint", "."], [], [])
    monkeypatch.setattr(sys, "warnoptions", ["error"])
    assert replay.invocation_key(["lint", "."], [], []) != key
    monkeypatch.undo()
    if hasattr(os, "getgroups"):
        monkeypatch.setattr(os, "getgroups", lambda: [12345])
        assert replay.invocation_key(["lint", "."], [], []) != key
