"""Live servers forked from a warm process: the app's modules are imported once per test worker.

``python -m flask --app circles serve`` spends about 1.5 s of CPU before it answers, most of it
importing Flask, SQLAlchemy, Socket.IO and the app. The suite starts a few hundred live
servers (and runs ``flask db upgrade`` for many of them), so that import was a large share of
its CPU. The *zygote* is one process per test worker that imports all of it once (and builds
one throwaway app, which imports what ``create_app`` loads lazily), then forks a child per
command it is sent. The child takes the command's environment, working folder and log file,
runs the flask CLI as ``python -m flask`` does and ends through a normal interpreter exit
(exit hooks, threads joined), so the server under test is the same code, started the same
way, with only the import shared — and, as in the test process, a cheap password hash
(``tests/support/hashing.py``; ``CIRCLES_TEST_REAL_PASSWORD_HASH=1`` keeps scrypt): in a
profile of the whole suite, scrypt was a seventh of the live servers' busy samples.

``spawn(args, env=…, cwd=…, log=…)`` runs ``flask --app circles *args`` and returns a
:class:`Forked`, which answers like the ``subprocess.Popen`` it stands in for (``pid``,
``poll``, ``wait``, ``send_signal``, ``terminate``, ``kill``, ``returncode``). The zygote
reaps its children and tells their exit status when asked. ``CIRCLES_TEST_ZYGOTE=0`` starts
every server as a plain subprocess again.

The protocol is one JSON line each way over the zygote's stdin and stdout.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from tests.support import hashing

ROOT = Path(__file__).resolve().parents[2]


def enabled() -> bool:
    """Whether live servers are forked from the zygote (the default, where the system has
    pidfds: Linux) or started afresh."""
    return os.environ.get("CIRCLES_TEST_ZYGOTE", "1") != "0" and hasattr(os, "pidfd_open")


class Forked:
    """A child of the zygote, answering like ``subprocess.Popen``."""

    def __init__(self, zygote: Zygote, pid: int, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._zygote = zygote
        self._pidfd = os.pidfd_open(pid)  # immune to the pid being reused after the exit
        self._reaping = threading.Lock()  # a poll and a wait in two threads reap once

    def poll(self) -> int | None:
        if self.returncode is None and _readable(self._pidfd, 0):
            self._reap()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _readable(self._pidfd, timeout):
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._reap()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, sig)
            except ProcessLookupError:  # exited, not reaped yet
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _reap(self) -> None:
        with self._reaping:
            if self.returncode is None:
                self.returncode = self._zygote.status(self.pid)
                os.close(self._pidfd)


def _readable(fd: int, timeout: float | None) -> bool:
    """Whether a pidfd says its process has exited, waiting at most ``timeout`` seconds."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


class Zygote:
    """The test side: starts the warm process and asks it for children."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        env.update(CIRCLES_INSTANCE_PATH=tempfile.mkdtemp(prefix="circles-zygote-"),
                   PYTHONUNBUFFERED="1")
        env.pop("DATABASE_URL", None)
        env.pop("SOCKETIO_MESSAGE_QUEUE", None)
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.zygote"], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask({"op": "ready"})

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the test zygote ended ({self._process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the test zygote could not {request['op']}: {answer['error']}")
        return answer

    def spawn(self, args: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Forked:
        """``flask --app circles *args`` in a child with exactly ``env``, output appended to
        ``log``."""
        command = ["--app", "circles", *args]
        answer = self._ask({"op": "spawn", "args": command, "env": env, "cwd": str(cwd),
                            "log": str(log)})
        return Forked(self, int(answer["pid"]), ["flask", *command])

    def status(self, pid: int) -> int:
        """Reap an exited child: its exit code, or minus the signal that ended it."""
        return int(self._ask({"op": "status", "pid": pid})["returncode"])

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def zygote() -> Zygote:
    """This process's zygote, started on first use and ended at exit."""
    global _zygote
    with _zygote_lock:
        if _zygote is None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


def spawn(args: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Forked:
    return zygote().spawn(args, env=env, cwd=cwd, log=log)


# --- the zygote's side ---------------------------------------------------------------------


def _warm() -> None:
    """Import what a server imports: the app, the CLI, and what ``create_app`` loads lazily."""
    import flask.cli  # noqa: F401

    from circles import create_app

    create_app({"TESTING": True, "SECRET_KEY": "zygote", "DATABASE_URL": "sqlite://",
                "RATELIMIT_STORAGE_URI": "memory://"})


def _reply(out: IO[str], answer: dict[str, Any]) -> None:
    out.write(json.dumps(answer) + "\n")
    out.flush()


def _serve() -> dict[str, Any] | None:
    """Answer requests until stdin closes; in a forked child, return its request."""
    requests_in, answers = sys.stdin, sys.stdout
    while line := requests_in.readline():
        request = json.loads(line)
        try:
            if request["op"] == "spawn":
                # What the zygote holds is shared with the child until either writes to it.
                # Frozen, the child's garbage collector never walks it (a serving process
                # runs a full pass as it starts, circles.server.settle_loaded_objects), so
                # it is not copied page by page into every child: a third of a second of CPU
                # per server before this.
                gc.freeze()
                pid = os.fork()
                if pid == 0:
                    return dict(request)
                _reply(answers, {"pid": pid})
            elif request["op"] == "status":
                _, status = os.waitpid(int(request["pid"]), 0)
                _reply(answers, {"returncode": os.waitstatus_to_exitcode(status)})
            else:
                _reply(answers, {"ok": True})
        except OSError as exc:  # told to the asking test; the zygote serves on
            _reply(answers, {"error": f"{type(exc).__name__}: {exc}"})
    return None


def _become(request: dict[str, Any]) -> None:
    """In the child: take the command's folder, environment and output, and run it."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.environ.get(hashing.REAL_HASH_ENV) != "1":
        hashing.use_cheap_hashing()
    import flask

    sys.argv = [str(Path(flask.__file__).with_name("__main__.py")), *request["args"]]
    runpy.run_module("flask", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches pytest, which closes us
    _warm()
    child = _serve()
    if child is not None:
        _become(child)
