"""Resume, gap filling, quiet-time sync and idempotent retries (docs/realtime.md, issue 7).

The client rule is tested twice: in isolation, on a ``LiveClient`` whose server is a script
(no sockets, every step deterministic), and end to end through the reference client against
a live server, where every applied change is compared with the server's event log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import Contribution, LiveEvent
from realtime.client import LiveClient, LiveError, _Unanswered
from realtime.client_http import all_sent
from tests.support.asyncio_thread import run_async
from tests.support.live import LiveServer, server_pool
from tests.support.live_circle import (
    SERVER_ENV,
    LiveCircle,
    four_in_a_circle,
    logged,
    operator_app,
    unbroadcast_item,
)

RESUME_LIMIT = 6  # LIVE_RESUME_LIMIT of this module's server
WITHIN = 2.0  # seconds a gap fetch or a quiet-time sync may take to show a change

Log = list[tuple[int, dict[str, Any]]]


# --- the client rule in isolation ---------------------------------------------------------


class Scripted(LiveClient):
    """A joined client whose server is ``log`` (version → change): ``live:events`` answers
    with what follows ``after``; every event asked is kept in ``asked``."""

    def __init__(self, log: dict[int, dict[str, Any]], *, lose: int = 0,
                 gap_wait: float = 0.05) -> None:
        super().__init__("http://127.0.0.1:9", None, 1, gap_wait=gap_wait)
        self.log, self.lose = log, lose
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self._closed, self._joining = False, False
        self.joined.set()
        self.absorb({"ok": True, "version": 0, "snapshot": {"version": 0}})

    async def _call_once(self, event: str, data: dict[str, Any], timeout: float) -> Any:
        self.asked.append((event, dict(data)))
        if self.lose:  # this try's ack is lost on the way
            self.lose -= 1
            raise _Unanswered(event)
        if event != "live:events":
            return {"ok": True, "version": max(self.log, default=0)}
        return {"ok": True, "version": max(self.log),
                "events": [{"version": v, "change": self.log[v]} for v in sorted(self.log)
                           if v > data["after"]],
                "private": {"feedback_received": [], "summary_feedback": None, "note": None}}


def change(n: int) -> dict[str, Any]:
    return {"type": "ready", "user_id": n, "ready": True}


LOG = {n: change(n) for n in range(1, 6)}


def versions(client: LiveClient) -> list[int]:
    return [v for v, _ in client.applied]


def test_changes_in_order_are_applied_and_duplicates_dropped() -> None:
    async def scenario() -> Scripted:
        client = Scripted(LOG)
        for n in (1, 1, 2, 1, 3):
            client.receive(n, change(n))
        await asyncio.sleep(0.15)  # three gap waits: nothing may be fetched
        return client

    client = run_async(scenario())
    assert client.applied == [(n, change(n)) for n in (1, 2, 3)]
    assert (client.duplicates, client.dropped) == (2, [1, 1])
    assert client.asked == [] and client.gap_fetches == 0


def test_an_early_change_waits_for_the_one_before_it() -> None:
    async def scenario() -> tuple[list[int], Scripted]:
        client = Scripted(LOG)
        client.receive(1, change(1))
        client.receive(3, change(3))
        held = versions(client)
        client.receive(2, change(2))  # arrives within the gap wait: no fetch needed
        await asyncio.sleep(0.15)
        return held, client

    held, client = run_async(scenario())
    assert held == [1]
    assert versions(client) == [1, 2, 3] and client.asked == [] and client.duplicates == 0


def test_a_gap_still_open_after_the_wait_is_fetched_after_the_local_version() -> None:
    async def scenario() -> tuple[list[Any], Scripted]:
        client = Scripted(LOG)
        client.receive(1, change(1))
        client.receive(4, change(4))
        client.receive(3, change(3))
        asked_at_once = list(client.asked)
        for _ in range(100):
            if client.version == 5:
                break
            await asyncio.sleep(0.01)
        return asked_at_once, client

    asked_at_once, client = run_async(scenario())
    assert asked_at_once == []
    assert client.asked == [("live:events", {"session_id": 1, "after": 1})]
    assert client.applied == [(n, change(n)) for n in range(1, 6)]
    assert client.gap_fetches == 1
    assert client.dropped == [3, 4]  # held, then also in the fetched events


def test_changes_during_a_join_wait_for_its_ack() -> None:
    async def scenario() -> tuple[list[int], Scripted]:
        client = Scripted(LOG)
        client._joining = True  # a reconnect's live:join is on its way
        client.receive(3, change(3))
        client.receive(4, change(4))
        held = versions(client)
        client._joining = False
        client.absorb({"ok": True, "version": 3,
                       "events": [{"version": v, "change": change(v)} for v in (1, 2, 3)],
                       "private": {"feedback_received": [], "summary_feedback": None,
                                   "note": {"body": "mine"}}})
        return held, client

    held, client = run_async(scenario())
    assert held == []
    assert versions(client) == [1, 2, 3, 4]
    assert client.dropped == [3]
    assert client.private["note"] == {"body": "mine"} and client.snapshots == 1


def test_changes_during_a_catch_up_wait_for_its_ack() -> None:
    class Overtaken(Scripted):
        during: list[int] | None = None

        async def _call_once(self, event: str, data: dict[str, Any], timeout: float) -> Any:
            self.receive(2, change(2))  # broadcast while live:events is on its way
            self.during = versions(self)
            return await super()._call_once(event, data, timeout)

    async def scenario() -> Overtaken:
        client = Overtaken({n: change(n) for n in (1, 2)})
        client.receive(1, change(1))
        await client.sync()
        return client

    client = run_async(scenario())
    assert client.during == [1]
    assert versions(client) == [1, 2] and client.dropped == [2]


def test_a_snapshot_replaces_everything_and_drops_what_it_covers() -> None:
    async def scenario() -> Scripted:
        client = Scripted({})
        client.receive(1, change(1))
        client._joining = True
        client.receive(7, change(7))
        client.receive(9, change(9))
        client._joining = False
        client.absorb({"ok": True, "version": 8, "snapshot": {
            "version": 8, "feedback": {"received": [{"giver_id": 2}]},
            "notes": {"private": None}, "summary": None}})
        return client

    client = run_async(scenario())
    assert (client.version, client.applied, client.snapshots) == (9, [(9, change(9))], 2)
    assert client.dropped == [7]
    assert client.private == {"feedback_received": [{"giver_id": 2}],
                              "summary_feedback": None, "note": None}


def test_a_retry_sends_the_same_op_id_and_reads_carry_none() -> None:
    async def scenario() -> Scripted:
        client = Scripted(LOG, lose=2)
        await client.call("live:ready", {"ready": True})
        await client.call("live:snapshot")
        await client.call("live:hand", {"raised": True, "op_id": "mine-1"})
        return client

    client = run_async(scenario())
    sent = [(event, data.get("op_id")) for event, data in client.asked]
    first = sent[0][1]
    assert first is not None and len(first) == 32
    assert sent == [("live:ready", first)] * 3 + [("live:snapshot", None),
                                                   ("live:hand", "mine-1")]


def test_no_answer_through_every_retry_and_refusals_are_errors() -> None:
    async def unanswered() -> None:
        await Scripted(LOG, lose=3).call("live:ready", {"ready": True}, retries=2)

    with pytest.raises(LiveError, match="no answer after 3 tries"):
        run_async(unanswered())

    class Refusing(Scripted):
        async def _call_once(self, event: str, data: dict[str, Any], timeout: float) -> Any:
            return {"ok": False, "error": "op_id: Give 1 to 64 letters"}

    with pytest.raises(LiveError, match="^op_id: Give") as refused:
        run_async(Refusing(LOG).call("live:ready", {"ready": True}))
    assert refused.value.message.startswith("op_id:")


# --- against a live server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           migrated_sqlite: Path) -> Iterator[LiveServer]:
    with server_pool(tmp_path_factory.mktemp("resume"), migrated_sqlite) as start:
        yield start(FLASK_LIVE_RESUME_LIMIT=str(RESUME_LIMIT), **SERVER_ENV)


@pytest.fixture(scope="module")
def app(server: LiveServer) -> Iterator[Flask]:
    with operator_app(server) as app:
        yield app


@pytest.fixture
def circle(server: LiveServer) -> LiveCircle:
    return four_in_a_circle(server)


def own_joins(log: Log, member_id: int) -> set[int]:
    """Versions of a member's own presence changes: a joining socket gets its own one both
    as a broadcast and in its join's ack, and drops the second by version."""
    return {seq for seq, c in log
            if c["type"] == "presence" and c["member"]["id"] == member_id}


