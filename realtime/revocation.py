"""Revocation: a logout, a disabled or deleted account, or leaving a circle reaches the
member's open sockets in every server process.

Each socket sits in the room of the login it was opened with (``login:<sha256 of token>``)
and in its member's room. Revoking publishes an instruction for one of those rooms — end
its sockets, or take them out of some session rooms — on a Redis channel beside the
Socket.IO queue's (``<SOCKETIO_CHANNEL>:revoke``). Every process that holds sockets
listens there and acts on its own sockets only (python-socketio knows a room's local
members, never the remote ones); without a queue the one process acts directly. The
instruction never travels to clients, so no client can fake or swallow it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from flask_socketio import SocketIO
from redis.client import PubSub
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from circles.extensions import orm
from circles.live import presence
from circles.models import User
from realtime import broadcast
from realtime.edge import log_and_commit
from realtime.rooms import login_room, login_room_of, member_room, session_room

Instruction = dict[str, Any]
EXTENSION = "circles_revocation"
PENDING = "revoke_member_ids"  # db.info key: members whose sockets end after the commit
RETRY_SECONDS = 1.0  # pause before subscribing again after losing Redis
WAIT_SECONDS = 30.0  # longest wait for one instruction (then wait again)

_registered = False


class Revoker:
    """Publishes instructions and, in a process holding sockets, carries them out."""

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.socketio = socketio
        self.logger = app.logger
        url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
        # Only a Redis queue is supported for several processes (README, production notes).
        self.queue_url = str(url) if url and str(url).startswith(("redis://", "rediss://")) \
            else None
        self.channel = f"{app.config.get('SOCKETIO_CHANNEL') or 'flask-socketio'}:revoke"
        self._lock = threading.Lock()
        self._listening = False
        self._publisher: redis.Redis | None = None

    def publish(self, instruction: Instruction) -> None:
        """Send ``instruction`` to every process (just this one without a queue)."""
        if self.queue_url is None:
            if self._local(instruction):  # off the request's thread, as a remote process would
                self.socketio.start_background_task(self.apply, instruction)
            return
        try:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(self.queue_url)
            self._publisher.publish(self.channel, json.dumps(instruction))
        except redis.RedisError:
            # The login is revoked in the database all the same: the socket's next event is
            # refused (realtime.acks) and a reconnect with the old cookie is refused.
            self.logger.exception("socket_revoke_unpublished %s", instruction["room"])

    def listen(self) -> None:
        """Subscribe (once per process, at its first socket) before that socket is accepted,
        so no instruction published after a connect passes this process by."""
        if self.queue_url is None or self._listening:
            return
        with self._lock:
            if self._listening:
                return
            try:
                pubsub: PubSub | None = self._subscribe()
            except redis.RedisError:
                self.logger.exception("socket_revoke_listener_lost")
                pubsub = None
            self.socketio.start_background_task(self._run, pubsub)
            self._listening = True

    def _subscribe(self) -> PubSub:
        assert self.queue_url is not None
        pubsub = PubSub(redis.Redis.from_url(self.queue_url).connection_pool,
                        ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        pubsub.get_message(timeout=1.0)  # the confirmation: from here on nothing is missed
        return pubsub

    def _run(self, pubsub: PubSub | None) -> None:
        """Carry out instructions; after losing Redis, subscribe again every second."""
        while True:
            try:
                if pubsub is None:
                    pubsub = self._subscribe()
                message = pubsub.get_message(timeout=WAIT_SECONDS)
                if message is not None and message.get("type") == "message":
                    self._apply_safely(message["data"])
            except (redis.RedisError, OSError):
                self.logger.exception("socket_revoke_listener_lost")
                pubsub = None
                time.sleep(RETRY_SECONDS)

    def _apply_safely(self, data: bytes) -> None:
        try:
            self.apply(json.loads(data))
        except Exception:  # one bad instruction must not stop the listener
            self.logger.exception("socket_revoke_failed")

    def _local(self, instruction: Instruction) -> list[str]:
        """This process's sockets in the instruction's room."""
        manager = self.socketio.server.manager
        return [sid for sid, _eio in manager.get_participants("/", instruction["room"])]

    def apply(self, instruction: Instruction) -> None:
        """Carry out ``instruction`` on the sockets of its room that this process holds."""
        server = self.socketio.server
        for sid in self._local(instruction):
            if instruction["do"] == "end":
                server.disconnect(sid, ignore_queue=True)
            else:
                for room in instruction["rooms"]:
                    server.leave_room(sid, room)


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Give ``app`` its revoker and watch the ORM for disabled or deleted accounts."""
    global _registered
    app.extensions[EXTENSION] = Revoker(app, socketio)
    if not _registered:  # every app shares the scoped session's events
        event.listen(orm.session, "before_flush", _collect_revoked_members)
        event.listen(orm.session, "after_commit", _end_revoked_members)
        event.listen(orm.session, "after_soft_rollback", _forget_revoked_members)
        _registered = True


def _revoker() -> Revoker:
    revoker: Revoker = current_app.extensions[EXTENSION]
    return revoker


def opened() -> None:
    """A socket is being accepted in this process: make sure revocations reach it."""
    _revoker().listen()


def end_login(token: str) -> None:
    """End every socket opened with this (just revoked) login, in every process."""
    _revoker().publish({"do": "end", "room": login_room(token)})


def end_logins(digests: list[str]) -> None:
    """End every socket of these revoked logins, known by their stored hashes (a password
    change, "log out everywhere", one login revoked from the account page)."""
    for digest in digests:
        _revoker().publish({"do": "end", "room": login_room_of(digest)})


def end_member(member_id: int) -> None:
    """End every socket of a member whose account was disabled or deleted."""
    _revoker().publish({"do": "end", "room": member_room(member_id)})


def leave_sessions(member_id: int, session_ids: list[int]) -> None:
    """Take a member who left a circle out of its sessions' rooms; the sockets stay open
    for everything else (other circles, notifications)."""
    _revoker().publish({"do": "leave", "room": member_room(member_id),
                        "rooms": [session_room(sid) for sid in session_ids]})


def left_circle(db: Session, circle_id: int, member_id: int) -> None:
    """After the commit that took ``member_id`` out of a circle: the rest of each live room
    sees their connections go, then their sockets leave the circle's session rooms."""
    session_ids, changes = presence.depart(
        db, member_id, circle_id, away_grace=float(current_app.config["LIVE_FACILITATOR_GRACE"]))
    log_and_commit(changes)
    broadcast.live_changes(changes)
    leave_sessions(member_id, session_ids)


# --- accounts disabled or deleted, by any code path that goes through the ORM --------------


def _collect_revoked_members(db: Session, _context: Any, _instances: Any) -> None:
    ended = db.info.setdefault(PENDING, set())
    for obj in db.deleted:
        if isinstance(obj, User):
            ended.add(obj.id)
    for obj in db.dirty:
        if isinstance(obj, User) and not obj.is_active \
                and inspect(obj).attrs.is_active.history.has_changes():
            ended.add(obj.id)


def _end_revoked_members(db: Session) -> None:
    ended = db.info.pop(PENDING, None)
    if not ended or not has_app_context() or EXTENSION not in current_app.extensions:
        return
    for member_id in sorted(ended):
        end_member(member_id)


def _forget_revoked_members(db: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        db.info.pop(PENDING, None)
