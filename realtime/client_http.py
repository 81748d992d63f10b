"""The HTTP session under the reference client (realtime/client.py): what a browser does
that python-engineio's asyncio client does not.

- The login cookie goes with every request, as a browser's does: python-engineio sends
  ``connect()``'s headers with the handshake only, and every Engine.IO request must carry
  the login that opened the connection (realtime/ownership.py).
- Every response is read as soon as it arrives. python-engineio never reads the body of a
  successful polling POST, which leaves its connection checked out of aiohttp's pool until
  the garbage collector finds it (and aiohttp warns of an unclosed connection).
- What was sent goes out before the goodbye. python-engineio's writer looks at the
  connection's state only between two sends: a disconnect while a send is under way (a
  polling POST) ended it without the goodbye, and the server kept the connection until its
  next ping (25 s).
- Each connection has a send queue of its own. python-engineio keeps one queue for the
  client's life, and a writer that loses its connection in the middle of a send never marks
  what it took as done: every clean leave after a resumed connection then waited out its
  whole timeout for packets that no connection would send.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp


class ReadResponse(aiohttp.ClientResponse):
    """A response whose body is read (and its connection given back) when it starts."""

    async def start(self, connection: Any) -> ReadResponse:
        await super().start(connection)
        await self.read()
        return self


def session_factory(cookie: str | None, source_address: str | None = None) -> Any:
    """What ``socketio.AsyncClient(http_session=...)`` calls for each new session;
    ``source_address`` (an address of this machine, e.g. ``127.0.0.7``) is where its
    connections come from, so that tests and benchmarks behind nginx's ``hash
    $remote_addr`` look like many machines."""
    headers = {"Cookie": cookie} if cookie else {}
    if source_address is None:
        return lambda: aiohttp.ClientSession(headers=headers, response_class=ReadResponse)
    return lambda: aiohttp.ClientSession(
        headers=headers, response_class=ReadResponse,
        connector=aiohttp.TCPConnector(local_addr=(source_address, 0)))


def queue_per_connection(sio: Any) -> Any:
    """``sio`` (a python-socketio client) with a new send queue each time its Engine.IO
    client connects (it connects again on its own after a lost connection), so that what the
    last connection's writer left unfinished does not count against the next one."""
    eio = sio.eio
    connect = eio.connect

    async def connect_with_a_new_queue(*args: Any, **kwargs: Any) -> Any:
        eio.queue = eio.create_queue()
        return await connect(*args, **kwargs)

    eio.connect = connect_with_a_new_queue
    return sio


async def all_sent(eio: Any, timeout: float) -> bool:
    """Wait (up to ``timeout`` seconds) until everything python-engineio's client ``eio``
    queued has been sent; call it before disconnecting. False: something was still unsent
    when the time ran out."""
    queue = getattr(eio, "queue", None)
    if queue is None or eio.state != "connected":
        return True
    try:
        await asyncio.wait_for(queue.join(), timeout)
    except TimeoutError:
        return False
    return True
