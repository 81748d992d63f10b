"""The machine a benchmark ran on, for the first line of its report."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

#: Additions in the calibration loop: about 0.5 s of CPU on a typical 2024 server core.
CALIBRATION_ADDS = 10_000_000


def python_speed() -> float:
    """CPU seconds (the best of three) of a pure-Python loop of ``CALIBRATION_ADDS``
    additions: the same virtual machine can be several times slower one day than another
    (a busy host), and a figure means little without it."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(CALIBRATION_ADDS):
            total += i
        best = min(best, time.process_time() - started)
    return best


def machine(*versions: str) -> str:
    """CPU model, cores, Python, any ``versions`` of note (``"SQLite 3.40"``) and the OS."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [model, f"{os.cpu_count()} cores", f"Python {platform.python_version()}",
             *versions, f"{platform.system()} {platform.release()}",
             f"pure-Python loop of {CALIBRATION_ADDS:,} additions {python_speed():.2f} s CPU"]
    return "machine: " + ", ".join(parts)
