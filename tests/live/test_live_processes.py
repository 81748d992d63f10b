"""Server processes and stale presence: a process that dies without closing its sockets is
swept by the others, its members shown reconnecting through the event log; two sweepers at
once never count a connection twice; and a ``kill -9`` mid-session loses nothing that was
acknowledged (docs/deploy.md, "When a process dies").
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.extensions import orm
from circles.live import presence as live_presence
from circles.live import processes as live_processes
from circles.live.room import Change
from circles.models import (
    CircleSession,
    Contribution,
    LiveEvent,
    LiveProcess,
    Presence,
    User,
    as_utc,
    utcnow,
)
from realtime import processes
from tests.live.test_live_handlers import call, received, socket_for
from tests.support.asyncio_thread import run_async
from tests.support.live import MACHINE_SPEED_ENV, ServerFactory, app_on
from tests.support.live_room import NAMES, Room, build_room
from tests.support.live_swarm import Room as SwarmRoom

BEAT = 10.0  # the unit tests' beat; stale means older than 3 beats


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def connect(db: Session, room: Room, name: str, sid: str, process_id: str | None) -> None:
    user = db.get_one(User, room.ids[name])
    live_presence.join(db, user, room.session_id, sid, process_id=process_id)
    db.commit()


def register(db: Session, process_id: str, *, silent_for: float = 0.0) -> None:
    """A process row whose last beat was ``silent_for`` seconds ago."""
    live_processes.register(db, process_id, f"host of {process_id}",
                            now=utcnow() - timedelta(seconds=silent_for))
    db.commit()


def connections(db: Session, session_id: int) -> dict[str, str | None]:
    rows = db.execute(select(Presence.sid, Presence.process_id)
                      .where(Presence.session_id == session_id))
    return {sid: process_id for sid, process_id in rows}


def test_a_dead_process_is_reaped_and_its_connections_dropped_one_change_each(
        app: Flask, room: Room) -> None:
    with app.app_context():
        db = orm.session()
        register(db, "alive")
        register(db, "dead", silent_for=3 * BEAT + 1)
        connect(db, room, "ada", "ada-1", "alive")
        connect(db, room, "ben", "ben-1", "dead")
        connect(db, room, "ben", "ben-2", "dead")  # Ben's second tab, on the same process
        connect(db, room, "cy", "cy-1", "dead")
        before = db.get_one(CircleSession, room.session_id).version

        dead = live_processes.reap(db, utcnow() - timedelta(seconds=3 * BEAT))
        db.commit()
        assert [process.id for process in dead] == ["dead"]
        assert dead[0].host == "host of dead"
        assert set(db.scalars(select(LiveProcess.id))) == {"alive"}
        assert live_processes.orphaned_sessions(db) == [room.session_id]

        changes = live_processes.drop_orphans(db, room.session_id, away_grace=30)
        db.commit()

        assert [c.version for c in changes] == [before + 1, before + 2, before + 3]
        members = [c.change["member"] for c in changes if c.change is not None]
        assert [(m["id"], m["connections"], m["presence"]) for m in members] == [
            (room.ben, 1, "here"), (room.ben, 0, "reconnecting"), (room.cy, 0, "reconnecting")]
        assert connections(db, room.session_id) == {"ada-1": "alive"}
        assert live_processes.orphaned_sessions(db) == []
        assert live_processes.drop_orphans(db, room.session_id) == []  # nothing twice


def test_a_process_beating_in_time_is_not_reaped(app: Flask, room: Room) -> None:
    with app.app_context():
        db = orm.session()
        register(db, "slow", silent_for=3 * BEAT - 1)
        assert live_processes.reap(db, utcnow() - timedelta(seconds=3 * BEAT)) == []
        assert live_processes.beat(db, "slow") is True
        assert live_processes.beat(db, "never-registered") is False


def test_connections_without_a_process_are_orphans(app: Flask, room: Room) -> None:
    """Rows from before process ids, or of a process whose row is already gone (a sweeper
    that died between the two steps), are swept too."""
    with app.app_context():
        db = orm.session()
        register(db, "alive")
        connect(db, room, "ada", "ada-1", None)
        connect(db, room, "ben", "ben-1", "gone-already")
        connect(db, room, "cy", "cy-1", "alive")
        changes = live_processes.drop_orphans(db, room.session_id)
        db.commit()
        assert sorted(c.change["member"]["id"] for c in changes if c.change) == [
            room.ada, room.ben]
        assert connections(db, room.session_id) == {"cy-1": "alive"}


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def test_two_sweepers_at_once_drop_each_connection_once(app: Flask, room: Room) -> None:
    """The second sweeper waits for the first's session lock, then finds nothing left."""
    with app.app_context():
        db = orm.session()
        register(db, "dead", silent_for=3 * BEAT + 1)
        for n, name in enumerate(("ada", "ben", "cy")):
            connect(db, room, name, f"sid-{n}", "dead")
        version = db.get_one(CircleSession, room.session_id).version
        engine = orm.engine
        stale_before = utcnow() - timedelta(seconds=3 * BEAT)

    with Session(engine) as first, Session(engine) as second:
        assert [p.id for p in live_processes.reap(first, stale_before)] == ["dead"]
        first_changes = live_processes.drop_orphans(first, room.session_id)

        def sweep_too() -> tuple[list[str], list[Change]]:
            reaped = [p.id for p in live_processes.reap(second, stale_before)]
            second.commit()
            return reaped, live_processes.drop_orphans(second, room.session_id)

        thread, result = in_thread(sweep_too)
        thread.join(0.5)
        assert thread.is_alive(), "the second sweeper did not wait for the first one's locks"
        first.commit()
        thread.join(30)
        second.commit()

    [(reaped, second_changes)] = result
    assert reaped == [] and second_changes == []
    assert [c.version for c in first_changes] == [version + 1, version + 2, version + 3]
    with app.app_context():
        assert orm.session.get_one(CircleSession, room.session_id).version == version + 3
        assert connections(orm.session(), room.session_id) == {}


