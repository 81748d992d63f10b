"""A reference client for the live room, on python-socketio's asyncio client.

It follows the client rule of docs/realtime.md to the letter, so tests and benchmarks can
hold the server to it (the browser's room script follows the same rule):

- changes are applied strictly in ``version`` order; one at or below the local version is a
  duplicate (dropped and counted), one beyond the next is held back, and a gap still open
  after ``gap_wait`` seconds is filled with ``live:events {after: version}``;
- every (re)connect joins with ``after`` = the last applied version once it has one, and
  holds ``live:changed`` back until that join's ack has been applied;
- after ``sync_interval`` seconds without any change arriving it asks ``live:events``, which
  catches a trailing change whose broadcast was lost;
- every change event carries a fresh ``op_id``; a retry after a timeout, a lost connection
  or a "busy" answer sends the same one (after a jittered, doubling pause), so the server
  applies it once.
Nothing is kept beyond the last snapshot and ``applied``, what a UI would have folded in.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import socketio

from realtime.client_http import all_sent, queue_per_connection, session_factory
from realtime.client_parts import busy_pause, private_parts, retry_delay

Ack = dict[str, Any]
Change = dict[str, Any]
AppliedHook = Callable[[int, Change, float], None]

#: ``live:*`` events that change nothing, so carry no ``op_id``.
READS = frozenset({"live:join", "live:leave", "live:snapshot", "live:events",
                   "live:phase_order"})
JOIN_TIMEOUT, CONNECT_TIMEOUT = 5.0, 10.0  # seconds: one live:join; connect() and its join


class LiveError(Exception):
    """The server refused an event (an ``ok: false`` ack), or the client is not connected.
    ``field`` names the payload field the refusal is about, when it is about one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LiveUnanswered(LiveError):
    """No ack came back, through every retry."""


class _Unanswered(Exception):
    """One try got no ack: it timed out, or the connection went while waiting."""