def after(log: Log, version: int) -> Log:
    return [(seq, c) for seq, c in log if seq > version]


async def settled(app: Flask, circle: LiveCircle, *clients: LiveClient) -> tuple[int, Log]:
    """Let every client ask for what it missed (so, with nobody changing anything, all are
    at the server's version); then the session's version and log, read before anyone
    leaves."""
    for client in clients:
        await client.sync()
    return await asyncio.to_thread(logged, app, circle.session_id)


@pytest.mark.live
@pytest.mark.parametrize("how", ["drop", "disconnect"])
def test_a_reconnect_resumes_with_exactly_the_missed_changes(
        app: Flask, circle: LiveCircle, how: str) -> None:
    async def scenario() -> tuple[int, int, tuple[int, Log], LiveClient]:
        ada = circle.client("ada")
        ben = circle.client("ben", reconnection=how == "drop", reconnection_delay=1.0)
        await ada.connect()
        await ben.connect()
        await ada.call("live:start")
        await ben.call("live:contribute", {"kind": "checkin", "text": "before"})
        await ben.sync()
        seen = len(ben.applied)
        left_at = ben.version
        if how == "drop":
            await ben.drop()  # comes back by itself after about a second
        else:
            await ben.disconnect()
        await ada.call("live:prompt", {"prompt": "One word?"})
        await ada.call("live:contribute", {"kind": "checkin", "text": "while ben was away"})
        if how == "drop":
            await asyncio.wait_for(ben.joined.wait(), 10)
        else:
            await ben.connect()
        found = await settled(app, circle, ada, ben)
        await ada.disconnect()
        await ben.disconnect()
        return seen, left_at, found, ben

    seen, left_at, (version, log), ben = run_async(scenario())
    missed = after(log, left_at)
    assert {"prompt", "contribution"} <= {c["type"] for _, c in missed}
    assert ben.applied[seen:] == missed
    assert (ben.version, ben.snapshots, ben.joins) == (version, 1, 2)
    assert set(ben.dropped) <= own_joins(log, circle.ids["ben"])


