"""Equal airtime: each member's turns and time as client and as contributor, from the room's
own events (when stages began and finished, who contributed) — never audio.

Client time is the time of the rounds (focus rounds) a member was the client of. Contributor
time is the time of the consultants' steps, shared among the members who contributed in
each in proportion to their contributions. Each member sees their own share; the
facilitator sees everyone's and the spread. A nudge goes out when someone is below half an
equal share: of contributions once the room has made at least one per member, of client
time once their rounds are over (in formats where everyone is a client).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.live.formats import CLIENT_STEPS, stage_clients
from circles.live.room import holder, member_ids
from circles.models import (
    Attendance,
    CircleSession,
    Contribution,
    SessionPhase,
    SessionStage,
    as_utc,
)
from circles.models.live import ROUNDS

View = dict[str, Any]
#: The phases whose stages belong to one client each.
COUNTED = ("focus", ROUNDS)
#: Formats in which every member is a client in turn, so client time should be equal.
EVERYONE_A_CLIENT = ("wise_crowds", "troika", "action_learning")


def _elapsed(stage: SessionStage, now: datetime) -> float:
    if stage.began_at is None:
        return 0.0
    end = stage.finished_at or (now if stage.status == "active" else stage.began_at)
    return max(0.0, (as_utc(end) - as_utc(stage.began_at)).total_seconds())


def _people(db: Session, session: CircleSession) -> list[int]:
    """The members airtime is shared among: those who came, else all current members."""
    members = member_ids(db, session.circle_id)
    came = set(db.scalars(select(Attendance.user_id)
                          .where(Attendance.session_id == session.id)))
    return [uid for uid in members if uid in came] or members


def figures(db: Session, session: CircleSession, now: datetime) -> list[View]:
    """One row per member: client turns and seconds, contributions and contributor seconds,
    and their shares of the room's totals (0..1)."""
    people = _people(db, session)
    rows = {uid: {"member_id": uid, "client_turns": 0, "client_seconds": 0.0,
                  "contributions": 0, "contributor_seconds": 0.0} for uid in people}
    said: dict[tuple[int, int | None], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for stage_id, trio, author in db.execute(
            select(Contribution.stage_id, Contribution.trio, Contribution.author_id)
            .join(SessionStage).join(SessionPhase)
            .where(SessionPhase.session_id == session.id, SessionPhase.kind.in_(COUNTED),
                   Contribution.stopped_at.is_(None))):
        if author is not None:
            said[stage_id, trio][author] += 1
    rounds: set[tuple[int, int, int]] = set()
    for phase in db.scalars(select(SessionPhase).where(SessionPhase.session_id == session.id,
                                                       SessionPhase.kind.in_(COUNTED))):
        for stage in phase.stages:
            _count_stage(rows, rounds, said, phase, stage, _elapsed(stage, now))
    totals = {key: sum(float(r[key]) for r in rows.values())
              for key in ("client_seconds", "contributions")}
    for row in rows.values():
        row["client_share"] = _share(row["client_seconds"], totals["client_seconds"])
        row["contributor_share"] = _share(row["contributions"], totals["contributions"])
        row["client_seconds"] = round(row["client_seconds"])
        row["contributor_seconds"] = round(row["contributor_seconds"])
    return list(rows.values())


def _count_stage(rows: dict[int, View], rounds: set[tuple[int, int, int]],
                 said: dict[tuple[int, int | None], dict[int, int]], phase: SessionPhase,
                 stage: SessionStage, elapsed: float) -> None:
    clients = stage_clients(phase, stage)
    for uid in clients:
        if uid in rows:
            rows[uid]["client_seconds"] += elapsed
            turn = (phase.id, stage.round if stage.round is not None else stage.id, uid)
            if turn not in rounds and (stage.began_at is not None):
                rounds.add(turn)
                rows[uid]["client_turns"] += 1
    for (stage_id, _trio), authors in said.items():
        if stage_id != stage.id:
            continue
        spoken = {uid: n for uid, n in authors.items() if uid in rows and uid not in clients}
        for uid, n in spoken.items():
            rows[uid]["contributions"] += n
            if stage.step not in CLIENT_STEPS:
                rows[uid]["contributor_seconds"] += elapsed * n / sum(spoken.values())


def _share(part: float, total: float) -> float:
    return round(part / total, 3) if total else 0.0


def nudges(session: CircleSession, rows: list[View], rounds_over: set[int]) -> list[View]:
    """Who is below half an equal share, and of what."""
    if not rows:
        return []
    half = 0.5 / len(rows)
    found: list[View] = []
    if sum(r["contributions"] for r in rows) >= len(rows):
        found += [{"member_id": r["member_id"], "kind": "contributor"}
                  for r in rows if r["contributor_share"] < half]
    done = [r for r in rows if r["member_id"] in rounds_over]
    if session.format in EVERYONE_A_CLIENT and done:
        mean = sum(r["client_seconds"] for r in done) / len(done)
        found += [{"member_id": r["member_id"], "kind": "client"}
                  for r in done if r["client_seconds"] < mean / 2]
    return found


def _rounds_over(db: Session, session: CircleSession) -> set[int]:
    """Members who were a client and have no round of theirs still to come."""
    past: set[int] = set()
    ahead: set[int] = set()
    for phase in db.scalars(select(SessionPhase).where(SessionPhase.session_id == session.id,
                                                       SessionPhase.kind.in_(COUNTED))):
        for stage in phase.stages:
            (past if stage.status == "done" else ahead).update(stage_clients(phase, stage))
    return past - ahead


def views(db: Session, session: CircleSession, now: datetime) -> dict[int, View]:
    """What each member sees of airtime: their own row, the equal share and their nudges;
    the facilitator also everyone's rows, the spread of shares and every nudge."""
    rows = figures(db, session, now)
    found = nudges(session, rows, _rounds_over(db, session))
    equal = round(1 / len(rows), 3) if rows else 0.0
    facilitator = holder(session, "facilitator")
    seen = {}
    for row in rows:
        uid = row["member_id"]
        view: View = {"equal_share": equal, "mine": row,
                      "nudges": [n["kind"] for n in found if n["member_id"] == uid]}
        if uid == facilitator:
            view["everyone"] = {"members": rows, "nudges": found, "spread": {
                key: round(max(r[key] for r in rows) - min(r[key] for r in rows), 3)
                for key in ("client_share", "contributor_share")}}
        seen[uid] = view
    return seen


def under_way(db: Session, session: CircleSession) -> bool:
    """Whether a focus or round stage of the session has begun (there is airtime to show)."""
    return db.scalar(select(SessionStage.id).join(SessionPhase).where(
        SessionPhase.session_id == session.id, SessionPhase.kind.in_(COUNTED),
        SessionStage.began_at.is_not(None)).limit(1)) is not None


def view_for(db: Session, session: CircleSession, member_id: int, now: datetime) -> View | None:
    """One member's airtime view (None for a member who was not in the session)."""
    return views(db, session, now).get(member_id)


def private_changes(db: Session, session: CircleSession,
                    now: datetime) -> list[tuple[int, View]]:
    """The ``airtime`` private change for every member, after a step of a round."""
    return [(uid, {"type": "airtime", "airtime": view})
            for uid, view in views(db, session, now).items()]
