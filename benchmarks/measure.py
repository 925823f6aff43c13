"""Run commands as whole processes and record each one's wall time, CPU time and peak RSS."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SPAWN = Path(__file__).resolve().with_name("spawn.py")
COMMAND_NOT_RUN = 127  # as a shell reports a command it cannot find
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
    #: User + system time of the process (and of the workers it waited for).
    cpu_seconds: float = 0.0

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
    cpu_seconds: float | None = None


def run_process(command: Sequence[str], cwd: Path) -> Sample:
    """Run command through spawn.py, which times it and reads its own peak RSS from wait4."""
    with tempfile.TemporaryFile() as stderr:
        spawner = subprocess.run(
            [sys.executable, "-I", "-S", str(SPAWN), *command],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            check=False,
        )
        stderr.seek(0)
        text = stderr.read().decode("utf-8", errors="replace")
    if spawner.returncode != 0:
        return Sample(0.0, 0.0, COMMAND_NOT_RUN, text)
    seconds, exit_code, peak_rss_kb, cpu = spawner.stdout.split()
    return Sample(float(seconds), int(peak_rss_kb) / 1024, int(exit_code), text, float(cpu))


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
        sum(sample.cpu_seconds for sample in samples),
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
    before_each: Callable[[], None] | None = None,
) -> Measurement:
    """The median of `runs` runs; the first failing run stops the measurement."""
    samples: list[Sample] = []
    for _ in range(runs):
        if before_each is not None:
            before_each()
        sample = run_batches(commands, cwd)
        if sample.failed:
            measurement = failed_measurement(label, sample)
            print(f"{label}: n/a ({measurement.failure})", file=sys.stderr, flush=True)
            return measurement
        samples.append(sample)
    return summarise(label, samples)


def measure_interleaved(
    figures: Sequence[tuple[str, Sequence[Sequence[str]]]],
    cwd: Path,
    runs: int,
    run: Callable[[Sequence[Sequence[str]], Path], Sample] = run_batches,
) -> list[Measurement]:
    """The median of `runs` runs of each figure, taken in turn (A B C A B C ...) so that all
    of them meet the same moments of the machine's load; a failed figure is not run again."""
    samples: list[list[Sample]] = [[] for _ in figures]
    for _ in range(runs):
        for taken, (_, commands) in zip(samples, figures, strict=True):
            if not taken or not taken[-1].failed:
                taken.append(run(commands, cwd))
    return [summarise(label, taken) for taken, (label, _) in zip(samples, figures, strict=True)]


def summarise(label: str, samples: Sequence[Sample]) -> Measurement:
    """The median of samples taken one way or another; a failed one fails the figure."""
    for sample in samples:
        if sample.failed:
            measurement = failed_measurement(label, sample)
            print(f"{label}: n/a ({measurement.failure})", file=sys.stderr, flush=True)
            return measurement
    seconds = statistics.median(sample.seconds for sample in samples)
    peak_rss_mb = statistics.median(sample.peak_rss_mb for sample in samples)
    cpu = statistics.median(sample.cpu_seconds for sample in samples)
    print(
        f"{label}: {seconds:.3f} s, {cpu:.3f} s CPU, {peak_rss_mb:.0f} MB",
        file=sys.stderr,
        flush=True,
    )
    return Measurement(label, seconds, peak_rss_mb, cpu_seconds=cpu)
