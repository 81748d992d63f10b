"""Introductions with consent: who is two steps away and could help, and the request workflow.

A member asks a mutual contact (the broker) to introduce them to someone two steps away; the
broker agrees with a line of introduction or declines; then the other person accepts (a tie
is made) or declines. Nobody learns who declined or why: the requester only ever reads "This
introduction did not go ahead". The person asked about sees nothing until the broker agreed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from circles.errors import Conflict, InvalidInput, NotFound
from circles.members import blocks
from circles.models import (
    Boundary,
    Interaction,
    LearningGoal,
    Membership,
    Question,
    Strength,
    User,
    utcnow,
)
from circles.models.introductions import MAX_TEXT, Introduction
from circles.network.ego import neighbours
from circles.network.introduction_contacts import check_contact, contact_of, reach_line, set_contact
from circles.network.ties import add_tie, ordered
from circles.notify.notifications import notify

MAX_BROKERS = 30  # the strongest contacts asked for their contacts: the best brokers anyway
NOT_AHEAD = _l("This introduction did not go ahead.")
HISTORY = 20


@dataclass(frozen=True)
class Suggestion:
    """Someone two steps away whose strengths answer my questions, and who could introduce us."""

    target_id: int
    target_name: str
    organisation: str
    department: str
    broker_id: int
    broker_name: str
    topics: tuple[str, ...]
    why: str


def suggestions(db: Session, user_id: int, limit: int = 5) -> list[Suggestion]:
    """People exactly two steps away who share a community with me, are not tied to me, have
    no open or declined introduction with me, and offer a strength on one of my open question
    or learning-goal topics; most topics answered first, then most mutual contacts."""
    needs = _needs(db, user_id)
    mine = neighbours(db, user_id)
    if not needs or not mine:
        return []
    via: dict[int, list[tuple[float, int]]] = defaultdict(list)
    kept = blocks.kept_from(db, user_id)
    for broker in sorted(set(mine) - kept, key=lambda b: (-mine[b], b))[:MAX_BROKERS]:
        for other, strength in neighbours(db, broker).items():
            if other != user_id and other not in mine:
                via[other].append((min(mine[broker], strength), broker))
    candidates = (_sharing_community(db, user_id, via) - _excluded(db, user_id, via))
    offers = _offers(db, candidates, needs)
    if not offers:
        return []
    people = _users(db, set(offers) | {b for c in offers for _, b in via[c]})
    ranked = sorted(
        (c for c in offers if people[c].is_active),
        key=lambda c: (-len(offers[c]), -len(via[c]), people[c].display_name.casefold(), c))
    return [_suggestion(people[c], people[_best_broker(via[c], people)], offers[c])
            for c in ranked[:limit]]


def _best_broker(options: list[tuple[float, int]], people: dict[int, User]) -> int:
    """The mutual contact closest to both of us (the weaker of the two ties decides)."""
    return min(options, key=lambda o: (-o[0], people[o[1]].display_name.casefold(), o[1]))[1]


def _suggestion(target: User, broker: User, topics: list[str]) -> Suggestion:
    listed = _("%(topics)s and %(last)s", topics=", ".join(topics[:-1]),
               last=topics[-1]) if len(topics) > 1 else topics[-1]
    why = _("%(target)s offers %(topics)s, which you are working on; %(broker)s knows you "
            "both.", target=target.display_name, topics=listed, broker=broker.display_name)
    return Suggestion(target.id, target.display_name, target.organisation, target.department,
                      broker.id, broker.display_name, tuple(topics), why)


def _needs(db: Session, user_id: int) -> set[str]:
    """Topic keys of my open questions and learning goals."""
    questions = db.scalars(select(Question.topic_key).where(Question.user_id == user_id,
                                                            Question.topic_key != ""))
    goals = db.scalars(select(LearningGoal.topic_key).where(LearningGoal.user_id == user_id))
    return set(questions) | set(goals)


def _offers(db: Session, candidates: set[int], needs: set[str]) -> dict[int, list[str]]:
    """For each candidate, the labels of their strengths on my needs, minus their boundaries."""
    if not candidates:
        return {}
    limits = set(db.execute(select(Boundary.user_id, Boundary.topic_key).where(
        Boundary.user_id.in_(candidates), Boundary.topic_key.in_(needs))))
    offers: dict[int, list[str]] = defaultdict(list)
    for uid, key, label in db.execute(
            select(Strength.user_id, Strength.topic_key, Strength.topic)
            .where(Strength.user_id.in_(candidates), Strength.topic_key.in_(needs))
            .order_by(Strength.user_id, Strength.position, Strength.id)):
        if (uid, key) not in limits:
            offers[uid].append(label)
    return dict(offers)


def _sharing_community(db: Session, user_id: int, others: Iterable[int]) -> set[int]:
    others = set(others)
    if not others:
        return set()
    my_communities = select(Membership.community_id).where(Membership.user_id == user_id)
    return set(db.scalars(select(Membership.user_id).where(
        Membership.community_id.in_(my_communities), Membership.user_id.in_(others))))


def _excluded(db: Session, user_id: int, others: Iterable[int]) -> set[int]:
    """People I asked about (open or declined), or who asked about me and I was told of.

    A request about me that its broker has not passed on stays invisible: excluding its
    requester from my suggestions would hint that it exists."""
    others = set(others)
    if not others:
        return set()
    asked = db.scalars(select(Introduction.target_id).where(
        Introduction.requester_id == user_id, Introduction.target_id.in_(others),
        Introduction.status.in_(("requested", "brokered", "declined"))))
    told = db.scalars(select(Introduction.requester_id).where(
        Introduction.target_id == user_id, Introduction.requester_id.in_(others),
        Introduction.brokered_at.is_not(None),
        Introduction.status.in_(("brokered", "declined"))))
    return set(asked) | set(told) | (blocks.kept_from(db, user_id) & others)


def _users(db: Session, ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _shared_communities(db: Session, *user_ids: int) -> list[int]:
    """Communities every one of ``user_ids`` belongs to, lowest id first."""
    query = select(Membership.community_id).where(Membership.user_id == user_ids[0])
    for uid in user_ids[1:]:
        other = aliased(Membership)
        query = query.join(other, and_(other.community_id == Membership.community_id,
                                       other.user_id == uid))
    return sorted(db.scalars(query))


def _text(errors: dict[str, str], name: str, value: str, missing: str) -> str:
    value = value.strip()
    if not value:
        errors[name] = missing
    elif len(value) > MAX_TEXT:
        errors[name] = _("Keep it under %(max)s characters (this has %(length)s).", max=MAX_TEXT,
                         length=len(value))
    return value


def request_introduction(db: Session, requester: User, target_id: int, broker_id: int,
                         reason: str, shares: str = "none", contact: str = "") -> Introduction:
    """Ask ``broker_id``, a contact of both, to introduce ``requester`` to ``target_id``;
    ``shares``/``contact``: how the other may reach the requester once both said yes."""
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, _("Say in a line why you would like to meet them."))
    shares, contact = check_contact(errors, shares, contact)
    mine = neighbours(db, requester.id)
    target = None if target_id == requester.id else db.get(User, target_id)
    shared = _shared_communities(db, requester.id, target_id) if target is not None else []
    if target_id == requester.id:
        errors["target_id"] = _("You cannot ask to be introduced to yourself.")
    elif (target is None or not target.is_active or not shared
          or blocks.between(db, requester.id, target_id)):
        errors["target_id"] = _("Choose someone from one of your communities.")
    elif target_id in mine:
        errors["target_id"] = _("You are already connected with %(name)s.",
                                 name=target.display_name)
    elif (earlier := _earlier_request(db, requester.id, target_id)) is not None:
        errors["target_id"] = (
            _("You already asked to meet %(name)s; that request is still open.",
              name=target.display_name) if earlier.is_open else
            _("An earlier request to meet %(name)s did not go ahead.", name=target.display_name))
    if (broker_id in (requester.id, target_id) or broker_id not in mine
            or blocks.between(db, requester.id, broker_id)
            or blocks.between(db, target_id, broker_id)
            or ("target_id" not in errors and target_id not in neighbours(db, broker_id))):
        errors["broker_id"] = _("Choose someone who knows you both.")
    if errors:
        raise InvalidInput(errors)
    with_broker = set(_shared_communities(db, requester.id, target_id, broker_id))
    community_id = min((c for c in shared if c in with_broker), default=shared[0])
    intro = Introduction(community_id=community_id, requester_id=requester.id,
                         broker_id=broker_id, target_id=target_id, reason=reason,
                         open_pair=Introduction.pair_key(requester.id, target_id),
                         requester_shares=shares, requester_contact=contact)
    db.add(intro)
    db.flush()
    notify(db, broker_id, "introduction", _l("%(requester)s asks you to introduce them to "
                                             "%(target)s.", requester=requester.display_name,
                                             target=intro.target.display_name), "/introductions",
           key=f"introduction:{intro.id}")
    return intro


def _earlier_request(db: Session, requester_id: int, target_id: int) -> Introduction | None:
    return db.scalar(select(Introduction).where(
        Introduction.requester_id == requester_id, Introduction.target_id == target_id,
        Introduction.status.in_(("requested", "brokered", "declined"))).limit(1))


def introduction_for(db: Session, user: User, intro_id: int, role: str | None = None
                     ) -> Introduction:
    """The introduction if ``user`` is involved in it (in ``role`` when given), else 404.

    The person asked about is involved only once the broker has agreed."""
    intro = db.get(Introduction, intro_id)
    roles = [] if intro is None else [r for r in ("requester", "broker", "target")
                                      if getattr(intro, f"{r}_id") == user.id]
    if intro is not None and intro.brokered_at is None and "target" in roles:
        roles.remove("target")
    if intro is None or not roles or (role is not None and role not in roles):
        raise NotFound("introduction")
    return intro


def _waiting(intro: Introduction, status: str) -> None:
    if intro.status != status:
        raise Conflict(_("This introduction is no longer waiting for you."))


def _close(intro: Introduction, status: str) -> Introduction:
    intro.status = status
    intro.decided_at = utcnow()
    intro.open_pair = None
    return intro


def broker_agree(db: Session, broker: User, intro_id: int, note: str) -> Introduction:
    """The mutual contact agrees and writes a line introducing the two."""
    intro = introduction_for(db, broker, intro_id, "broker")
    _waiting(intro, "requested")
    errors: dict[str, str] = {}
    note = _text(errors, "note", note, _("Write a line introducing them to each other."))
    if errors:
        raise InvalidInput(errors)
    intro.status, intro.broker_note, intro.brokered_at = "brokered", note, utcnow()
    for user_id, other in ((intro.requester_id, intro.target), (intro.target_id, intro.requester)):
        notify(db, user_id, "introduction", _l("%(broker)s introduced you to %(other)s.",
                                               broker=broker.display_name,
                                               other=other.display_name),
               "/introductions", key=f"introduction:{intro.id}:agreed")
    return intro


def broker_decline(db: Session, broker: User, intro_id: int) -> Introduction:
    intro = introduction_for(db, broker, intro_id, "broker")
    _waiting(intro, "requested")
    return _close(intro, "declined")


def target_accept(db: Session, target: User, intro_id: int, shares: str = "none",
                  contact: str = "") -> Introduction:
    """The person asked about accepts, saying how the requester may reach them: the two are
    tied, the introduction is recorded, and each is told how to reach the other."""
    intro = introduction_for(db, target, intro_id, "target")
    _waiting(intro, "brokered")
    set_contact(intro, target.id, shares, contact)
    _close(intro, "accepted")
    add_tie(db, intro.requester_id, intro.target_id, source="introduction",
            community_id=intro.community_id)
    low, high = ordered(intro.requester_id, intro.target_id)
    db.add(Interaction(low_id=low, high_id=high, kind="introduction", at=intro.decided_at))
    db.flush()
    requester, link = intro.requester, f"/introductions/{intro.id}"
    # The reach line is written when ``notify`` renders the text, in the recipient's language.
    notify(db, requester.id, "introduction", _l(
        "%(name)s accepted your introduction. %(reach)s", name=target.display_name,
        reach=LazyString(reach_line, target.display_name, contact_of(intro, "target"))),
        link, key=f"introduction:{intro.id}:accepted")
    notify(db, target.id, "introduction", _l(
        "You and %(name)s are connected. %(reach)s", name=requester.display_name,
        reach=LazyString(reach_line, requester.display_name, contact_of(intro, "requester"))),
        link, key=f"introduction:{intro.id}:accepted")
    return intro


def target_decline(db: Session, target: User, intro_id: int) -> Introduction:
    intro = introduction_for(db, target, intro_id, "target")
    _waiting(intro, "brokered")
    return _close(intro, "declined")


def decline(db: Session, user: User, intro_id: int) -> Introduction:
    """Decline in whichever part ``user`` plays: as the broker, or as the person asked about."""
    intro = introduction_for(db, user, intro_id)
    if intro.broker_id == user.id:
        return broker_decline(db, user, intro_id)
    return target_decline(db, user, intro_id)  # 404 for the requester: they withdraw instead


def withdraw(db: Session, requester: User, intro_id: int) -> Introduction:
    intro = introduction_for(db, requester, intro_id, "requester")
    if not intro.is_open:
        raise Conflict(_("This request is already closed."))
    return _close(intro, "withdrawn")


def status_line(intro: Introduction, viewer_id: int) -> str:
    """What ``viewer_id`` may know of where an introduction stands: never who declined."""
    requester, target = intro.requester.display_name, intro.target.display_name
    if intro.status == "accepted":
        if viewer_id == intro.broker_id:
            return str(_("%(requester)s and %(target)s are now connected.", requester=requester,
                         target=target))
        other = target if viewer_id == intro.requester_id else requester
        return str(_("Introduced: you are now connected with %(name)s.", name=other))
    if viewer_id == intro.requester_id:
        if intro.status == "withdrawn":
            return str(_("You withdrew this request."))
        return _("Waiting for replies.") if intro.is_open else str(NOT_AHEAD)
    if viewer_id == intro.broker_id:
        if intro.status == "requested":
            return str(_("%(requester)s asks you to introduce them to %(target)s.",
                         requester=requester, target=target))
        if intro.status == "brokered":
            return str(_("You introduced them; waiting for %(name)s to reply.", name=target))
        declined_by_me = intro.status == "declined" and intro.brokered_at is None
        return _("You declined to introduce them.") if declined_by_me else str(NOT_AHEAD)
    if intro.status == "brokered":
        return str(_("%(broker)s would like to introduce you to %(requester)s.",
                     broker=intro.broker.display_name, requester=requester))
    return _("You declined this introduction.") if intro.status == "declined" else str(NOT_AHEAD)


@dataclass
class Panel:
    """Everything templates/introductions/_panel.html shows one member."""

    suggestions: list[Suggestion]
    to_broker: list[Introduction]  # waiting for me to agree or decline
    to_accept: list[Introduction]  # waiting for me to accept or decline
    history: list[Introduction]  # the rest I may see, newest first
    has_needs: bool


def panel(db: Session, user: User) -> Panel:
    mine = or_(Introduction.requester_id == user.id, Introduction.broker_id == user.id,
               and_(Introduction.target_id == user.id, Introduction.brokered_at.is_not(None)))
    rows = list(db.scalars(select(Introduction).where(mine)
                           .order_by(Introduction.created_at.desc(), Introduction.id.desc())))
    to_broker = [i for i in rows if i.broker_id == user.id and i.status == "requested"]
    to_accept = [i for i in rows if i.target_id == user.id and i.status == "brokered"]
    waiting = {i.id for i in to_broker + to_accept}
    return Panel(suggestions(db, user.id), to_broker, to_accept,
                 [i for i in rows if i.id not in waiting][:HISTORY], bool(_needs(db, user.id)))

