"""The machine a benchmark ran on, for the first line of its report."""

from __future__ import annotations

import os
import platform
from pathlib import Path


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
             *versions, f"{platform.system()} {platform.release()}"]
    return "machine: " + ", ".join(parts)
