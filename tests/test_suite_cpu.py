"""The suite's CPU meter (bench/suite_cpu.py): it names each kind of process and counts
the CPU a command's processes used."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

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
    """A child that spins for 1 s of CPU beside one that sleeps: the spinning one gets most of
    that second, the sleeping one almost none. Each is told apart by a marker in its command
    line, so whatever else runs on the machine meanwhile (the rest of the suite) does not
    count here."""
    marker = uuid.uuid4().hex
    spin = (f"# spinner {marker}\nimport time\nt = time.process_time()\n"
            "while time.process_time() - t < 1.0: pass")
    rest = f"# sleeper {marker}\nimport time\ntime.sleep(1.2)"
    parent = (f"import subprocess, sys; s = subprocess.Popen([sys.executable, '-c', {rest!r}]); "
              f"subprocess.run([sys.executable, '-c', {spin!r}]); s.wait()")

    def classify(line: str) -> str:
        mine = re.search(rf"# (spinner|sleeper) {marker}", line)
        return mine.group(1) if mine else kind(line)

    used = sample(subprocess.Popen([sys.executable, "-c", parent]), every=0.1,
                  classify=classify)
    assert used["spinner"] >= 0.7, used
    assert used["sleeper"] < 0.25, used  # its interpreter starting: a few hundredths
