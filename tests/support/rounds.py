"""A live session of the live-room circle (tests/support/live_room.py) run up to its first
focus round: Ben's and Di's agenda items, things offered in Ben's round, then the end."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circles.live import agenda, presence
from circles.live import phases as live
from circles.live.room import current_phase
from circles.models import User
from tests.support.live_room import NAMES, Room


def who(db: Session, uid: int) -> User:
    return db.get_one(User, uid)


def to_phase(db: Session, room: Room, session_id: int, kind: str) -> None:
    for _ in range(30):
        phase = current_phase(db, session_id)
        if phase is not None and phase.kind == kind:
            return
        live.advance(db, who(db, room.ada), session_id)
        db.commit()
    raise AssertionError(f"never reached the {kind} phase")


def start(db: Session, room: Room, session_id: int) -> None:
    for name in NAMES:
        presence.join(db, who(db, room.ids[name]), session_id, f"sid-{name}-{session_id}")
    live.start(db, who(db, room.ada), session_id)
    db.commit()


def offered_in_bens_round(db: Session, room: Room) -> dict[str, int]:
    """Ben's round is held (Di's is not): Ada asks, Cy offers an idea that helped, Ben notes
    a question of his own. Returns the agenda items' ids."""
    sid = room.session_id
    start(db, room, sid)
    to_phase(db, room, sid, "agenda")
    ben = agenda.add_item(db, who(db, room.ben), sid, "Saying no to my manager", 15)
    di = agenda.add_item(db, who(db, room.di), sid, "Hiring my first report", 10)
    db.commit()
    to_phase(db, room, sid, "focus")
    agenda.contribute(db, who(db, room.ada), sid, "question", "What would a good no sound like?")
    idea = agenda.contribute(db, who(db, room.cy), sid, "idea", "Try a script first")
    agenda.contribute(db, who(db, room.ben), sid, "question", "Why do I say yes?")
    agenda.mark_helped(db, who(db, room.ben), sid, idea.result["contribution_id"], True)
    db.commit()
    return {"ben": ben.result["item_id"], "di": di.result["item_id"]}