@pytest.mark.live
def test_a_client_too_far_behind_gets_a_snapshot(app: Flask, circle: LiveCircle) -> None:
    async def scenario() -> tuple[int, tuple[int, Log], LiveClient]:
        ada, ben = circle.client("ada"), circle.client("ben", reconnection=False)
        await ada.connect()
        await ben.connect()
        await ben.disconnect()
        for n in range(RESUME_LIMIT + 1):
            await ada.call("live:agenda_add", {"title": f"Item {n}"})
        left_at = ben.version
        await ben.connect()
        found = await settled(app, circle, ben)
        await ada.disconnect()
        await ben.disconnect()
        return left_at, found, ben

    left_at, (version, log), ben = run_async(scenario())
    assert len(after(log, left_at)) > RESUME_LIMIT
    assert ben.snapshots == 2 and ben.snapshot is not None
    assert ben.version == ben.snapshot["version"] == version
    assert [i["title"] for i in ben.snapshot["agenda"]] == [
        f"Item {n}" for n in range(RESUME_LIMIT + 1)]
    assert ben.applied == []


async def until(condition: Any, seconds: float) -> bool:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return bool(condition())


@pytest.mark.live
def test_a_lost_broadcast_is_fetched_once_the_next_change_shows_the_gap(
        app: Flask, circle: LiveCircle) -> None:
    async def scenario() -> tuple[int, LiveClient]:
        ada, ben = circle.client("ada"), circle.client("ben", sync_interval=600)
        await ada.connect()
        await ben.connect()
        lost = await asyncio.to_thread(unbroadcast_item, app, circle, "ada",
                                       "Lost on the way")
        await ada.call("live:agenda_add", {"title": "Broadcast"})
        assert await until(lambda: ben.version == lost + 1, WITHIN), "the gap stayed open"
        await ada.disconnect()
        await ben.disconnect()
        return lost, ben

    lost, ben = run_async(scenario())
    _version, log = logged(app, circle.session_id)
    assert ben.applied[-2:] == after(log, lost - 1)[:2]
    assert [i["title"] for i in ben.applied[-1][1]["agenda"]] == ["Lost on the way",
                                                                   "Broadcast"]
    assert ben.gap_fetches == 1 and ben.syncs == 0 and ben.snapshots == 1


@pytest.mark.live
def test_quiet_time_sync_fetches_a_trailing_change_that_was_never_broadcast(
        app: Flask, circle: LiveCircle) -> None:
    async def scenario() -> tuple[int, LiveClient]:
        ben = circle.client("ben", sync_interval=0.5)
        await ben.connect()
        lost = await asyncio.to_thread(unbroadcast_item, app, circle, "ada", "Trailing")
        assert await until(lambda: ben.version == lost, WITHIN), "no sync caught it"
        await ben.disconnect()
        return lost, ben

    lost, ben = run_async(scenario())
    _version, log = logged(app, circle.session_id)
    assert ben.applied[-1] == after(log, lost - 1)[0]
    assert ben.syncs >= 1 and ben.gap_fetches == 0 and ben.snapshots == 1


def contributions(app: Flask, text: str) -> int:
    with app.app_context():
        try:
            return int(orm.session.scalar(select(func.count()).select_from(Contribution)
                                          .where(Contribution.text == text)) or 0)
        finally:
            orm.session.remove()


