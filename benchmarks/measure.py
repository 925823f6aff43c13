"""Run commands as whole processes and record each one's wall time and peak RSS."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Exit code 1 means findings for curate and check-jsonschema, but Python also exits 1 on an
# uncaught exception or a missing module, so stderr tells the two apart.
CRASH_MARKERS = ("Traceback (most recent call last)", "No module named")
RICH_FRAME = " \t│╭╮╰╯─"


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    stderr: str

    @property
    def failed(self) -> bool:
        return self.exit_code not in (0, 1) or any(m in self.stderr for m in CRASH_MARKERS)


@dataclass(frozen=True)
class Measurement:
    label: str
    seconds: float | None
    peak_rss_mb: float | None
    failure: str = ""
    detail: str = ""


def run_process(command: Sequence[str], cwd: Path) -> Sample:
    """Wall time from spawn to reaping; ru_maxrss from wait4 is this child's own peak."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", errors="replace")
    return Sample(seconds, usage.ru_maxrss / 1024, process.returncode, text)


def run_batches(commands: Sequence[Sequence[str]], cwd: Path) -> Sample:
    """Several processes run one after another count as one: times add up, peaks do not."""
    samples: list[Sample] = []
    for command in commands:
        samples.append(run_process(command, cwd))
        if samples[-1].failed:
            return samples[-1]
    return Sample(
        sum(sample.seconds for sample in samples),
        max(sample.peak_rss_mb for sample in samples),
        max(sample.exit_code for sample in samples),
        "",
    )


def failed_measurement(label: str, sample: Sample) -> Measurement:
    """Keep the last line that says something, without the frame of a Rich error panel."""
    lines = (line.strip(RICH_FRAME) for line in reversed(sample.stderr.splitlines()))
    detail = next((line for line in lines if line), "")
    return Measurement(label, None, None, f"exit {sample.exit_code}", detail[:300])


def measure(
    label: str,
    commands: Sequence[Sequence[str]],
    cwd: Path,
    runs: int,
    before_each: Callable[[int], None] | None = None,
) -> Measurement:
    """The median of `runs` runs; the first failing run stops the measurement."""
    samples: list[Sample] = []
    for run in range(runs):
        if before_each is not None:
            before_each(run)
        sample = run_batches(commands, cwd)
        if sample.failed:
            measurement = failed_measurement(label, sample)
            print(f"{label}: n/a ({measurement.failure})", file=sys.stderr, flush=True)
            return measurement
        samples.append(sample)
    seconds = statistics.median(sample.seconds for sample in samples)
    peak_rss_mb = statistics.median(sample.peak_rss_mb for sample in samples)
    print(f"{label}: {seconds:.3f} s, {peak_rss_mb:.0f} MB", file=sys.stderr, flush=True)
    return Measurement(label, seconds, peak_rss_mb)
