"""Where a command's CPU goes, by kind of process: the test suite's pytest workers, Chromium,
live servers, PostgreSQL … (issue 15: only cheaper tests make the suite shorter, so this
says which are worth making cheaper).

    .venv/bin/python bench/suite_cpu.py -- make test
    .venv/bin/python bench/suite_cpu.py -- .venv/bin/python -m pytest -n 2 tests/browser

Every process on the machine is read from ``/proc`` once per ``--every`` seconds while the
command runs; a process's CPU is what it used since first seen (so servers that were already
running count only their share of the run). A process that starts and ends between two
reads is missed, and one's last moment before it ends is lost: the figures are a lower
bound, close for anything that lives a second or more. Linux only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import machine

__all__ = ["kind", "main"]

TICKS = os.sysconf("SC_CLK_TCK")

#: (pattern in the command line, kind), first match wins.
KINDS = [
    (r"chrom.*--type=renderer", "Chromium renderers"),
    (r"chrom.*--type=gpu-process", "Chromium GPU process"),
    (r"chrom.*--type=", "Chromium helpers"),
    (r"chrom", "Chromium browser process"),
    (r"playwright/driver", "Playwright's driver"),
    (r"postgres", "PostgreSQL"),
    (r"redis-server", "Redis"),
    (r"nginx", "nginx"),
    (r"tests\.support\.zygote", "live servers (forked from the zygote)"),
    (r"exec\(eval\(sys\.stdin", "pytest workers (in-process tests)"),
    (r"pytest", "pytest's main process"),
    (r"gunicorn|from gevent import monkey", "gunicorn"),
    (r"flask .*serve", "flask serve"),
    (r"flask ", "the flask CLI"),
    (r"\bnode\b", "node"),
    (r"python", "other Python"),
]


def kind(command_line: str) -> str:
    """The kind of process a command line is (``"other"`` for anything not listed).

    >>> kind("/usr/lib/chromium/chromium --type=renderer --lang=en")
    'Chromium renderers'
    >>> kind("/work/.venv/bin/python -u -c import sys;exec(eval(sys.stdin.readline()))")
    'pytest workers (in-process tests)'
    """
    for pattern, name in KINDS:
        if re.search(pattern, command_line):
            return name
    return "other"


def _cpu(pid: str) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def _command_line(pid: str) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return None


def sample(process: subprocess.Popen[bytes], every: float,
           classify: Callable[[str], str] = kind) -> Counter[str]:
    """CPU seconds by kind of process (``classify`` of its command line) until ``process``
    ends."""
    first: dict[str, tuple[str, float]] = {}  # pid -> (kind, CPU when first seen)
    last: dict[str, float] = {}
    first_pass = True
    while True:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            cpu = _cpu(pid)
            if cpu is None:
                continue
            if pid not in first:
                line = _command_line(pid)
                if line is None or not line.strip():
                    continue  # a kernel thread, or gone
                # Running before the command: only what it uses from now on counts.
                first[pid] = (classify(line), cpu if first_pass else 0.0)
            last[pid] = cpu
        first_pass = False
        if process.poll() is not None:
            break
        time.sleep(every)
    used: Counter[str] = Counter()
    for pid, (name, at_first) in first.items():
        used[name] += last[pid] - at_first
    return used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=1.0, help="seconds between reads")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: what to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    print(machine())
    began = time.monotonic()
    process = subprocess.Popen(command)
    used = sample(process, args.every)
    wall = time.monotonic() - began
    total = sum(used.values())
    cores = os.cpu_count() or 1
    print(f"{' '.join(command)}: exit {process.returncode}, {wall:.1f} s of wall, "
          f"{total:.1f} s of CPU seen ({100 * total / (wall * cores):.0f} % of {cores} cores)")
    for name, seconds in used.most_common():
        if seconds >= 0.05:
            print(f"  {seconds:8.1f} s  {100 * seconds / total:5.1f} %  {name}")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