# --- the edge: this process's row, its beat and sweep -----------------------------------------


def test_a_socket_joins_under_this_processs_id(app: Flask, room: Room) -> None:
    ada = socket_for(app, room.ada)
    assert call(ada, "live:join", {"session_id": room.session_id})["ok"] is True
    with app.app_context():
        process_id = processes.current().id
        assert process_id is not None and len(process_id) == 32
        assert orm.session.get(LiveProcess, process_id) is not None
        assert set(connections(orm.session(), room.session_id).values()) == {process_id}


def test_a_beat_renews_this_process_and_sweeps_a_dead_one_through_the_log(
        app: Flask, room: Room) -> None:
    ada, ben = socket_for(app, room.ada), socket_for(app, room.ben)  # this process registers
    for socket in (ada, ben):
        assert call(socket, "live:join", {"session_id": room.session_id})["ok"] is True
    process = app.extensions[processes.EXTENSION]
    with app.app_context():
        db = orm.session()
        register(db, "dead", silent_for=3 * process.interval + 1)
        connect(db, room, "cy", "cy-on-dead", "dead")
        db.get_one(LiveProcess, process.id).beat_at = utcnow() - timedelta(seconds=5)
        db.commit()
        ada.get_received()

        process.beat()

        assert as_utc(db.get_one(LiveProcess, process.id).beat_at) > utcnow() - timedelta(seconds=5)
        assert db.get(LiveProcess, "dead") is None
        session = db.get_one(CircleSession, room.session_id)
        logged = db.scalars(select(LiveEvent).where(LiveEvent.session_id == room.session_id,
                                                    LiveEvent.seq == session.version)).one()
        assert logged.change["member"] == {**logged.change["member"], "id": room.cy,
                                           "connections": 0, "presence": "reconnecting"}
    [changed] = received(ada, "live:changed")
    assert changed == {"session_id": room.session_id, "version": logged.seq,
                       "change": logged.change}


