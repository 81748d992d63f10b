"""Load shedding (docs/realtime.md, Busy): a process working on ``SOCKETIO_BUSY_AT`` member
events answers the next one "busy" at once, before any database work, and nothing of it is
kept; the clients send it again after a pause with the same ``op_id`` — and, through real
clients on a live server, every change of a crowd that kept a tiny bound busy is applied
exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import event, func, select

from circles.extensions import orm
from circles.members import logins as login_store
from circles.models import LiveEvent
from realtime import busy
from realtime.busy import Admission
from realtime.client_parts import busy_pause
from tests.live.test_live_handlers import room, socket_for  # noqa: F401  (fixture)
from tests.support.asyncio_thread import run_async
from tests.support.live import LiveServer, ServerFactory
from tests.support.live_circle import SERVER_ENV, four_in_a_circle, logged, operator_app
from tests.support.live_room import Room


def test_the_bound_refuses_the_event_past_it_and_counts_it() -> None:
    admission = Admission(2)
    assert [admission.enter(), admission.enter(), admission.enter()] == [True, True, False]
    assert (admission.in_flight, admission.refused) == (2, 1)
    admission.leave()
    assert admission.enter() is True
    unbounded = Admission(0)
    assert all(unbounded.enter() for _ in range(1000))


def test_a_busy_pause_is_the_servers_retry_after_jittered() -> None:
    ack = busy.refusal()
    assert ack["busy"] is True and ack["ok"] is False and ack["retry_after"] == 1.0
    assert busy_pause(ack, draw=lambda: 0.5) == 1.0
    assert busy_pause(ack, draw=lambda: 0.0) == 0.5
    assert busy_pause({"busy": True}, draw=lambda: 0.5) == 0.5  # no retry_after: 0.5 s
    assert busy_pause({"busy": True, "retry_after": 600}, draw=lambda: 0.5) == 8.0  # capped
    assert all(0.5 <= busy_pause(ack) < 1.5 for _ in range(50))


def test_a_busy_process_answers_before_any_database_work_and_keeps_nothing(
        app: Flask, room: Room, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    ada = socket_for(app, room.ada)
    assert ada.emit("live:join", {"session_id": room.session_id}, callback=True)["ok"]
    admission: Admission = app.extensions[busy.EXTENSION]
    assert admission.limit == app.config["SOCKETIO_BUSY_AT"] > 0
    logins: list[str] = []
    real_load = login_store.load_login
    monkeypatch.setattr(login_store, "load_login",
                        lambda db, token, **kw: logins.append(token) or real_load(db, token, **kw))
    statements: list[str] = []
    with app.app_context():
        engine = orm.engine
    listen = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listen)
    fields = {"session_id": room.session_id, "title": "Next steps", "op_id": "busy-1"}
    try:
        admission.in_flight = admission.limit  # as if 32 events were being worked on
        ack = ada.emit("live:agenda_add", fields, callback=True)
        assert ack == busy.refusal()
        assert statements == [] and logins == []  # refused before the login or any query
        assert admission.refused == 1
    finally:
        admission.in_flight = 0
        event.remove(engine, "before_cursor_execute", listen)
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(LiveEvent).where(
            LiveEvent.op_id == "busy-1")) == 0  # nothing of it was kept
    again = ada.emit("live:agenda_add", fields, callback=True)  # the client sends it again
    assert again["ok"] is True and "replayed" not in again
    assert admission.in_flight == 0  # every admitted event is counted out again
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(LiveEvent).where(
            LiveEvent.op_id == "busy-1")) == 1


def test_health_reports_the_events_in_flight_and_those_refused(app: Flask, client: Any) -> None:
    app.extensions[busy.EXTENSION].refused = 3
    body = client.get("/health").get_json()
    assert body["events"] == {"in_flight": 0, "busy_at": app.config["SOCKETIO_BUSY_AT"],
                              "refused_busy": 3}


@pytest.mark.live
def test_a_crowd_on_a_tiny_bound_is_refused_busy_and_every_change_lands_once(
        live_server_factory: ServerFactory) -> None:
    server: LiveServer = live_server_factory(FLASK_SOCKETIO_BUSY_AT="1", **SERVER_ENV)
    circle = four_in_a_circle(server)
    members = [circle.client(name) for name in ("ada", "ben", "cy", "di")]
    per_member = 12

    async def crowd() -> list[dict[str, Any]]:
        for member in members:
            await member.connect()
        try:
            await members[0].call("live:start")
            acks = await asyncio.gather(*(
                member.call("live:agenda_add", {"title": f"{n} from {k}"}, retries=12)
                for k, member in enumerate(members) for n in range(per_member)))
            await asyncio.sleep(0.5)
            for member in members:
                await member.sync()
            assert len({m.version for m in members}) == 1  # everyone ends on one version
            return list(acks)
        finally:
            for member in members:
                await member.disconnect()

    acks = run_async(crowd())
    assert all(ack["ok"] for ack in acks) and len(acks) == 4 * per_member
    assert len({ack["version"] for ack in acks}) == len(acks)  # each applied once
    events = requests.get(f"{server.url}/health", timeout=5).json()["events"]
    assert events["busy_at"] == 1 and events["in_flight"] == 0
    assert events["refused_busy"] > 0, "the bound of 1 never refused anything: no test"
    with operator_app(server) as app:
        version, log = logged(app, circle.session_id)
    agendas = [change["agenda"] for _seq, change in log if change["type"] == "agenda"]
    assert version >= max(ack["version"] for ack in acks)  # (then the four leaving)
    assert len(agendas) == 4 * per_member  # one logged change per item, none twice
    assert sorted(item["title"] for item in agendas[-1]) == sorted(
        f"{n} from {k}" for k in range(4) for n in range(per_member))
