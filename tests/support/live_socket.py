"""A real python-socketio client for live servers, holding a member's cookie like a browser;
everything it receives is held to the live contract (``tests.support.contract``)."""

from __future__ import annotations

import functools
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import socketio

from tests.support import contract
from tests.support.live import LiveServer, LiveSession

WAIT = 5.0  # seconds any single event or ack may take


class Member:
    """A real Socket.IO client holding a member's cookie, recording what it receives and
    checking it, and every ack, against its schema."""

    def __init__(self, server: LiveServer, cookie: str | None, *,
                 transports: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        # Like a browser, every request of the connection carries the cookie (python-engineio
        # sends ``connect``'s headers with the handshake only): long-polling needs it.
        self.http = requests.Session()
        if cookie:
            self.http.headers["Cookie"] = cookie
        self.http.headers.update(headers or {})  # e.g. the browser's Accept-Language
        self.client = socketio.Client(reconnection=False, http_session=self.http)
        self.server = server
        self.cookie = cookie
        self.transports = transports
        self.refusals: list[Any] = []
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client.on("connect_error", self._refused)
        self.client.on("*", self._received)

    def _refused(self, data: Any) -> None:
        contract.received("connect_error", data)
        self.refusals.append(data)

    def _received(self, event: str, data: Any) -> None:
        contract.received(event, data)
        self.events.put((event, data))

    def connect(self) -> None:
        headers = dict(self.http.headers)
        self.client.connect(self.server.url, headers=headers, transports=self.transports,
                            wait_timeout=WAIT)

    def call(self, event: str, data: Any = None) -> Any:
        ack = self.client.call(event, data, timeout=WAIT)
        contract.answered(event, ack)
        return ack

    def next_event(self) -> tuple[str, Any]:
        return self.events.get(timeout=WAIT)

    def disconnect(self) -> None:
        ws = getattr(self.client.eio, "ws", None)
        if self.client.eio.current_transport == "websocket" and ws is not None:
            # python-engineio's reader thread takes the server's close frame, so the
            # websocket's own close() would wait out its 3 s timeout for it: 0.2 s is plenty.
            ws.close = functools.partial(ws.close, timeout=0.2)
        self.client.disconnect()


@contextmanager
def connected(server: LiveServer, session: LiveSession) -> Iterator[Member]:
    member = Member(server, session.cookie_header())
    member.connect()
    try:
        yield member
    finally:
        member.disconnect()
