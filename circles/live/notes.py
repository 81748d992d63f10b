"""Session notes: one shared note (everyone may edit, the note-taker leads) and one private
note per member that only its author can ever read.

Clients autosave the whole body with the version it was based on; a save based on an older
version is refused (optimistic concurrency) so no one's typing silently overwrites another's.
A private note is nobody else's business: saving it does not bump the session's version.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput
from circles.languages import number
from circles.live.room import (
    Change,
    bump,
    flag,
    integer,
    session_for_member,
    whole_characters,
)
from circles.live.snapshot import note_view
from circles.models import Note, User, utcnow
from circles.models.live import SHARED_NOTE

NOTE_MAX = 20_000


def save_note(db: Session, user: User, session_id: object, private: object, body: object,
              base_version: object, *, now: datetime | None = None) -> Change:
    """Save the shared note or the caller's private note, if ``base_version`` is current."""
    session = session_for_member(db, user.id, session_id)
    if session.status == "cancelled":
        raise Conflict(_("The session was cancelled."))
    mine = flag("private", private)
    content = _body(body)
    based_on = integer("base_version", base_version, low=0, high=2**31 - 1)
    slot = user.id if mine else SHARED_NOTE
    saved = now or utcnow()
    # The usual save is one statement: the note is updated only where it is still at
    # ``base_version`` (each statement is a round trip to PostgreSQL).
    note = db.scalars(update(Note).where(
        Note.session_id == session.id, Note.slot == slot, Note.version == based_on,
    ).values(body=content, author_id=user.id, version=Note.version + 1, updated_at=saved)
        .returning(Note)).first()
    if note is None:
        note = _first_save(db, session.id, slot, mine, based_on)
        note.body, note.author_id, note.version, note.updated_at = content, user.id, 1, saved
        db.flush()
    view = note_view(note)
    if mine:
        return Change(session.id, session.version, None,
                      private=[(user.id, {"type": "note", "note": view})], result={"note": view})
    return Change(session.id, bump(session), {"type": "note", "note": view},
                  result={"note": view})


def _first_save(db: Session, session_id: int, slot: int, mine: bool, based_on: int) -> Note:
    """A new note, for a first save based on version 0; else why the save is refused."""
    note = db.scalar(select(Note).where(Note.session_id == session_id, Note.slot == slot))
    version = 0 if note is None else note.version
    if note is not None or based_on != 0:
        raise Conflict(_("The note changed meanwhile (now version %(version)s); reload it and "
                         "apply your edit again.", version=version))
    note = Note(session_id=session_id, slot=slot, private=mine, body="", version=0)
    db.add(note)
    return note


def _body(body: object) -> str:
    """The note as typed: whitespace is kept, or autosave would eat the newline just typed."""
    if not isinstance(body, str):
        raise InvalidInput.field("body", _("Give the note as text."))
    whole_characters("body", body, _l("the note"))
    if len(body) > NOTE_MAX:
        raise InvalidInput.field("body", _("Keep the note to %(max)s characters (it has "
                                           "%(length)s).", max=number(NOTE_MAX),
                                           length=number(len(body))))
    return body
