"""The warm process live servers are forked from answers like ``subprocess.Popen`` would."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import zygote
from tests.support.live import ROOT, free_port, runner_environment

pytestmark = pytest.mark.skipif(not zygote.enabled(), reason="servers start afresh here")


def test_a_command_exits_with_its_own_code_and_output(tmp_path: Path) -> None:
    env = runner_environment()
    done = zygote.spawn(["--version"], env=env, cwd=ROOT,
                        log=tmp_path / "ok.log")
    assert done.wait(timeout=30) == 0
    assert "Flask" in (tmp_path / "ok.log").read_text()

    wrong = zygote.spawn(["no-such-command"], env=env, cwd=ROOT,
                         log=tmp_path / "wrong.log")
    assert wrong.wait(timeout=30) == 2
    assert "No such command" in (tmp_path / "wrong.log").read_text()
    assert wrong.poll() == 2  # reaped once, asked again


def test_a_server_is_stopped_by_sigterm_and_killed_by_sigkill(tmp_path: Path) -> None:
    env = {**runner_environment(), "CIRCLES_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'z.sqlite3'}", "SECRET_KEY": "zygote-test"}
    servers = [zygote.spawn(["serve", "--port", str(free_port())], env=env,
                            cwd=ROOT, log=tmp_path / f"serve{n}.log") for n in (1, 2)]
    for server in servers:
        assert server.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            server.wait(timeout=0.2)
    deadline = time.monotonic() + 20
    while "running on" not in (tmp_path / "serve1.log").read_text():
        assert time.monotonic() < deadline, (tmp_path / "serve1.log").read_text()
        time.sleep(0.05)
    servers[0].terminate()  # `flask serve` ends through sys.exit(0) on SIGTERM
    servers[1].kill()
    assert servers[0].wait(timeout=10) == 0
    assert servers[1].wait(timeout=10) == -signal.SIGKILL
    servers[1].kill()  # gone: nothing happens
