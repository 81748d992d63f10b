"""The warm process live servers are forked from answers like ``subprocess.Popen`` would."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import hashing, zygote
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


@pytest.mark.parametrize(("real", "method"), [("", "pbkdf2:sha256:1000"), ("1", "scrypt")])
def test_a_forked_command_hashes_passwords_cheaply_unless_told_otherwise(
        tmp_path: Path, real: str, method: str) -> None:
    """Like the test process (tests/support/hashing.py): scrypt only where a test asks."""
    env = {**runner_environment(), "CIRCLES_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}", "SECRET_KEY": "zygote-test"}
    if real:
        env[hashing.REAL_HASH_ENV] = real
    log = tmp_path / "hash.log"
    assert zygote.spawn(["db", "upgrade"], env=env, cwd=ROOT, log=log).wait(timeout=60) == 0
    assert zygote.spawn(["demo", "load"], env=env, cwd=ROOT, log=log).wait(timeout=120) == 0, \
        log.read_text()
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        stored = {row[0].split("$")[0] for row in db.execute(
            "SELECT password_hash FROM user WHERE password_hash IS NOT NULL")}
    assert stored and all(s.startswith(method) for s in stored), stored
