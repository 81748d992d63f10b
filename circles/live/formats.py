"""Peer-consulting formats: the phases and rounds of a session run as Wise Crowds, Troika
Consulting, a clearness committee or an action learning set.

A session's ``format`` is chosen when it is planned ("circle", the default, keeps the
circle's own phase order). Every other format has one ``rounds`` phase: a round per client
(focus person, presenter), each round a run of steps with a planned length. Who is client in
which round is read by ``clients_of``; the rules of each step (who may contribute what) by
``contribution_rules``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict
from circles.live.room import member_ids
from circles.models import CircleSession, Presence, SessionPhase, SessionStage
from circles.models.live import ROUNDS

#: The phases of each format other than the circle's own order.
PHASES: dict[str, tuple[str, ...]] = {
    "wise_crowds": ("checkin", ROUNDS, "close"),
    "troika": ("checkin", ROUNDS, "close"),
    "clearness": ("checkin", ROUNDS, "close"),
    "action_learning": ("review", ROUNDS, "commitments", "close"),
}
#: Each format's steps of one round, with their planned lengths in seconds.
STEPS: dict[str, tuple[tuple[str, int], ...]] = {
    # Liberating Structures: ~15 minutes per person helped.
    "wise_crowds": (("present", 120), ("clarify", 180), ("discuss", 480), ("respond", 120)),
    # ~10 minutes per round, in trios.
    "troika": (("present", 240), ("discuss", 240), ("respond", 120)),
    "clearness": (("present", 300), ("questions", 2400), ("respond", 300)),
    # A fixed airtime per presenter.
    "action_learning": (("present", 900),),
}
#: Steps in which the client holds the floor; in the others the consultants do.
CLIENT_STEPS = ("present", "respond")
#: Steps in which the client has turned away and only listens: their view is read-only.
TURNED_AWAY = ("discuss",)
#: What each format's rounds take; a clearness committee takes open questions only.
KINDS: dict[str, tuple[str, ...]] = {
    "clearness": ("question",),
}
ROUND_KINDS = ("question", "story", "resource", "idea", "reflection")
TRIO = 3


def phase_kinds(session: CircleSession, circle_order: list[str]) -> list[str]:
    """The phases a session runs: its format's, or the circle's own order."""
    return list(PHASES.get(session.format, circle_order))


def present_members(db: Session, session: CircleSession) -> list[int]:
    """Members in the room now (all members if nobody is), in the order they joined."""
    members = member_ids(db, session.circle_id)
    here = set(db.scalars(select(Presence.user_id).where(Presence.session_id == session.id)))
    return [uid for uid in members if uid in here] or members


def _client_history(db: Session, session: CircleSession) -> list[int | None]:
    """Clients of the circle's earlier rounds, oldest first (for the fair order)."""
    return list(db.scalars(
        select(SessionStage.focus_user_id).join(SessionPhase).join(CircleSession)
        .where(CircleSession.circle_id == session.circle_id, CircleSession.id != session.id,
               SessionPhase.kind == ROUNDS)
        .order_by(CircleSession.starts_at, SessionStage.id)))


def fair_order(history: Sequence[int | None], members: Sequence[int]) -> list[int]:
    """Members ordered for rounds: never a client first, then least recently, then fewest
    times, then lowest id — the same fairness as the session roles' rotation."""
    last = {uid: index for index, uid in enumerate(history) if uid is not None}
    times = {uid: sum(1 for h in history if h == uid) for uid in members}
    return sorted(members, key=lambda uid: (last.get(uid, -1), times[uid], uid))


def recorders(clients: Sequence[int], members: Sequence[int]) -> list[int | None]:
    """A recorder per round, never the round's client: whoever recorded least so far, then
    whoever is client furthest ahead (so nobody records just before their own turn)."""
    counts = dict.fromkeys(members, 0)
    chosen: list[int | None] = []
    for index, client in enumerate(clients):
        upcoming = list(clients[index + 1:])
        others = [uid for uid in members if uid != client]
        if not others:
            chosen.append(None)
            continue
        pick = min(others, key=lambda uid: (counts[uid], -_distance(uid, upcoming), uid))
        counts[pick] += 1
        chosen.append(pick)
    return chosen


