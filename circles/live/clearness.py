"""A clearness committee's one rule the server keeps besides "questions only": the
facilitator stops a contribution that is advice in disguise. It is hidden from the room
(snapshots and summaries leave it out) and its author alone is told why.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.languages import language_of
from circles.live.room import Change, bump, ident, require_live, require_role, session_for_member
from circles.models import Contribution, SessionStage, User, utcnow
from circles.models.live import ROUNDS

#: Told to the question's author alone, in their language.
STOPPED = _l("The facilitator stopped your question as advice in disguise: in a clearness "
             "committee, ask an open question that helps the focus person find their own "
             "answer.")


def stop(db: Session, user: User, session_id: object, contribution_id: object, *,
         now: datetime | None = None) -> Change:
    """The facilitator stops a contribution in a clearness committee's rounds."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    require_role(session, user.id, ("facilitator",), _l("stop a contribution"))
    item = db.get(Contribution, ident("contribution_id", contribution_id))
    stage = None if item is None else db.get(SessionStage, item.stage_id)
    if item is None or stage is None or stage.phase.session_id != session.id:
        raise NotFound("contribution")
    if session.format != "clearness" or stage.phase.kind != ROUNDS:
        raise Conflict(_("Only a clearness committee's questions can be stopped."))
    if item.stopped_at is not None:
        raise Conflict(_("That contribution was stopped already."))
    item.stopped_at = now or utcnow()
    author = None if item.author_id is None else db.get(User, item.author_id)
    message = ""
    if author is not None:
        with force_locale(language_of(db, author)):  # said to the author, in their language
            message = str(STOPPED)
    private = [] if author is None else [(author.id, {
        "type": "contribution_stopped", "contribution_id": item.id, "text": item.text,
        "message": message})]
    return Change(session.id, bump(session),
                  {"type": "contribution_stopped", "contribution_id": item.id},
                  private=private)