def test_a_process_taken_for_dead_registers_again(app: Flask, room: Room) -> None:
    """Its sockets are cut so that their clients come back by themselves: see
    ``test_a_process_taken_for_dead_has_its_members_rejoin_on_their_own`` (real clients)."""
    ada = socket_for(app, room.ada)
    assert call(ada, "live:join", {"session_id": room.session_id})["ok"] is True
    process = app.extensions[processes.EXTENSION]
    with app.app_context():
        db = orm.session()
        live_processes.unregister(db, process.id)  # another process reaped this one's row
        db.commit()
        process.beat()
        assert db.get(LiveProcess, process.id) is not None


def test_a_beat_after_a_clean_exit_does_nothing(app: Flask, room: Room) -> None:
    """A beat under way while SIGTERM's drain removes the row must not register the process
    again, nor take it for swept and cut its members' sockets a second time."""
    ada = socket_for(app, room.ada)
    assert call(ada, "live:join", {"session_id": room.session_id})["ok"] is True
    process = app.extensions[processes.EXTENSION]
    process.stop()
    with app.app_context():
        process.beat()
        assert orm.session.get(LiveProcess, process.id) is None


def test_a_clean_exit_waits_for_a_beat_under_way(app: Flask, room: Room,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM's drain arrives while a beat is between its start and its UPDATE: the exit
    waits for the beat, then removes the row; the beat never finds the row gone (and so
    never registers the process again)."""
    ada = socket_for(app, room.ada)
    assert call(ada, "live:join", {"session_id": room.session_id})["ok"] is True
    process = app.extensions[processes.EXTENSION]
    inside, release = threading.Event(), threading.Event()
    renew = live_processes.beat

    def held_beat(db: Session, process_id: str) -> bool:
        inside.set()
        release.wait(10)
        return renew(db, process_id)

    monkeypatch.setattr(live_processes, "beat", held_beat)

    def beat() -> None:
        with app.app_context():
            try:
                process.beat()
            finally:
                orm.session.remove()

    beating, _ = in_thread(beat)
    assert inside.wait(10)
    stopping, _ = in_thread(process.stop)
    stopping.join(0.5)
    waited = stopping.is_alive()
    release.set()
    beating.join(10)
    stopping.join(10)
    assert waited, "the exit went ahead of the beat under way"
    with app.app_context():
        assert orm.session.get(LiveProcess, process.id) is None


def test_a_clean_exit_drops_this_processs_connections_at_once(app: Flask, room: Room) -> None:
    ada, ben = socket_for(app, room.ada), socket_for(app, room.ben)
    for socket in (ada, ben):
        assert call(socket, "live:join", {"session_id": room.session_id})["ok"] is True
    ada.get_received()
    process = app.extensions[processes.EXTENSION]
    process.stop()
    with app.app_context():
        assert orm.session.get(LiveProcess, process.id) is None
        assert connections(orm.session(), room.session_id) == {}
    gone = [(c["change"]["member"]["id"], c["change"]["member"]["connections"])
            for c in received(ada, "live:changed")]
    assert sorted(gone) == [(room.ada, 0), (room.ben, 0)]


def test_a_draining_process_refuses_new_connections_only(app: Flask) -> None:
    """From the drain's first moment a handshake is answered 503 with Retry-After (nginx
    tries the other process); pages and requests of open connections pass as before."""
    client = app.test_client()
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert client.get(handshake).status_code == 200
    app.extensions[processes.EXTENSION].draining.set()
    refused = client.get(handshake)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.get_json() == {"message": processes.RESTARTING}
    assert client.get("/login").status_code == 200
    # A request of a connection (with its sid) is Engine.IO's to answer, not the gate's.
    assert client.get(handshake + "&sid=not-a-session").status_code == 400


def test_one_registration_serves_every_socket_of_the_process(app: Flask, room: Room) -> None:
    sockets: list[SocketIOTestClient] = [socket_for(app, room.ids[n]) for n in ("ada", "ben")]
    with app.app_context():
        assert orm.session.scalar(select(func.count(LiveProcess.id))) == 1
    assert all(socket.is_connected() for socket in sockets)


# --- kill -9 of a live server ------------------------------------------------------------------

CRASH_ENV = {"FLASK_LIVE_PROCESS_BEAT": "0.5", "FLASK_SIGNUP_RATE_LIMIT": "100 per minute",
             **MACHINE_SPEED_ENV}  # two members contribute back to back through the crash


async def keep_contributing(room: SwarmRoom, name: str, stop: asyncio.Event) -> list[str]:
    """Contribute one check-in after another until ``stop``; the texts acknowledged."""
    texts = []
    while not stop.is_set():
        text = f"{name} carries on ({len(texts)})"
        await room.change(name, "live:contribute", kind="checkin", text=text)
        texts.append(text)
    return texts


def timer_of(snapshot: dict[str, Any], stage_id: int) -> dict[str, Any]:
    stages = [s for phase in snapshot["phases"] for s in phase["stages"] if s["id"] == stage_id]
    return dict(stages[0]["timer"])


@pytest.mark.live
def test_kill_9_mid_session_loses_nothing_acknowledged(
        live_server_factory: ServerFactory) -> None:
    server = live_server_factory(**CRASH_ENV)
    room = SwarmRoom({name: server for name in NAMES})

    async def scenario() -> None:
        await room.connect()
        try:
            await room.change("ada", "live:start")
            timed = await room.change("ben", "live:timer", action="start", seconds=600)
            for n, name in enumerate(NAMES * 2):
                if n % 4 == 3:
                    await room.change(name, "live:hand", raised=True)
                else:
                    await room.change(name, "live:contribute", kind="checkin",
                                      text=f"{name} checks in ({n})")
            await room.until(room.caught_up, "saw every change before the crash")
            [(stage_id, timer)] = [(c["stage_id"], c["timer"])
                                   for v, c in room.clients["ada"].applied
                                   if v == timed["version"]]
            [dead] = room.processes()
            crashed_at = room.version()

            # Ada and Cy keep contributing through the crash: a change whose ack was lost is
            # sent again (same op_id) after the reconnect, and must be applied only once.
            stop = asyncio.Event()
            writers = [asyncio.ensure_future(keep_contributing(room, name, stop))
                       for name in ("ada", "cy")]
            await asyncio.sleep(0.3)
            await asyncio.to_thread(server.kill)
            await asyncio.to_thread(server.restart)  # same port, database and secret key
            await room.until(lambda: all(c.joins == 2 for c in room.clients.values()),
                             "rejoined on their own")
            await asyncio.sleep(0.3)
            stop.set()
            texts = [text for writer in writers for text in await writer]

            await room.until(lambda: dead not in room.processes(), "swept the dead process")
            alive = room.processes()
            await room.until(lambda: sorted(room.connection_processes()) == sorted(
                list(alive) * len(NAMES)), "one connection per member, on the new process")
            await room.until(room.caught_up, "caught up after the crash")

            room.assert_every_view_is_the_log()
            stored = room.query(lambda db: list(db.scalars(select(Contribution.text))))
            assert sorted(t for t in stored if t in texts) == sorted(texts)  # each once
            assert len(set(stored)) == len(stored)
            after = await room.clients["cy"].call("live:snapshot")
            assert timer_of(after["snapshot"], stage_id)["ends_at"] == timer["ends_at"]
            assert [(m["presence"], m["connections"]) for m in after["snapshot"]["members"]] \
                == [("here", 1)] * len(NAMES)
            # Each member's dead connection went once (the sweep) and the new one came once.
            presence = [c["member"] for v, c in room.clients["di"].applied
                        if v > crashed_at and c["type"] == "presence"]
            for member_id in room.ids.values():
                theirs = [m for m in presence if m["id"] == member_id]
                assert len(theirs) == 2, theirs
                assert (theirs[-1]["presence"], theirs[-1]["connections"]) == ("here", 1)
        finally:
            await room.close()
        assert f"live_process_dead {dead}" in server.log()

    run_async(scenario())


@pytest.mark.live
def test_a_process_taken_for_dead_has_its_members_rejoin_on_their_own(
        live_server_factory: ServerFactory) -> None:
    """Another process sweeps this one while it is alive (it missed its beats: a database
    stall). Its next beat registers it again and cuts its sockets without a Socket.IO goodbye,
    so each member's client reconnects by itself, joins again and catches up with nothing
    lost; a goodbye would have left them all offline for good."""
    server = live_server_factory(**CRASH_ENV)
    room = SwarmRoom({name: server for name in NAMES})

    def sweep_as_another_process(process_id: str) -> None:
        with app_on(room.db_url) as app, app.app_context():
            live_processes.unregister(orm.session(), process_id)
            orm.session.commit()
            for session_id in live_processes.orphaned_sessions(orm.session()):
                processes.drop_orphans(session_id, grace=0.0)

    async def scenario() -> None:
        await room.connect()
        try:
            await room.change("ada", "live:start")
            await room.change("ben", "live:contribute", kind="checkin", text="before the sweep")
            [process] = room.processes()
            stop = asyncio.Event()
            writer = asyncio.ensure_future(keep_contributing(room, "cy", stop))
            await asyncio.to_thread(sweep_as_another_process, process)
            await room.until(lambda: all(c.joins == 2 for c in room.clients.values()),
                             "rejoined on their own")
            stop.set()
            texts = await writer
            assert room.processes() == {process}  # registered again, under the same id
            await room.until(lambda: room.connection_processes() == [process] * len(NAMES),
                             "one connection per member again")
            await room.until(room.caught_up, "caught up after the sweep")
            room.assert_every_view_is_the_log()
            stored = room.query(lambda db: list(db.scalars(select(Contribution.text))))
            assert sorted(t for t in stored if t in texts) == sorted(texts)  # each once
        finally:
            await room.close()
    run_async(scenario())
    assert "live_process_swept_alive" in server.log()


# --- gunicorn, as the README deploys it ------------------------------------------------------


@pytest.mark.live
def test_gunicorn_serves_the_room_and_its_clean_exit_drops_its_connections(
        live_server_factory: ServerFactory) -> None:
    """The README's production command with the repository's ``gunicorn.conf.py``: the room
    works, loaded objects are frozen out of full GC passes, and a graceful shutdown (SIGTERM)
    removes the process and its connections at once, with no sweep."""
    server = live_server_factory(gunicorn=True, **CRASH_ENV)
    room = SwarmRoom({name: server for name in NAMES})

    async def scenario() -> None:
        await room.connect()
        try:
            await room.change("ada", "live:start")
            for n, name in enumerate(NAMES):
                await room.change(name, "live:contribute", kind="checkin",
                                  text=f"{name} checks in under gunicorn ({n})")
            await room.until(room.caught_up, "saw every change")
            room.assert_every_view_is_the_log()
            [process] = room.processes()
            assert room.connection_processes() == [process] * len(NAMES)
            health = await asyncio.to_thread(requests.get, f"{server.url}/health", timeout=10)
            assert health.status_code == 200, health.text
            await asyncio.to_thread(server.stop)  # SIGTERM: gunicorn's graceful shutdown
            assert server.process is not None and server.process.returncode == 0, server.log()
            assert room.processes() == set()
            assert room.connection_processes() == []
        finally:
            await room.close()
    run_async(scenario())
    assert "loaded objects kept out of full GC passes" in server.log()
    assert "live_process_dead" not in server.log()
