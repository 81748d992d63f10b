"""The production topology, run for real (docs/deploy.md): nginx with the sample configuration
in front of two gunicorn processes with gevent workers, on PostgreSQL and Redis — what
``python -m circles.deploy`` starts. Pages, ``/health`` and sockets (long-polling and
websocket) answer through nginx, each client address sticks to one process; a ``kill -9`` of
one process sends its members through nginx to the other, where they catch up with nothing
lost; and a rolling restart (SIGTERM one process at a time, start it again) loses nothing.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from circles import deploy
from circles.config import database_uri
from circles.deploy import ROOT, AppProcess, Deployment, free_port, free_port_block, wait_for
from circles.models import Contribution, LiveProcess
from tests.live.test_live_session_flow import circle_with_session
from tests.support.asyncio_thread import run_async
from tests.support.contract import ContractClient
from tests.support.live import MACHINE_SPEED_ENV, LiveSession, emailed_link
from tests.support.live_room import NAMES
from tests.support.live_swarm import Room
from tests.support.services import (
    POSTGRES_URL,
    REDIS_URL,
    require_postgres,
    require_program,
    require_redis,
)

#: Client addresses on this machine: nginx's ``hash $remote_addr`` sees each as a machine.
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 34)]
ENV = {"FLASK_LIVE_PROCESS_BEAT": "0.5", "FLASK_SIGNUP_RATE_LIMIT": "100 per minute",
       "FLASK_SOCKETIO_HEARTBEAT_SECONDS": "0.5", "FLASK_NOTIFY_INTERVAL_SECONDS": "0",
       **MACHINE_SPEED_ENV}


@dataclass
class Front:
    """nginx, as ``LiveSession`` and the room's helpers address a server."""

    url: str
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    require_program("nginx", "apt-get install nginx-light")
    require_postgres()
    require_redis()
    name = f"circles_deploy_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    topology = Deployment(tmp_path, url, REDIS_URL, free_port(),
                          env={**ENV, "FLASK_SOCKETIO_CHANNEL": f"circles-{name}"})
    try:
        topology.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield topology
    finally:
        topology.stop()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def get(url: str, path: str, source: str = "127.0.0.1",
        headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """A GET from ``source``, one of this machine's addresses."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def worker_pid(url: str, source: str = "127.0.0.1") -> int:
    status, body = get(url, "/health", source)
    assert status == 200, body
    return int(json.loads(body)["pid"])


def sign_up(front: Front) -> dict[str, tuple[str, int]]:
    """The four sign up through nginx, with the real forms; their cookies and ids."""
    found = {}
    for name in NAMES:
        browser = LiveSession(front)  # type: ignore[arg-type]
        email = f"{name}-{secrets.token_hex(3)}@example.org"
        browser.signup(email, name.title())
        assert emailed_link(front, email, "/verify/")  # type: ignore[arg-type]
        page = browser.get("/")
        assert page.status_code == 200 and name.title() in page.text
        found[name] = (browser.cookie_header(), email)
    return {name: (cookie, user_id(front, email)) for name, (cookie, email) in found.items()}


def user_id(front: Front, email: str) -> int:
    with psycopg.connect(front.env["DATABASE_URL"].replace("+psycopg", "")) as conn:
        row = conn.execute('SELECT id FROM "user" WHERE email = %s', (email,)).fetchone()
    assert row is not None
    return int(row[0])


class NginxRoom(Room):
    """The four members of a session, each a ``LiveClient`` through nginx from an address of
    its own (``addresses``), so that nginx pins them to the processes the test chose."""

    def __init__(self, deployment: Deployment, addresses: dict[str, str]) -> None:
        self.db_url = database_uri(deployment.database_url, deployment.folder)
        front = Front(deployment.url, {"DATABASE_URL": self.db_url})
        found = sign_up(front)
        self.ids = {name: uid for name, (_cookie, uid) in found.items()}
        _circle_id, self.session_id = circle_with_session(front, self.ids)  # type: ignore
        self.clients = {name: ContractClient(deployment.url, found[name][0], self.session_id,
                                             sync_interval=1.0, reconnection_delay=0.3,
                                             source_address=addresses[name],
                                             transports=["polling"] if name == "ada" else None)
                        for name in NAMES}
        self.acked = {name: [] for name in NAMES}


async def keep_contributing(room: Room, name: str, phase: str, stop: asyncio.Event
                            ) -> list[str]:
    """Contribute one check-in after another until ``stop``; the texts acknowledged."""
    texts = []
    while not stop.is_set():
        text = f"{name} carries on through the {phase} ({len(texts)})"
        await room.change(name, "live:contribute", kind="checkin", text=text)
        texts.append(text)
    return texts


def addresses_by_process(deployment: Deployment) -> dict[int, list[str]]:
    """Which client addresses nginx sends to which process (by worker pid)."""
    found: dict[int, list[str]] = {}
    for address in ADDRESSES:
        found.setdefault(worker_pid(deployment.url, address), []).append(address)
    return found


@pytest.mark.live
@pytest.mark.postgres
@pytest.mark.redis
def test_nginx_in_front_of_two_processes_loses_nothing_to_a_kill_or_a_rolling_restart(
        deployment: Deployment) -> None:
    a, b = deployment.apps
    pid_a, pid_b = worker_pid(a.url), worker_pid(b.url)

    # --- pages, /health and sockets through nginx, sticky by client address ---------------
    spread = addresses_by_process(deployment)
    assert set(spread) == {pid_a, pid_b}, "nginx sent every address to one process"
    for address in spread[pid_a][:3]:  # sticky: the same address, the same process
        assert worker_pid(deployment.url, address) == pid_a
    for path in ("/", "/login", "/signup", "/health", "/static/circles.css"):
        status, _body = get(deployment.url, path)
        assert status == 200, path
    # A browser's socket sends its page's Origin; Engine.IO accepts it only if nginx passes
    # the Host with its port ($http_host; $host would drop it and refuse every browser).
    status, body = get(deployment.url, "/socket.io/?EIO=4&transport=polling",
                       headers={"Origin": deployment.url})
    assert status == 200 and body.startswith(b"0{"), body

    seats = {"ada": spread[pid_a][0], "ben": spread[pid_a][1],
             "cy": spread[pid_b][0], "di": spread[pid_b][1]}
    room = NginxRoom(deployment, seats)
    writers_stop = asyncio.Event()

    def holders() -> list[str]:
        return sorted(str(p) for p in room.connection_processes())

    def process_ids() -> dict[int, str]:
        rows = room.query(lambda db: list(db.execute(select(LiveProcess.id, LiveProcess.host))))
        return {int(host.rsplit(" ", 1)[1]): pid for pid, host in rows}

    async def through(fault: str, act: Any) -> None:
        """Ada and Cy keep contributing while ``act`` runs, then everyone catches up."""
        writers_stop.clear()
        texts_before = len(texts)
        writers = [asyncio.ensure_future(keep_contributing(room, name, fault, writers_stop))
                   for name in ("ada", "cy")]
        await asyncio.sleep(0.3)
        await act()
        await asyncio.sleep(0.5)
        writers_stop.set()
        for writer in writers:
            texts.extend(await writer)
        assert len(texts) > texts_before + 2, f"no change was made through the {fault}"

    texts: list[str] = []
    dead: list[str] = []

    async def scenario() -> None:
        await room.connect()
        try:
            await room.change("ada", "live:start")
            ids = process_ids()
            assert sorted(holders()) == sorted([ids[pid_a]] * 2 + [ids[pid_b]] * 2)
            assert room.clients["ada"]._sio.transport() == "polling"
            assert room.clients["cy"]._sio.transport() == "websocket"
            await through("steady state", lambda: asyncio.sleep(0.5))
            await room.until(room.caught_up, "saw every change through nginx")

            # --- kill -9 of one process: its members go through nginx to the other -----
            dead.append(ids[pid_a])

            async def kill() -> None:
                await asyncio.to_thread(a.kill)
                await room.until(lambda: room.clients["ben"].joins >= 2
                                 and room.clients["ada"].joins >= 2, "back through nginx")
            await through("kill -9", kill)
            await room.until(lambda: dead[0] not in room.processes(), "swept the dead process")
            await room.until(lambda: holders() == [ids[pid_b]] * 4, "all on the survivor")
            await room.until(room.caught_up, "caught up after the kill")
            room.assert_every_view_is_the_log()

            # --- rolling restart: SIGTERM one process at a time, start it again ----------
            await asyncio.to_thread(a.start)
            for turn, (leaving, staying) in enumerate(((b, a), (a, b)), start=1):
                async def restart(leaving: AppProcess = leaving) -> None:
                    assert await asyncio.to_thread(leaving.terminate) == 0, leaving.log
                    await room.until(lambda: all(c.joined.is_set()
                                                 for c in room.clients.values())
                                     and len(set(holders())) == 1, "moved over")
                await through(f"rolling restart, turn {turn}", restart)
                staying_id = process_ids()[worker_pid(staying.url)]
                await room.until(lambda s=staying_id: holders() == [s] * 4,
                                 "all on the process that stayed")
                await room.until(room.caught_up, "caught up after a restart")
                if leaving is b:
                    await asyncio.to_thread(b.start)
            room.assert_every_view_is_the_log()
            stored = room.query(lambda db: list(db.scalars(select(Contribution.text))))
            assert sorted(t for t in stored if t in texts) == sorted(texts)  # each once
            assert len(set(stored)) == len(stored)
        finally:
            await room.close()

    run_async(scenario())
    logs = "".join(app.log.read_text() for app in deployment.apps)
    assert f"live_process_dead {dead[0]}" in logs  # swept by the survivor
    # Each SIGTERM drained its process (row and connections gone at once): the others
    # never had to sweep it as dead, and its worker ended cleanly.
    assert logs.count("live_process_dead") == 1, logs[-3000:]
    assert "exited with code" not in logs, logs[-3000:]


@pytest.mark.live
@pytest.mark.postgres
@pytest.mark.redis
def test_the_one_command_serves_through_nginx_and_stops_everything(tmp_path: Path) -> None:
    """``python -m circles.deploy`` as docs/deploy.md shows it (one process here, to keep the
    test short): it creates and migrates the database, serves pages and ``/health`` through
    nginx, and on SIGTERM stops nginx and every process it started."""
    require_program("nginx", "apt-get install nginx-light")
    require_postgres()
    require_redis()
    name = f"circles_deploy_{secrets.token_hex(4)}"
    port = free_port_block(2)  # nginx's port and the process's, the next one
    env = {**os.environ, "FLASK_SOCKETIO_CHANNEL": f"circles-{name}"}
    log = tmp_path / "deploy.log"
    with log.open("wb") as out:
        command = subprocess.Popen(
            [sys.executable, "-m", "circles.deploy", "--port", str(port), "--processes", "1",
             "--postgres", POSTGRES_URL, "--database", name, "--redis", REDIS_URL],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    front = f"http://127.0.0.1:{port}"
    try:
        wait_for(front + "/health", command, log, timeout=240)
        assert get(front, "/health")[0] == 200
        status, page = get(front, "/login")
        assert status == 200 and b"csrf_token" in page
        ready = f"Circles on {front} (nginx)"  # printed just after nginx first answers
        deadline = time.monotonic() + 30
        while ready not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready in log.read_text()
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=60) == 0, log.read_text()[-3000:]
        for stopped in (port, port + 1):  # nginx and the process: nothing left listening
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", stopped), timeout=1).close()
    finally:
        if command.poll() is None:  # a failed test: let it stop what it started
            command.send_signal(signal.SIGTERM)
            try:
                command.wait(timeout=60)
            except subprocess.TimeoutExpired:
                command.kill()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_one_command_refuses_a_port_in_use_before_starting_anything(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A taken port (the nginx port or one of the processes' next ones) is named at once, in
    plain words, before any database, redis-server or process is created."""
    base = free_port_block(3)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 2))
        holder.listen()
        with pytest.raises(SystemExit) as ended:
            deploy.main(["--port", str(base), "--processes", "2", "--redis", REDIS_URL,
                         "--postgres", "postgresql://127.0.0.1:1/none"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert f"port {base + 2} already in use" in err and f"{base} to {base + 2}" in err
    assert deploy.port_free(base + 2)


def test_a_block_of_free_ports_lies_below_the_kernels_ephemeral_range() -> None:
    """Consecutive ports for nginx and its processes come from below 32768, where the kernel
    never hands a port to an outgoing connection (the CI failure of 2026-12-07: the port after
    a kernel-chosen one was taken by the time gunicorn bound it)."""
    for _ in range(20):
        base = free_port_block(3)
        assert 20000 <= base and base + 2 < 32768
        assert all(deploy.port_free(base + n) for n in range(3))
