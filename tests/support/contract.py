"""The live contract on the wire: every event a test's client receives and every ack it gets,
held to its JSON Schema in ``docs/realtime/schemas`` (docs/realtime.md, "Schemas").

An event ``a:b`` has its schema at ``events/a/b.json``, the ack of a client event ``a:b`` at
``acks/a/b.json``. Real clients in live tests are wired through ``watch_socket`` (the
``tests.support.live_socket.Member`` and ``ContractClient`` below do it): what they receive is
recorded in ``WIRE`` and validated; a mismatch is recorded in ``VIOLATIONS``, which the autouse
fixture in ``tests/conftest.py`` turns into a failure of the test (handlers run on the client's
own threads, where an exception would be swallowed).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from realtime.client import LiveClient

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "realtime" / "schemas"
#: Events the Socket.IO client library raises itself; they carry nothing from the server.
LIBRARY_EVENTS = ("connect", "disconnect")


@dataclass(frozen=True)
class Seen:
    """One thing a client received: an ``event`` (server → client) or an ``ack``."""

    kind: str  # "events" | "acks"
    name: str
    data: Any


WIRE: list[Seen] = []
VIOLATIONS: list[str] = []
_lock = threading.Lock()


def schema_path(kind: str, name: str) -> Path:
    """Where the schema of event (or ack of event) ``name`` lives."""
    return SCHEMAS / kind / f"{name.replace(':', '/')}.json"


@functools.cache
def registry() -> Registry[Any]:
    """Every schema file, under its own file URI, so relative ``$ref``s resolve."""
    resources = [(path.as_uri(), Resource.from_contents(json.loads(path.read_text())))
                 for path in sorted(SCHEMAS.rglob("*.json"))]
    return Registry().with_resources(resources)


@functools.cache
def validator(kind: str, name: str) -> Draft202012Validator | None:
    path = schema_path(kind, name)
    if not path.exists():
        return None
    return Draft202012Validator({"$ref": path.as_uri()}, registry=registry())


def problem(kind: str, name: str, data: Any) -> str | None:
    """Why ``data`` breaks the contract of ``name`` (None: it keeps it)."""
    checker = validator(kind, name)
    what = "event" if kind == "events" else "ack of"
    if checker is None:
        return f"{what} {name!r} has no schema ({schema_path(kind, name).relative_to(SCHEMAS)})"
    error = best_match(checker.iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return f"{what} {name!r} at {where}: {error.message}\n  data: {json.dumps(data)[:2000]}"


def record(kind: str, name: str, data: Any, *, keep: bool = True) -> str | None:
    """Keep what arrived and check it; returns the problem, also kept in ``VIOLATIONS``
    unless the caller raises it itself (``keep=False``)."""
    found = problem(kind, name, data)
    with _lock:
        WIRE.append(Seen(kind, name, data))
        if found is not None and keep:
            VIOLATIONS.append(found)
    return found


def received(event: str, data: Any) -> None:
    """A server → client event arrived."""
    if event in LIBRARY_EVENTS:
        return
    if event == "connect_error" and isinstance(data, str):
        return  # raised by the client library itself: the server was not reached at all
    record("events", event, data)


def answered(event: str, ack: Any) -> None:
    """The ack of the client's ``event`` arrived; raises at once (the caller's thread)."""
    found = record("acks", event, ack, keep=False)
    if found is not None:
        raise AssertionError(f"the wire broke its contract: {found}")


def take_violations() -> list[str]:
    with _lock:
        found = list(VIOLATIONS)
        VIOLATIONS.clear()
        WIRE.clear()
    return found


def watch_async(sio: Any) -> Any:
    """Validate everything a python-socketio ``AsyncClient`` receives, whatever its own
    handlers do with it: each handler is wrapped, the rest caught by ``*``, acks checked."""
    handlers = sio.handlers.setdefault("/", {})
    for event, handler in list(handlers.items()):
        handlers[event] = _checked(event, handler)
    original_on = sio.on

    def on(event: str, handler: Any = None, namespace: str | None = None) -> Any:
        if handler is None:  # the decorator form is not used by the clients we wrap
            raise TypeError("register handlers with on(event, handler)")
        return original_on(event, _checked(event, handler) if event != "*" else handler,
                           namespace=namespace)

    sio.on = on
    original_on("*", received)
    original_call = sio.call

    async def call(event: str, data: Any = None, **options: Any) -> Any:
        ack = await original_call(event, data, **options)
        record("acks", event, ack)  # not raised: the client would take it for a lost ack
        return ack

    sio.call = call
    return sio


def _checked(event: str, handler: Any) -> Any:
    if event in LIBRARY_EVENTS:
        return handler

    @functools.wraps(handler)
    def check(*args: Any) -> Any:
        received(event, args[0] if args else None)
        return handler(*args)

    return check


class ContractClient(LiveClient):
    """The reference client, with everything it receives held to the schemas."""

    def _new_socket(self) -> Any:
        return watch_async(super()._new_socket())
