"""Code run in a fresh interpreter: the garbage collector's state and gevent's patches are
a process's, so tests of them cannot share the test process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.live import ROOT


def in_a_process(code: str) -> str:
    """Run ``code`` in a fresh interpreter (the garbage collector's state, gevent's patches
    are the process's); its stdout."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def in_a_gevent_worker(code: str) -> str:
    """Run ``code`` after patching as gunicorn's gevent worker does; its stdout."""
    return in_a_process("from gevent import monkey\nmonkey.patch_all()\n" + textwrap.dedent(code))
