"""One flooding socket for the load benchmark's ``flood`` scenario, run as its own process
so that its busy loop cannot slow the swarm's event loop (which would blur the figure).

It connects with a member's cookie and emits ``live:contribute`` as fast as its socket
takes them, until the server cuts it off; then it connects again and floods again, until
``--seconds`` are over. Prints one JSON object: for each attempt the seconds from its first
event to the server's disconnect (null if it was never cut off), and the acks it got.

    .venv/bin/python bench/live_flood.py URL COOKIE SESSION_ID --seconds 10
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from typing import Any

import socketio

QUEUED = 64  # packets waiting in the client's queue before the loop waits for the socket


def flood_once(url: str, cookie: str, session_id: int, deadline: float,
               acks: Counter[str]) -> float | None:
    """Flood until disconnected or ``deadline``; seconds from first event to the cut-off
    (None when not cut off, or when the connect was refused: counted in ``acks``)."""
    sio = socketio.Client(reconnection=False)
    gone = threading.Event()
    gone_at: list[float] = []

    def on_disconnect(*_reason: Any) -> None:
        gone_at.append(time.monotonic())
        gone.set()

    def on_ack(ack: Any = None) -> None:
        ok = isinstance(ack, dict) and ack.get("ok")
        acks["ok" if ok else str(ack.get("error") if isinstance(ack, dict) else ack)[:60]] += 1

    sio.on("disconnect", on_disconnect)
    try:
        sio.connect(url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        acks["connect refused"] += 1
        time.sleep(0.2)  # refused (e.g. a cut-off member kept out for a while): try again
        return None
    first, n = time.monotonic(), 0
    while not gone.is_set() and time.monotonic() < deadline:
        while sio.eio.queue.qsize() > QUEUED and not gone.is_set():
            time.sleep(0.0005)
        try:
            sio.emit("live:contribute", {"session_id": session_id, "kind": "checkin",
                                         "text": f"flood {n}"}, callback=on_ack)
        except socketio.exceptions.SocketIOError:
            break
        n += 1
    acks["sent"] += n
    gone.wait(max(0.0, deadline - time.monotonic()))
    if sio.connected:
        sio.disconnect()
    return gone_at[0] - first if gone_at else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("cookie")
    parser.add_argument("session_id", type=int)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    acks: Counter[str] = Counter()
    attempts: list[dict[str, Any]] = []
    while time.monotonic() < deadline - 0.5:
        started = time.monotonic()
        sent = acks["sent"]
        cut = flood_once(args.url, args.cookie, args.session_id, deadline, acks)
        if cut is not None or acks["sent"] > sent:  # a connection that flooded
            attempts.append({"started": started, "cut_off_after": cut})
    print(json.dumps({"attempts": attempts, "acks": dict(acks),
                      "cpu_seconds": time.process_time(), "seconds": args.seconds}))


if __name__ == "__main__":
    main()
