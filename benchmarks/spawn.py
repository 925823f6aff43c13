"""Run one command; print its wall time, exit code, peak RSS in KB and CPU seconds on one line.

    python -I -S benchmarks/spawn.py COMMAND [ARG...]

Linux starts the peak RSS of a new process at the RSS of the process that spawned it: the
high-water mark of the parent's memory carries over at exec. Spawned straight from the
runner, which holds a generated site plan, every figure would be at least the runner's size.
This process imports next to nothing, so the floor it leaves is that of a bare Python
(about 8 MB), below any real measured process. The command's stdout goes to /dev/null;
stderr is inherited.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: spawn.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    to_devnull = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=to_devnull)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime  # the command's own, its children's included
    print(f"{seconds:.6f} {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {cpu:.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
