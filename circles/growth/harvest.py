"""The harvest: what the person helped in a round was offered there, delivered to them alone.

When a session ends, the questions, stories, resources and ideas others offered in each round
are copied into the growth journal of the person that round helped, and e-mailed to them. The
room's shared summary still lists the contributions; the harvest is the helped person's own
record of them, which no facilitator, site administrator or other member can read.

Who a round helped is ``helped_in`` (the owner of a focus round's agenda item) unless the
caller says: the live edge passes ``circles.live.formats.clients_of``, which also names each
peer-consulting round's client or focus person (in Troika, one per trio: a trio's client is
offered only what their own trio said). A contribution the facilitator stopped is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.models import (
    AgendaItem,
    Circle,
    CircleSession,
    Contribution,
    HarvestItem,
    SessionPhase,
    SessionStage,
    User,
)
from circles.notify.notifications import notify

#: The kinds of contribution offered to the person helped (check-ins and the like are not).
OFFERED = ("question", "story", "resource", "idea")
#: How many of each kind were offered, in words.
COUNTED = {"question": lambda n: ngettext("%(num)d question", "%(num)d questions", n),
           "story": lambda n: ngettext("%(num)d story", "%(num)d stories", n),
           "resource": lambda n: ngettext("%(num)d resource", "%(num)d resources", n),
           "idea": lambda n: ngettext("%(num)d idea", "%(num)d ideas", n)}
KIND_NAMES = {"question": _l("Question"), "story": _l("Story"), "resource": _l("Resource"),
              "idea": _l("Idea")}


def helped_in(phase: SessionPhase, stage: SessionStage) -> int | None:
    """Who a stage helped: the focus member of a focus round (the agenda item's owner); None
    for stages that help nobody in particular."""
    return stage.focus_user_id if phase.kind == "focus" else None


def gather(db: Session, session: CircleSession,
           clients: list[tuple[int, int]] | None = None) -> dict[int, list[HarvestItem]]:
    """Copy what each person helped in ``session`` was offered into their harvest; returns
    the new items by person. ``clients`` lists ``(stage_id, member_id)`` for every person
    helped (default: each focus round's owner). Running it again adds nothing twice; what
    someone offered themself is not harvested."""
    helped: dict[int, list[int]] = {}
    for stage_id, person in clients or []:
        helped.setdefault(stage_id, []).append(person)
    made: dict[int, list[HarvestItem]] = {}
    phases = db.scalars(select(SessionPhase).where(SessionPhase.session_id == session.id)
                        .order_by(SessionPhase.position))
    for phase in phases:
        for stage in phase.stages:
            people = helped.get(stage.id, []) if clients is not None else \
                [p for p in [helped_in(phase, stage)] if p is not None]
            for person in people:
                _harvest_stage(db, session, phase, stage, person, made)
    db.flush()
    return made


def _harvest_stage(db: Session, session: CircleSession, phase: SessionPhase,
                   stage: SessionStage, person: int, made: dict[int, list[HarvestItem]]) -> None:
    title = _round_title(db, stage)
    trio = next((n for n, members in enumerate(phase.trios or []) if person in members), None)
    have = set(db.scalars(select(HarvestItem.contribution_id).where(
        HarvestItem.user_id == person, HarvestItem.session_id == session.id)))
    for item in db.scalars(select(Contribution).where(
            Contribution.stage_id == stage.id, Contribution.kind.in_(OFFERED),
            Contribution.stopped_at.is_(None)).order_by(Contribution.id)):
        if item.id in have or item.author_id == person:
            continue
        if phase.trios is not None and item.trio != trio:
            continue
        row = HarvestItem(user_id=person, session_id=session.id, contribution_id=item.id,
                          author_id=item.author_id, round_title=title, kind=item.kind,
                          text=item.text, helped=item.helped)
        db.add(row)
        made.setdefault(person, []).append(row)


def _round_title(db: Session, stage: SessionStage) -> str:
    item = db.get(AgendaItem, stage.agenda_item_id) if stage.agenda_item_id else None
    return item.title if item is not None else ""


def deliver(db: Session, session: CircleSession,
            clients: list[tuple[int, int]] | None = None) -> dict[int, list[HarvestItem]]:
    """Gather the session's harvest (``clients``: see ``gather``) and tell each person helped,
    the words in the e-mail only (the in-app line just counts them and links to the journal)."""
    made = gather(db, session, clients)
    circle = db.get(Circle, session.circle_id)
    name = circle.name if circle is not None else _l("your circle")
    for person, items in made.items():
        # Counted and listed when ``notify`` renders them, in the person's language.
        notify(db, person, "harvest",
               _l("Your harvest from %(name)s: %(counted)s offered in your round.", name=name,
                  counted=LazyString(_counted, items)),
               "/journal#harvest", key=f"harvest:{session.id}",
               details=LazyString(email_lines, db, items))
    return made


def _counted(items: list[HarvestItem]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(COUNTED[kind](n) for kind, n in counts.items())


def email_lines(db: Session, items: list[HarvestItem]) -> str:
    """The harvest as plain text for the e-mail: round, kind, words and who offered them."""
    names = _names(db, {i.author_id for i in items if i.author_id is not None})
    lines: list[str] = []
    title = None
    for item in items:
        if item.round_title != title:
            title = item.round_title
            lines.append("\n" + (_("Your round: %(title)s", title=title) if title
                                 else _("Your round")))
        who = names[item.author_id] if item.author_id in names else _("a former member")
        kind = str(KIND_NAMES.get(item.kind, item.kind.capitalize()))
        lines.append(_("- %(kind)s from %(who)s (it helped): %(text)s", kind=kind, who=who,
                       text=item.text) if item.helped else
                     _("- %(kind)s from %(who)s: %(text)s", kind=kind, who=who, text=item.text))
    return "\n".join(lines)


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


@dataclass
class HarvestRound:
    """One session's harvest for its helped person, as the journal shows it."""

    session: CircleSession
    circle: Circle
    items: list[HarvestItem] = field(default_factory=list)
    authors: dict[int, str] = field(default_factory=dict)


def harvest_of(db: Session, user: User) -> list[HarvestRound]:
    """The member's own harvest, newest session first (there is no way to ask for anyone
    else's)."""
    rows = db.execute(select(HarvestItem, CircleSession, Circle)
                      .join(CircleSession, CircleSession.id == HarvestItem.session_id)
                      .join(Circle, Circle.id == CircleSession.circle_id)
                      .where(HarvestItem.user_id == user.id)
                      .order_by(CircleSession.starts_at.desc(), CircleSession.id.desc(),
                                HarvestItem.id))
    rounds: dict[int, HarvestRound] = {}
    for item, session, circle in rows:
        rounds.setdefault(session.id, HarvestRound(session, circle)).items.append(item)
    names = _names(db, {i.author_id for r in rounds.values() for i in r.items
                        if i.author_id is not None})
    for entry in rounds.values():
        entry.authors = names
    return list(rounds.values())
