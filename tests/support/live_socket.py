"""A real python-socketio client for live servers, holding a member's cookie like a browser;
everything it receives is held to the live contract (``tests.support.contract``)."""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import engineio
import requests
import socketio
import websocket
from engineio import packet, payload

from tests.support import contract
from tests.support.live import LiveServer, LiveSession

WAIT = 5.0  # seconds any single event or ack may take
#: The longest a websocket's close waits for the server's answering close frame.
CLOSE_WAIT = 3.0


class QuickCloseEngineIO(engineio.Client):
    """python-engineio's client whose close ends as soon as the server has it.

    python-engineio closes with websocket-client's ``close()``, which waits for the server's
    close frame on the calling thread; but the engine's reader thread is the one that
    receives it, so every close waited out the whole timeout (3 s), also when a refused
    connect closes the socket. Here the close frame goes out after the engine's own packets,
    and the close waits for the reader thread to end: it ends on the server's answer.
    """

    def disconnect(self, abort: bool = False, reason: Any = None) -> None:
        ws = getattr(self, "ws", None)
        if self.current_transport == "websocket" and ws is not None:
            ws.close = functools.partial(self._close_websocket, ws)
        elif self.current_transport == "polling" and self.state == "connected" and not abort:
            # python-engineio's writer thread looks at the state only between two sends: a
            # disconnect just after a send (an ack's POST) ended it without sending the
            # goodbye, and the close then waited for the pending long-poll, which the server
            # ends only at its next ping (25 s). The goodbye goes out here, in this thread;
            # the server's answer ends the long-poll, and the threads end by themselves.
            self._send_request("POST", self.base_url, headers={"Content-Type": "text/plain"},
                               body=payload.Payload(packets=[packet.Packet(packet.CLOSE)])
                               .encode(), timeout=CLOSE_WAIT)
            abort = True
        super().disconnect(abort=abort, reason=reason)

    def _close_websocket(self, ws: Any, *args: Any, **kwargs: Any) -> None:
        deadline = time.monotonic() + CLOSE_WAIT
        me = threading.current_thread()

        def finish(task: threading.Thread | None) -> None:
            if task is not None and task is not me:
                task.join(max(0.0, deadline - time.monotonic()))

        finish(self.write_loop_task)  # the engine's close packet went first
        with contextlib.suppress(websocket.WebSocketException, OSError):
            if ws.connected:
                ws.send_close()
        finish(self.read_loop_task)  # it ends on the server's close frame
        ws.shutdown()


class QuickCloseClient(socketio.Client):
    """python-socketio's client over ``QuickCloseEngineIO``."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return QuickCloseEngineIO


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
        self.client = QuickCloseClient(reconnection=False, http_session=self.http)
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
        self.client.disconnect()


@contextlib.contextmanager
def connected(server: LiveServer, session: LiveSession) -> Iterator[Member]:
    member = Member(server, session.cookie_header())
    member.connect()
    try:
        yield member
    finally:
        member.disconnect()
