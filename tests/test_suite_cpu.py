"""The suite's CPU meter (bench/suite_cpu.py): it names each kind of process and counts
the CPU a command's processes used."""

from __future__ import annotations

import subprocess
import sys

from bench.suite_cpu import kind, sample


def test_each_kind_of_process_is_named() -> None:
    assert kind("/usr/lib/chromium/chromium --type=renderer --lang=en") == "Chromium renderers"
    assert kind("/usr/lib/chromium/chromium --headless --no-sandbox") \
        == "Chromium browser process"
    assert kind("/w/.venv/bin/python -m tests.support.zygote ") \
        == "live servers (forked from the zygote)"
    assert kind("postgres: 15/main: postgres test 127.0.0.1(5432) idle") == "PostgreSQL"
    assert kind("/bin/sleep 3") == "other"


def test_a_busy_child_is_counted_and_an_idle_one_is_not() -> None:
    """A child that spins for 1 s of CPU beside one that sleeps: the spinning one's kind
    gets most of that second, the sleeping one's almost none."""
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass"
    parent = ("import subprocess, sys; s = subprocess.Popen(['sleep', '1.2']); "
              f"subprocess.run([sys.executable, '-c', {spin!r}]); s.wait()")
    command = [sys.executable, "-c", parent]
    used = sample(subprocess.Popen(command), every=0.1)
    assert used["other Python"] >= 0.7, used
    assert used["other"] < 0.1, used