def _distance(uid: int, upcoming: list[int]) -> int:
    return upcoming.index(uid) if uid in upcoming else len(upcoming) + 1


def trios(order: Sequence[int]) -> list[list[int]]:
    """Split the room into trios (a group of four or a pair where it does not divide by
    three), dealing members round the groups in the fair order."""
    count = max(1, round(len(order) / TRIO))
    groups: list[list[int]] = [[] for _ in range(count)]
    for index, uid in enumerate(order):
        groups[index % count].append(uid)
    return groups


def build_rounds(db: Session, session: CircleSession, phase: SessionPhase) -> None:
    """Give the rounds phase its stages: one per step of each round, clients in fair order."""
    members = present_members(db, session)
    order = fair_order(_client_history(db, session), members)
    if session.format == "clearness":
        focus = session.focus_person_id
        order = [focus] if focus in members else order[:1]
    steps = STEPS[session.format]
    if session.format == "troika":
        phase.trios = trios(order)
        clients: list[int] = []
        rounds = max(len(t) for t in phase.trios)
        recorder_of: list[int | None] = [None] * rounds
    else:
        clients = order
        rounds = len(clients)
        recorder_of = recorders(clients, members)
    stages: list[SessionStage] = []
    for number in range(rounds):
        for step, seconds in steps:
            stages.append(SessionStage(
                position=len(stages), round=number, step=step, seconds=seconds,
                focus_user_id=clients[number] if clients else None,
                recorder_id=recorder_of[number]))
    phase.stages = stages


def trio_of(phase: SessionPhase, member_id: int) -> int | None:
    """The index of the member's trio in a Troika phase, or None."""
    for index, group in enumerate(phase.trios or []):
        if member_id in group:
            return index
    return None


def stage_clients(phase: SessionPhase, stage: SessionStage) -> list[int]:
    """The client(s) of a stage: its focus member, or in Troika each trio's for the round."""
    if phase.trios is not None and stage.round is not None:
        return [group[stage.round] for group in phase.trios if stage.round < len(group)]
    return [] if stage.focus_user_id is None else [stage.focus_user_id]


def clients_of(db: Session, session_id: int) -> list[tuple[int, int]]:
    """Who was helped in each stage: ``(stage_id, member_id)`` for every step of a format's
    rounds (Troika: one pair per trio) and every focus round of the circle's own format (its
    item's author), in the order they run. What others contributed to that stage
    (``Contribution.stage_id``) was offered to that member."""
    found: list[tuple[int, int]] = []
    for phase in db.scalars(select(SessionPhase).where(
            SessionPhase.session_id == session_id, SessionPhase.kind.in_(("focus", ROUNDS)))
            .order_by(SessionPhase.position)):
        for stage in phase.stages:
            found.extend((stage.id, uid) for uid in stage_clients(phase, stage))
    return found


def contribution_rules(session: CircleSession, phase: SessionPhase, stage: SessionStage,
                       member_id: int) -> tuple[tuple[str, ...], int | None]:
    """The kinds ``member_id`` may add to a round stage now and the trio it goes to; refuses
    a client who has turned away (their view is read-only) and a member without a trio."""
    trio = None
    if phase.trios is not None:
        trio = trio_of(phase, member_id)
        if trio is None or stage.round is None or stage.round >= len(phase.trios[trio]):
            raise Conflict(_("Your trio has no round under way now."))
    if stage.step in TURNED_AWAY and member_id in stage_clients(phase, stage):
        raise Conflict(_("You have turned away: listen while the consultants talk, then say "
                         "what was useful."))
    return KINDS.get(session.format, ROUND_KINDS), trio


def check_timer(session: CircleSession, stage: SessionStage, verb: str) -> None:
    """An action learning set gives each presenter a fixed airtime: it is not extended."""
    if session.format == "action_learning" and stage.step is not None and verb == "extend":
        raise Conflict(_("Each presenter has the same fixed airtime in an action learning "
                         "set; it cannot be extended."))


#: Why a kind is refused in a format's rounds, in words.
KIND_REFUSALS = {
    "clearness": _l("A clearness committee takes open questions only: ask, do not advise."),
}
