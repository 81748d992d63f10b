"""Telling members things: the notification centre, their preferences, and e-mail via the outbox.

``notify`` never commits and never emits: it adds rows to ``db`` and leaves the realtime
payload in ``db.info``; after the edge commits, realtime/notifications.py pushes it to the
member's sockets (and drops it on rollback), so a notice is never shown for a change that
did not happen.

Every notice is written in its recipient's language (``languages.language_of``), whoever's
request or CLI run sends it: callers pass ``text`` and ``details`` as a
``flask_babel.lazy_gettext(...)`` with its named values, or, for words put together by code,
a ``flask_babel.speaklater.LazyString(function, *args)``; ``notify`` renders them inside
``force_locale`` for the stored in-app line and the e-mail alike. A plain ``str`` is kept as
it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circles.errors import InvalidInput, NotFound
from circles.languages import DEFAULT, language_of
from circles.models import User, utcnow
from circles.models.notifications import (
    KINDS,
    MAX_LINK,
    MAX_TEXT,
    Notification,
    NotificationPreference,
)
from circles.notify.mail import queue_email

#: Where ``notify`` leaves realtime payloads for the after-commit hook.
PENDING = "circles.notify.notifications.pending"

LABELS = {
    "new_circle": _l("You are placed in a new circle"),
    "upcoming_session": _l("A session is coming up"),
    "commitment_due": _l("A commitment is due"),
    "introduction": _l("Introduction requests"),
    "feedback": _l("Feedback you received"),
    "pulse": _l("Pulse checks"),
    "at_risk": _l("A circle you facilitate may be at risk"),
    "goal_checkin": _l("Goal check-ins"),
    "circle_change": _l("Someone left or closed your circle"),
    "not_placed": _l("You could not be placed in a circle"),
    "invitation": _l("A community invites you"),
    "meeting_check": _l("Did your circle meet?"),
    "harvest": _l("The harvest of your round"),
    "renewal": _l("Renew your circle or meet new people"),
    "concern": _l("A concern reported to you as a safety contact"),
}
#: Kinds sent by e-mail unless the member switches them off; the rest are in-app only.
EMAIL_BY_DEFAULT = frozenset({"new_circle", "upcoming_session", "commitment_due",
                              "introduction", "at_risk", "circle_change",
                              "not_placed", "invitation", "meeting_check", "harvest",
                              "renewal", "concern"})
PAGE_SIZE = 50


@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    in_app: bool
    email: bool


def preferences(db: Session, user_id: int) -> list[Choice]:
    """The member's choice for every kind, defaults filled in, in ``KINDS`` order."""
    rows = {p.kind: p for p in db.scalars(select(NotificationPreference)
                                          .where(NotificationPreference.user_id == user_id))}
    return [Choice(kind, str(LABELS[kind]), rows[kind].in_app if kind in rows else True,
                   rows[kind].email if kind in rows else kind in EMAIL_BY_DEFAULT)
            for kind in KINDS]


def set_preferences(db: Session, user_id: int, in_app: set[str], email: set[str]) -> None:
    """Store the member's choice: the kinds named in ``in_app`` / ``email`` are on, others off."""
    for field, kinds in (("in_app", in_app), ("email", email)):
        unknown = sorted(kinds - set(KINDS))
        if unknown:
            raise InvalidInput({field: _("There is no notification called %(name)s.",
                                         name=repr(unknown[0]))})
    rows = {p.kind: p for p in db.scalars(select(NotificationPreference)
                                          .where(NotificationPreference.user_id == user_id))}
    for kind in KINDS:
        row = rows.get(kind) or NotificationPreference(user_id=user_id, kind=kind)
        row.in_app, row.email = kind in in_app, kind in email
        db.add(row)
    db.flush()


def notify(db: Session, user_id: int, kind: str, text: str | LazyString, link: str = "", *,
           key: str | None = None, details: str | LazyString = "") -> Notification | None:
    """Tell member ``user_id`` something, on the channels they chose for ``kind``.

    ``details`` are lines for the e-mail only (a session's video link and address, say),
    which the in-app line leaves to the page it links to.

    Returns the in-app notification, or None when ``key`` was used before for this member
    (a reminder already sent) or they receive ``kind`` in neither the app nor by e-mail, or
    only by e-mail. A keyed notice is recorded even when only e-mailed, so it is sent once.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    choice = next(c for c in preferences(db, user_id) if c.kind == kind)
    if not (choice.in_app or choice.email):
        return None
    if key is not None and db.scalar(select(Notification.id).where(
            Notification.user_id == user_id, Notification.key == key)) is not None:
        return None
    user = db.get(User, user_id)
    # Written in the recipient's language, whoever's request sent it.
    with force_locale(language_of(db, user) if user is not None else DEFAULT):
        line = " ".join(str(text).split())[:MAX_TEXT]
        lines = str(details).strip()
        subject = _("Circles: %(what)s", what=str(LABELS[kind]).lower())
        hello = _("Hello %(name)s,", name=user.display_name if user is not None else "")
    note = Notification(user_id=user_id, kind=kind, text=line, link=link[:MAX_LINK], key=key,
                        in_app=choice.in_app)
    try:
        with db.begin_nested():  # two reminder runs racing: the second one stays silent
            db.add(note)
    except IntegrityError:
        return None
    if choice.email and user is not None and user.is_active:
        queue_email(db, user.email, subject, f"{hello}\n\n{line}\n"
                    + (f"\n{lines}\n" if lines else ""), note.link)
    if not choice.in_app:
        return None
    # The unread count travels with the push, so the page's badge changes without a reload.
    db.info.setdefault(PENDING, []).append(
        (user_id, {"id": note.id, "kind": kind, "text": line, "link": note.link,
                   "unread": unread_count(db, user_id)}))
    return note


def pending_pushes(db: Session) -> list[tuple[int, dict[str, Any]]]:
    """Take the realtime payloads left by ``notify`` since the last call (for the edge)."""
    pushes: list[tuple[int, dict[str, Any]]] = db.info.pop(PENDING, [])
    return pushes


def inbox(db: Session, user_id: int, *, limit: int = PAGE_SIZE) -> list[Notification]:
    """The member's latest in-app notifications, newest first."""
    query = (select(Notification)
             .where(Notification.user_id == user_id, Notification.in_app.is_(True))
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.scalars(query))


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.in_app.is_(True),
        Notification.read_at.is_(None))) or 0


def mark_read(db: Session, user_id: int, notification_id: int,
              now: datetime | None = None) -> Notification:
    """Mark one of the member's notifications read; someone else's is not found."""
    note = db.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound("notification")
    if note.read_at is None:
        note.read_at = now or utcnow()
    return note


def mark_all_read(db: Session, user_id: int, now: datetime | None = None) -> int:
    """Mark every unread notification of the member read; returns how many were unread."""
    result = db.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.in_app.is_(True),
        Notification.read_at.is_(None)).values(read_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)

