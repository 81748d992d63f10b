"""Push each new notification to its member's sockets once the transaction that made it commits."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from circles.extensions import orm
from circles.notify.notifications import PENDING, pending_pushes
from realtime.broadcast import to_member

_registered = False


def listen() -> None:
    """Listen on the app's session once per process (every app shares the scoped session)."""
    global _registered
    if _registered:
        return
    event.listen(orm.session, "after_commit", _after_commit)
    event.listen(orm.session, "after_soft_rollback", _after_rollback)
    _registered = True


def _after_commit(db: Session) -> None:
    pushes = pending_pushes(db)
    if not pushes or not has_app_context() or "socketio" not in current_app.extensions:
        return
    for user_id, data in pushes:
        to_member(user_id, "notification", data)


def _after_rollback(db: Session, previous: SessionTransaction) -> Any:
    if not previous.nested:  # a savepoint rolling back leaves the outer work standing
        db.info.pop(PENDING, None)