@pytest.mark.live
def test_an_event_sent_again_with_its_op_id_is_applied_once(
        app: Flask, circle: LiveCircle) -> None:
    async def scenario() -> dict[str, Any]:
        ada, ben = circle.client("ada"), circle.client("ben")
        await ada.connect()
        await ben.connect()
        acks: dict[str, Any] = {}
        with pytest.raises(LiveError, match="not live"):  # refused: nothing is kept...
            await ben.call("live:contribute", {"kind": "checkin", "text": "late",
                                                "op_id": "ben-late"})
        await ada.call("live:start")
        fields = {"kind": "checkin", "text": "once", "op_id": "ben-1"}
        acks["first"] = await ben.call("live:contribute", fields)
        acks["again"] = await ben.call("live:contribute", fields)
        acks["ada"] = await ada.call("live:contribute", fields)  # her own key, her own change
        acks["late"] = await ben.call("live:contribute", {  # ...so its retry runs
            "kind": "checkin", "text": "late", "op_id": "ben-late"})
        with pytest.raises(LiveError, match="^Give 1 to 64 letters") as refused:
            await ben.call("live:ready", {"ready": True, "op_id": "no spaces"})
        assert refused.value.field == "op_id"
        await settled(app, circle, ada, ben)
        acks["ben_seen"] = [c for _, c in ben.applied if c["type"] == "contribution"]
        await ada.disconnect()
        await ben.disconnect()
        return acks

    acks = run_async(scenario())
    assert acks["again"] == {**acks["first"], "replayed": True}
    assert "replayed" not in acks["first"] and "replayed" not in acks["ada"]
    assert acks["ada"]["contribution_id"] != acks["first"]["contribution_id"]
    assert "replayed" not in acks["late"]
    assert contributions(app, "once") == 2 and contributions(app, "late") == 1
    assert [c["contribution"]["text"] for c in acks["ben_seen"]] == ["once", "once", "late"]


class LosesFirstAck(LiveClient):
    """A client whose first ack is lost on the way back, after the server applied it."""

    lost = 0

    async def _call_once(self, event: str, data: dict[str, Any], timeout: float) -> Any:
        ack = await super()._call_once(event, data, timeout)
        if event == "live:agenda_add" and not self.lost:
            self.lost += 1
            raise _Unanswered(event)
        return ack


@pytest.mark.live
def test_the_client_retries_a_lost_ack_with_the_same_op_id(
        app: Flask, circle: LiveCircle) -> None:
    async def scenario() -> dict[str, Any]:
        ben = LosesFirstAck(circle.server.url, circle.cookies["ben"], circle.session_id,
                            transports=["websocket"])
        await ben.connect()
        ack = await ben.call("live:agenda_add", {"title": "Asked twice"})
        await ben.disconnect()
        return ack

    ack = run_async(scenario())
    assert ack["replayed"] is True
    with app.app_context():
        try:
            rows = orm.session.scalars(select(LiveEvent).where(
                LiveEvent.session_id == circle.session_id,
                LiveEvent.author_id == circle.ids["ben"], LiveEvent.op_id.is_not(None))).all()
        finally:
            orm.session.remove()
    assert [(r.seq, r.change["type"]) for r in rows] == [(ack["version"], "agenda")]
    assert [i["title"] for i in rows[0].change["agenda"]] == ["Asked twice"]


@pytest.mark.live
def test_an_edit_cut_off_mid_send_lands_once_and_leaves_nothing_unsent_after_resuming(
        app: Flask, circle: LiveCircle) -> None:
    """The connection goes while the edit is being written to it: the client comes back,
    the edit lands once, and nothing of the lost connection is left waiting to be sent (a
    clean leave would otherwise wait out its whole timeout)."""
    async def scenario() -> tuple[dict[str, Any], bool]:
        ben = circle.client("ben", reconnection_delay=0.05)
        await ben.connect()
        edit = asyncio.ensure_future(ben.call("live:agenda_add", {"title": "Cut off"}))
        await asyncio.sleep(0)  # the edit is queued; the writer meets a connection just cut
        await ben.drop()
        ack = await edit
        flushed = await all_sent(ben._sio.eio, 1.0)
        await ben.disconnect()
        return ack, flushed

    ack, flushed = run_async(scenario())
    assert flushed, "the resumed connection still counts a packet the lost one never sent"
    with app.app_context():
        try:
            versions = orm.session.scalars(select(LiveEvent.seq).where(
                LiveEvent.session_id == circle.session_id,
                LiveEvent.op_id.is_not(None))).all()
        finally:
            orm.session.remove()
    assert versions == [ack["version"]]
