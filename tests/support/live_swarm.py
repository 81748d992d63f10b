"""Members of one live session on real servers, as reference clients held to the live
contract (``tests.support.contract.ContractClient``), and the checks that every client's view
is the database's ordered event log (for the crash and Redis tests)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.models import CircleSession, LiveEvent, LiveProcess, Presence
from tests.live.test_live_session_flow import circle_with_session, people
from tests.support.contract import ContractClient
from tests.support.live import LiveServer

SETTLE = 20.0  # seconds the clients may take to reconnect, resume and be swept clean


class Room:
    """The four members of a live session, each a ``LiveClient`` on a server of its own
    choosing, and the database they share."""

    def __init__(self, servers: dict[str, LiveServer], *, sync_interval: float = 1.0) -> None:
        first = next(iter(servers.values()))
        found = people(first)
        self.ids = {name: uid for name, (_cookie, uid) in found.items()}
        _circle_id, self.session_id = circle_with_session(first, self.ids)
        self.db_url = first.env["DATABASE_URL"]
        self.clients = {name: ContractClient(servers[name].url, found[name][0], self.session_id,
                                         sync_interval=sync_interval, reconnection_delay=0.3)
                        for name in servers}
        self.acked: dict[str, list[int]] = {name: [] for name in servers}

    async def connect(self) -> None:
        for client in self.clients.values():
            await client.connect()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.disconnect()

    async def change(self, name: str, event: str, **fields: Any) -> dict[str, Any]:
        ack = await self.clients[name].call(event, fields)
        self.acked[name].append(int(ack["version"]))
        return ack

    def query(self, work: Callable[[Session], Any]) -> Any:
        engine = create_engine(self.db_url)
        try:
            with Session(engine) as db:
                return work(db)
        finally:
            engine.dispose()

    def log(self) -> list[tuple[int, dict[str, Any]]]:
        """The session's event log in the database, in order."""
        return self.query(lambda db: [(seq, change) for seq, change in db.execute(
            select(LiveEvent.seq, LiveEvent.change).where(
                LiveEvent.session_id == self.session_id).order_by(LiveEvent.seq))])

    def version(self) -> int:
        return int(self.query(lambda db: db.get_one(CircleSession, self.session_id).version))

    def processes(self) -> set[str]:
        return set(self.query(lambda db: list(db.scalars(select(LiveProcess.id)))))

    def connection_processes(self) -> list[str | None]:
        return self.query(lambda db: list(db.scalars(select(Presence.process_id).where(
            Presence.session_id == self.session_id))))

    async def until(self, check: Callable[[], bool], what: str,
                    within: float = SETTLE) -> None:
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"never {what} within {within} s: {self.state()}")
            await asyncio.sleep(0.1)

    def caught_up(self) -> bool:
        version = self.version()
        return all(c.version == version and c.joined.is_set() for c in self.clients.values())

    def state(self) -> dict[str, Any]:
        return {"db_version": self.version(),
                "clients": {name: {"version": c.version, "joined": c.joined.is_set(),
                                   "joins": c.joins, "snapshots": c.snapshots}
                            for name, c in self.clients.items()}}

    def assert_every_view_is_the_log(self) -> None:
        """Each client applied exactly the log after its first snapshot, once each, in order,
        and every change it was told was acknowledged is among them."""
        log = self.log()
        for name, client in self.clients.items():
            assert client.snapshots == 1, f"{name} fell back to a snapshot"
            assert client.snapshot is not None
            start = int(client.snapshot["version"])
            assert client.applied == [(v, c) for v, c in log if v > start], name
            applied = {v for v, _ in client.applied}
            assert set(self.acked[name]) <= applied, f"{name} lost an acknowledged change"
            for other, versions in self.acked.items():
                assert {v for v in versions if v > start} <= applied, f"{name} lost {other}'s"
