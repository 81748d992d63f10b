"""A bare python-socketio relay, the load benchmark's yardstick: no app, no database.

The same stack as Circles' server (python-socketio in threading mode, simple-websocket,
the werkzeug server that ``flask serve`` runs) doing only the transport's share of a live
change: take an event, number it per room, broadcast it to the room, answer with an ack.
``--async-mode gevent`` serves the same relay with gevent's WSGI server and greenlets
(``pip install gevent``), to measure whether that mode would hold more clients.

    .venv/bin/python bench/live_relay.py --port 5005 [--async-mode gevent]

Events: ``join {room}`` → ``{ok}``; ``send {room, ...}`` → broadcasts ``changed {room,
version, change}`` to the room and acks ``{ok, version}``.
"""

from __future__ import annotations

import argparse
import threading
from collections import defaultdict
from typing import Any

import socketio
from werkzeug.serving import run_simple


def relay(async_mode: str = "threading") -> socketio.Server:
    sio = socketio.Server(async_mode=async_mode, max_http_buffer_size=64 * 1024)
    versions: defaultdict[str, int] = defaultdict(int)
    lock = threading.Lock()

    @sio.on("join")
    def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        sio.enter_room(sid, str(data["room"]))
        return {"ok": True, "version": versions[str(data["room"])]}

    @sio.on("send")
    def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        room = str(data["room"])
        with lock:  # numbered in order, like the app's session row lock
            versions[room] += 1
            version = versions[room]
            sio.emit("changed", {"room": room, "version": version, "change": data},
                     room=room)
        return {"ok": True, "version": version}

    return sio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--async-mode", choices=("threading", "gevent"), default="threading")
    args = parser.parse_args()
    if args.async_mode == "gevent":
        from gevent import monkey

        monkey.patch_all()  # before relay() makes its lock
        from gevent.pywsgi import WSGIServer

        app = socketio.WSGIApp(relay("gevent"))
        WSGIServer((args.host, args.port), app, log=None).serve_forever()
    else:
        run_simple(args.host, args.port, socketio.WSGIApp(relay()), threaded=True)


if __name__ == "__main__":
    main()
