"""The agenda built together, and what members contribute to each stage.

Any member adds, reorders and timeboxes items until the agenda phase is done (then its
focus rounds are built from it); only an item's author renames or removes it. A
contribution goes to the current stage with a kind that suits its phase; only the focus
member of a round marks what helped.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.ids import is_id
from circles.languages import term
from circles.live import formats
from circles.live.room import (
    Change,
    bump,
    choice,
    current_phase,
    current_stage,
    ident,
    integer,
    require_live,
    session_for_member,
    text,
)
from circles.live.snapshot import agenda_item_view, contribution_view
from circles.models import (
    AgendaItem,
    CircleSession,
    Contribution,
    Question,
    SessionPhase,
    SessionStage,
    User,
)
from circles.models.live import CONTRIBUTION_KINDS, ROUNDS

#: The kinds of contribution each phase takes (we teach how to think, not what to think).
KINDS_BY_PHASE = {
    "checkin": ("checkin",),
    "review": ("reflection",),
    "focus": ("question", "story", "resource", "idea"),
    "close": ("appreciation", "reflection"),
}
TITLE_MAX = 200
TEXT_MAX = 2000
TIMEBOX_MAX = 60  # minutes


def _open_agenda(db: Session, user: User,
                 session_id: object) -> tuple[CircleSession, list[AgendaItem]]:
    """The session, if its agenda is still open, and its agenda items: one query reads the
    items and whether the agenda phase is done, and the change then builds the room's agenda
    from them in memory (the session's row lock keeps them current)."""
    session = session_for_member(db, user.id, session_id)
    if session.status not in ("scheduled", "live"):
        raise Conflict(_("The session is %(status)s; its agenda is closed.",
                         status=term(session.status)))
    done = select(select(SessionPhase.id).where(
        SessionPhase.session_id == session.id, SessionPhase.kind == "agenda",
        SessionPhase.status == "done").limit(1).scalar_subquery().label("done")).subquery()
    rows = db.execute(select(done.c.done, AgendaItem).select_from(done).outerjoin(
        AgendaItem, AgendaItem.session_id == session.id)).all()
    if rows[0].done is not None:
        raise Conflict(_("The agenda phase is over; its focus rounds are under way."))
    return session, [item for _, item in rows if item is not None]


def _item(items: list[AgendaItem], item_id: object) -> AgendaItem:
    wanted = ident("item_id", item_id, "agenda item")
    item = next((item for item in items if item.id == wanted), None)
    if item is None:
        raise NotFound("agenda item")
    return item


def _agenda_change(session: CircleSession, items: list[AgendaItem],
                   **result: object) -> Change:
    """The room's new agenda, from the items as this change left them (not read again)."""
    agenda = [agenda_item_view(item)
              for item in sorted(items, key=lambda item: (item.position, item.id))]
    return Change(session.id, bump(session), {"type": "agenda", "agenda": agenda},
                  result=dict(result))


def add_item(db: Session, user: User, session_id: object, title: object = None,
             timebox_minutes: object = 10, question_id: object = None) -> Change:
    """Add an item, or turn one of the caller's current questions into one."""
    session, items = _open_agenda(db, user, session_id)
    question = None
    if question_id is not None:
        question = db.get(Question, ident("question_id", question_id))
        if question is None or question.user_id != user.id:
            raise NotFound("question")
        if title is None:
            title = question.text[:TITLE_MAX]
    item = AgendaItem(
        session_id=session.id, author_id=user.id,
        title=text("title", title if title is not None else "", max_len=TITLE_MAX,
                   what=_l("the title")),
        timebox_minutes=integer("timebox_minutes", timebox_minutes, low=1, high=TIMEBOX_MAX,
                                 unit=_l("minutes")),
        source_question_id=None if question is None else question.id,
        position=max((other.position for other in items), default=0) + 1)
    db.add(item)
    db.flush()
    return _agenda_change(session, [*items, item], item_id=item.id)


def rename_item(db: Session, user: User, session_id: object, item_id: object,
                title: object) -> Change:
    session, items = _open_agenda(db, user, session_id)
    item = _item(items, item_id)
    if item.author_id != user.id:
        raise Conflict(_("Only the item's author can rename it."))
    item.title = text("title", title, max_len=TITLE_MAX, what=_l("the title"))
    return _agenda_change(session, items)


def remove_item(db: Session, user: User, session_id: object, item_id: object) -> Change:
    session, items = _open_agenda(db, user, session_id)
    item = _item(items, item_id)
    if item.author_id != user.id:
        raise Conflict(_("Only the item's author can remove it."))
    db.delete(item)
    return _agenda_change(session, [other for other in items if other is not item])


def timebox_item(db: Session, user: User, session_id: object, item_id: object,
                 minutes: object) -> Change:
    """Any member sets an item's timebox (1–60 minutes)."""
    session, items = _open_agenda(db, user, session_id)
    _item(items, item_id).timebox_minutes = integer(
        "timebox_minutes", minutes, low=1, high=TIMEBOX_MAX, unit=_l("minutes"))
    return _agenda_change(session, items)


def reorder(db: Session, user: User, session_id: object, item_ids: object) -> Change:
    """Any member reorders the agenda by giving every item's id in the new order."""
    session, loaded = _open_agenda(db, user, session_id)
    items = {item.id: item for item in loaded}
    if (not isinstance(item_ids, list) or not all(is_id(i) for i in item_ids)
            or len(set(item_ids)) != len(item_ids)):
        raise InvalidInput.field("item_ids", _("List every agenda item's id once, in the new "
                                               "order."))
    if len(item_ids) != len(items) or set(item_ids) != set(items):
        raise InvalidInput.field("item_ids", _("The agenda changed meanwhile (an item was "
                                               "added or removed): try the move again."))
    for position, item_id in enumerate(item_ids, start=1):
        items[item_id].position = position
    return _agenda_change(session, loaded)


# --- contributions ------------------------------------------------------------------------


def contribute(db: Session, user: User, session_id: object, kind: object,
               body: object) -> Change:
    """Add a question, story, resource or idea (or check-in, reflection, appreciation) to
    the current stage."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    phase = current_phase(db, session.id)
    if phase is None or (phase.kind not in KINDS_BY_PHASE and phase.kind != ROUNDS):
        raise Conflict(_("This phase takes no contributions."))
    stage = current_stage(db, session.id)
    if stage is None:
        raise Conflict(_("This phase takes no contributions."))
    trio = None
    if phase.kind == ROUNDS:
        allowed, trio = formats.contribution_rules(session, phase, stage, user.id)
    else:
        allowed = KINDS_BY_PHASE[phase.kind]
    chosen = choice("kind", kind, CONTRIBUTION_KINDS, _l("a kind"))
    if chosen not in allowed:
        raise InvalidInput.field("kind", str(formats.KIND_REFUSALS.get(
            session.format if phase.kind == ROUNDS else "",
            _("The %(phase)s phase takes %(kinds)s.", phase=term(phase.kind),
              kinds=", ".join(allowed)))))
    item = Contribution(stage_id=stage.id, author_id=user.id, kind=chosen, trio=trio,
                        text=text("text", body, max_len=TEXT_MAX,
                                  what=_l("your contribution")))
    db.add(item)
    db.flush()
    return contribution_change(session, stage, item, contribution_id=item.id)


def contribution_change(session: CircleSession, stage: SessionStage, item: Contribution,
                        **result: object) -> Change:
    """Tell the room about a contribution; one said in a Troika trio goes to that trio's
    members alone (the room learns only that the trio said something)."""
    view = {"type": "contribution", "contribution": contribution_view(item)}
    trios = stage.phase.trios
    if item.trio is None or trios is None:
        return Change(session.id, bump(session), view, result=dict(result))
    return Change(session.id, bump(session),
                  {"type": "trio_contribution", "stage_id": stage.id, "trio": item.trio},
                  private=[(uid, view) for uid in trios[item.trio]], result=dict(result))


def _contribution(db: Session, session: CircleSession,
                  contribution_id: object) -> tuple[Contribution, SessionStage]:
    item = db.get(Contribution, ident("contribution_id", contribution_id))
    stage = None if item is None else db.get(SessionStage, item.stage_id)
    if item is None or stage is None or stage.phase.session_id != session.id:
        raise NotFound("contribution")
    if item.stopped_at is not None:
        raise Conflict(_("The facilitator stopped that contribution; it is no longer shown."))
    return item, stage


def edit_contribution(db: Session, user: User, session_id: object, contribution_id: object,
                      body: object) -> Change:
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    item, stage = _contribution(db, session, contribution_id)
    if item.author_id != user.id:
        raise Conflict(_("Only its author can edit a contribution."))
    item.text = text("text", body, max_len=TEXT_MAX, what=_l("your contribution"))
    return contribution_change(session, stage, item)


def mark_helped(db: Session, user: User, session_id: object, contribution_id: object,
                helped: object) -> Change:
    """The focus member of a round marks (or unmarks) a contribution that helped them."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    item, stage = _contribution(db, session, contribution_id)
    if (stage.phase.kind not in ("focus", ROUNDS)
            or user.id not in formats.stage_clients(stage.phase, stage)
            or (item.trio is not None and item.trio != formats.trio_of(stage.phase, user.id))):
        raise Conflict(_("Only the focus member of that round can mark what helped."))
    if not isinstance(helped, bool):
        raise InvalidInput.field("helped", _("Give true or false."))
    item.helped = helped
    return contribution_change(session, stage, item)