class LiveClient:
    """One member's connection to one session's live room (see the module docstring)."""

    def __init__(self, url: str, cookie: str | None, session_id: int, *,
                 sync_interval: float = 15.0, gap_wait: float = 0.25,
                 reconnection: bool = True, transports: list[str] | None = None,
                 reconnection_delay: float = 0.5, keep_changes: bool = True,
                 source_address: str | None = None) -> None:
        self.url, self.cookie, self.session_id = url, cookie, session_id
        self.source_address = source_address  # client_http.session_factory
        # False: ``applied`` keeps each version with None for its change (a load generator's
        # hundreds of clients would otherwise hold every change of a long run).
        self.keep_changes = keep_changes
        self.sync_interval, self.gap_wait = sync_interval, gap_wait
        self.reconnection, self.reconnection_delay = reconnection, reconnection_delay
        self.transports = transports
        self.version = -1
        self.applied: list[tuple[int, Change | None]] = []
        self.snapshot: dict[str, Any] | None = None
        self.snapshots, self.duplicates = 0, 0
        self.dropped: list[int] = []  # the versions of the duplicates, in arrival order
        self.gap_fetches, self.syncs = 0, 0  # live:events asked: a gap stayed open; quiet time
        self.joins = 0  # join acks applied (1 + the reconnects)
        self.private: dict[str, Any] = {}
        self.on_applied: AppliedHook | None = None
        self.joined, self._down = asyncio.Event(), asyncio.Event()
        self.failure: LiveError | None = None  # why the last join was refused
        self._held: dict[int, tuple[Change, float]] = {}
        self._joining = True  # no join ack applied on this connection yet
        self._catching_up = 0  # live:events / live:snapshot acks outstanding
        self._fetching, self._closed = False, True
        self._generation = 0  # connections so far: a stale join gives up
        self._sio: Any = None
        self._join_task: asyncio.Task[None] | None = None
        self._gap_task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_arrival = time.monotonic()

    # --- connecting ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect with the member's cookie and join (with ``after`` once there is a version);
        raises ``LiveError`` when the connection or the join is refused."""
        if self._sio is not None and self._sio.connected:
            raise LiveError("Already connected.")
        if self._sio is not None:
            await self._sio.shutdown()  # stop the old connection's own reconnecting
        self._closed, self.failure = False, None
        self._sio = self._new_socket()
        refusals: list[Any] = []
        self._sio.on("connect_error", refusals.append)
        try:
            # A function, not a dict: python-engineio moves a websocket's Cookie header out
            # of the dict it is given, so a reconnect would otherwise go without the login.
            await self._sio.connect(self.url, headers=self._headers, transports=self.transports,
                                    wait_timeout=CONNECT_TIMEOUT)
        except socketio.exceptions.ConnectionError as exc:
            self._closed = True
            message = refusals[0].get("message") if refusals and isinstance(
                refusals[0], dict) else str(exc)
            raise LiveError(str(message)) from exc
        if self._join_task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._join_task), CONNECT_TIMEOUT)
            except TimeoutError:
                await self.disconnect()
                raise LiveUnanswered("live:join: no answer.") from None
        if self.failure is not None:
            await self.disconnect()
            raise self.failure
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = self._spawn(self._quiet_sync())

    def _headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie} if self.cookie else {}

    def _new_socket(self) -> Any:
        sio = queue_per_connection(socketio.AsyncClient(
            http_session=session_factory(self.cookie, self.source_address),
            reconnection=self.reconnection, reconnection_delay=self.reconnection_delay,
            reconnection_delay_max=max(2.0, self.reconnection_delay),
            randomization_factor=self.reconnection_delay / 2))
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("live:changed", self._on_changed)
        sio.on("live:private", self._on_private)
        return sio

    async def disconnect(self) -> None:
        """Leave cleanly: the server sees the Socket.IO disconnect; nothing reconnects."""
        self._closed = True
        for task in filter(None, (self._sync_task, self._gap_task)):
            task.cancel()
        if self._sio is not None:
            await all_sent(self._sio.eio, JOIN_TIMEOUT)
            await self._sio.shutdown()
        self.joined.clear()

    async def drop(self) -> None:
        """Lose the connection abruptly, as a network failure would: the TCP connection is
        cut with no leave and no Socket.IO goodbye. With ``reconnection`` the client comes
        back by itself and resumes; without, ``connect()`` resumes."""
        eio = self._sio.eio if self._sio is not None else None
        conn = getattr(getattr(eio, "ws", None), "_conn", None)
        if eio is None or eio.current_transport != "websocket" or conn is None:
            raise LiveError("drop() needs a websocket connection.")
        if conn.transport is not None:  # aiohttp's connection under it (None: already gone)
            conn.transport.abort()

    @property
    def connected(self) -> bool:
        return bool(self._sio is not None and self._sio.connected)

    def _on_connect(self) -> None:
        self._generation += 1
        self._down.clear()
        self._joining = True
        self._join_task = self._spawn(self._join(self._generation))

    def _on_disconnect(self, *_reason: Any) -> None:
        self.joined.clear()
        self._down.set()
        self._joining = True
        if self._gap_task is not None:
            self._gap_task.cancel()

    async def _join(self, generation: int) -> None:
        """Join the room; apply the ack (missed events, or a snapshot) before anything held."""
        fields: dict[str, Any] = {"session_id": self.session_id}
        if self.version >= 0:
            fields["after"] = self.version
        while True:
            try:
                ack = await self._call_once("live:join", fields, JOIN_TIMEOUT)
                if not ack.get("busy"):
                    break
                await asyncio.sleep(busy_pause(ack))  # a busy server: ask again after its pause
            except _Unanswered:
                pass
            if generation != self._generation or self._down.is_set():
                return  # this connection is gone; the next one joins again
        if not ack.get("ok"):
            self.failure = LiveError(str(ack.get("error")))
            return
        self._joining = False
        self.joins += 1
        self.absorb(ack)
        self.joined.set()

    # --- calling events --------------------------------------------------------------------

    async def call(self, event: str, fields: dict[str, Any] | None = None, *,
                   retries: int = 3, timeout: float = 5.0) -> Ack:
        """Emit ``event`` with ``session_id`` added and return its ack; raise ``LiveError`` on
        ``ok: false``. A change event gets a fresh ``op_id`` (unless ``fields`` has one),
        and every retry after a timeout, a lost connection or a "busy" answer re-sends it
        (``retry_delay``; after "busy" at least the server's ``retry_after``, jittered)."""
        data: dict[str, Any] = {"session_id": self.session_id, **(fields or {})}
        if event.startswith("live:") and event not in READS:
            data.setdefault("op_id", uuid.uuid4().hex)
        floor = 0.0  # a busy server's own pause, when it gave one
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(max(floor, retry_delay(attempt)))
            if self.failure is not None:
                raise self.failure
            if self._closed:
                raise LiveError("Not connected.")
            try:
                await asyncio.wait_for(self.joined.wait(), timeout)
                ack: Ack = await self._call_once(event, data, timeout)
            except (_Unanswered, TimeoutError):
                continue
            if ack.get("busy"):  # refused before any work: send it again after a pause
                floor = busy_pause(ack)
                continue
            if not ack.get("ok"):
                raise LiveError(str(ack.get("error")), ack.get("field"))
            return ack
        raise LiveUnanswered(f"{event}: no answer after {retries + 1} tries.")

    async def _call_once(self, event: str, data: dict[str, Any], timeout: float) -> Ack:
        """One emit; ``_Unanswered`` when it times out or the connection goes meanwhile
        (python-socketio itself would wait out the whole timeout)."""
        asked = asyncio.ensure_future(self._sio.call(event, data, timeout=timeout))
        gone = asyncio.ensure_future(self._down.wait())
        try:
            await asyncio.wait({asked, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            unanswered = not asked.done()
            if unanswered:
                asked.cancel()
        if unanswered:
            raise _Unanswered(event)
        try:
            ack = asked.result()
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as exc:
            raise _Unanswered(event) from exc
        return ack if isinstance(ack, dict) else {"ok": False, "error": repr(ack)}

    async def sync(self) -> None:
        """Ask for every change after the local version (or a snapshot) and apply it;
        changes broadcast meanwhile are held back until the ack is applied."""
        self._catching_up += 1
        ack: Ack | None = None
        try:
            if self.version < 0:
                ack = await self.call("live:snapshot", retries=0)
            else:
                ack = await self.call("live:events", {"after": self.version}, retries=0)
        finally:
            self._catching_up -= 1
            if ack is None:
                self._drain()  # no answer: what was held back meanwhile goes on as before
        self.absorb(ack)

    @property
    def _holding(self) -> bool:
        """Whether a join or catch-up ack is on its way: changes wait for it."""
        return self._joining or self._catching_up > 0

    # --- the client rule -------------------------------------------------------------------

    def _on_changed(self, data: Any) -> None:
        if isinstance(data, dict) and data.get("session_id") == self.session_id:
            self.receive(int(data["version"]), data["change"], time.monotonic())

    def _on_private(self, data: Any) -> None:
        if not isinstance(data, dict) or data.get("session_id") != self.session_id:
            return
        change = data["change"]
        if change["type"] == "feedback_received":
            giver = change["feedback"]["giver_id"]
            kept = [f for f in self.private.get("feedback_received", [])
                    if f["giver_id"] != giver]
            self.private["feedback_received"] = [*kept, change["feedback"]]
        elif change["type"] == "summary_feedback":
            self.private["summary_feedback"] = change["feedback"]
        elif change["type"] == "note":
            self.private["note"] = change["note"]

    def receive(self, version: int, change: Change, at: float | None = None) -> None:
        """Take one numbered change, from ``live:changed`` or an ack, by the client rule."""
        at = time.monotonic() if at is None else at
        self._last_arrival = at
        if version <= self.version or version in self._held:
            self._drop(version)
        elif version == self.version + 1 and not self._holding:
            self._apply(version, change, at)
            self._drain()
        else:
            self._held[version] = (change, at)
            self._watch_gap()

    def absorb(self, ack: Ack) -> None:
        """Apply a join, events or snapshot ack: a snapshot replaces everything, events go
        through ``receive``; then whatever was held back and now follows is applied."""
        at = time.monotonic()
        if "snapshot" in ack:
            self._replace(ack["snapshot"])
        else:
            for event in ack.get("events", []):
                self.receive(int(event["version"]), event["change"], at)
            if "private" in ack:
                self.private = dict(ack["private"])
        self._drain()

    def _replace(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot
        self.snapshots += 1
        self.version = int(snapshot["version"])
        self.applied = []
        self.private = private_parts(snapshot)

    def _apply(self, version: int, change: Change, at: float) -> None:
        self.version = version
        self.applied.append((version, change if self.keep_changes else None))
        if self.on_applied is not None:
            self.on_applied(version, change, at)

    def _drop(self, version: int) -> None:
        self.duplicates += 1
        self.dropped.append(version)

    def _drain(self) -> None:
        if self._holding:
            return
        while (following := self._held.pop(self.version + 1, None)) is not None:
            self._apply(self.version + 1, *following)
        for version in sorted(v for v in self._held if v <= self.version):
            del self._held[version]
            self._drop(version)
        self._watch_gap()

    def _watch_gap(self) -> None:
        """Start the gap timer when changes are held back; stop it once nothing is."""
        if not self._held or self._holding:
            if self._gap_task is not None and not self._held:
                self._gap_task.cancel()
                self._gap_task = None
            return
        if (self._gap_task is None or self._gap_task.done()) and not self._fetching:
            self._gap_task = self._spawn(self._fill_gap())

    async def _fill_gap(self) -> None:
        await asyncio.sleep(self.gap_wait)
        self._gap_task = None
        if not self._held or self._holding:
            return
        self._fetching = True
        self.gap_fetches += 1
        try:
            await self.sync()
        except LiveError:
            pass  # a reconnect's join, or the next gap, asks again
        finally:
            self._fetching = False
        self._watch_gap()

    async def _quiet_sync(self) -> None:
        """Ask for missed changes whenever none arrived for ``sync_interval`` seconds."""
        while not self._closed:
            due = self._last_arrival + self.sync_interval - time.monotonic()
            if due > 0:
                await asyncio.sleep(due)
                continue
            self._last_arrival = time.monotonic()
            if self.joined.is_set():
                self.syncs += 1
                try:
                    await self.sync()
                except LiveError:
                    pass  # not connected: the reconnect's join catches up instead

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
