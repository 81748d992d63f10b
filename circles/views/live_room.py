"""The live room page: the shell a member's browser fills in over Socket.IO (static/room.js)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from circles.extensions import current_member, db
from circles.sessions import scheduling

bp = Blueprint("live_room", __name__)


@bp.get("/sessions/<int:session_id>/live")
@login_required
def room(session_id: int) -> ResponseReturnValue:
    """A member of the session's circle opens its live room (anyone else: not found)."""
    me = current_member()
    session = scheduling.session_to_join(db(), me, session_id)
    # The member's own current questions, so one click turns one into an agenda item; the
    # live state itself (agenda, people, timer…) arrives with the socket's snapshot.
    questions = [(q.id, q.text) for q in me.questions]
    return render_template("live/room.html", session=session, circle=session.circle,
                           questions=questions)
