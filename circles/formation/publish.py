"""Publishing a planned round: every rule checked again against the community as it is now,
exceptions only where the facilitator accepted each one by name, circles and seats created
under pleasant names, the round before closed — and, as the facilitator chooses, the other
circles still open (formed by hand or by an earlier run) closed too or kept alongside —
and everyone told: placed members of their circle, members of a closed circle of the
sessions called off, and members who could not be placed of why and what would fix it (in
the app and by e-mail)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import end_circle
from circles.communities.ending import tell_closed
from circles.communities.names import fresh_names
from circles.communities.renewal import renewed_members
from circles.communities.rounds import round_number, round_offset
from circles.errors import Conflict, InvalidInput, NotFound
from circles.formation.next_round import upcoming_round
from circles.formation.plan import draft_run, problem_for
from circles.formation.preview import break_words
from circles.formation.problem import Break
from circles.formation.report import set_aside_in
from circles.formation.solve import check
from circles.formation.stored import circle_name, names_of, planned, planned_ids
from circles.kept import Kept, english, shown
from circles.members.meeting_hours import placement_fix
from circles.models import Circle, CircleMember, Community, FormationRun, Membership, User, utcnow
from circles.notify.notifications import notify

OTHERS = ("close", "keep")  # what publishing does to the other circles still open


def others_open(db: Session, run: FormationRun) -> list[Circle]:
    """Circles of the run's community still open that the run did not form (formed by hand,
    or by an earlier run): publishing closes them or keeps them, as the facilitator chooses.
    Circles everyone renewed are not among them: they stay open whatever is chosen."""
    return list(db.scalars(select(Circle).where(
        Circle.community_id == run.community_id, Circle.closed_at.is_(None),
        Circle.renewed_at.is_(None),
        (Circle.formation_run_id.is_(None)) | (Circle.formation_run_id != run.id))
        .order_by(Circle.created_at, Circle.id)))


def publish(db: Session, run: FormationRun, *, round_no: int | None = None,
            accept: Iterable[str] = (), others: str = "close") -> list[Circle]:
    """Create the next round's circles and seats in one go, and close the round before it;
    ``others`` says whether the other open circles (``others_open``) close too ("close") or
    stay alongside the new ones ("keep").

    ``round_no`` is the round the caller meant (the page's button): a round published
    meanwhile is refused, never followed by the next one. Refuses a discarded or finished run,
    a round in which someone left the community since it was planned, two members who must be
    kept apart in one circle, and any other broken rule (a repeat, a circle with no shared
    hour) whose key is not in ``accept``. Closed circles keep their seats (history and ties)."""
    if others not in OTHERS:
        raise InvalidInput.field("others", _("Choose whether the circles still open close "
                                             "or stay open."))
    locked = db.get(FormationRun, run.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("formation run")
    rounds = planned(locked)
    upcoming = upcoming_round(db, locked, round_no, rounds)
    circles_planned = rounds[upcoming - 1]
    _check_present(db, locked.community_id, circles_planned, upcoming)
    accepted = _check_rules(db, locked, circles_planned, upcoming, set(accept))
    now = utcnow()
    # Not the name of any circle open until now, even one this publish closes.
    names = fresh_names(len(circles_planned), seed=f"{locked.params.get('seed', 1)}:{upcoming}",
                        taken=list(db.scalars(select(Circle.name).where(
                            Circle.community_id == locked.community_id,
                            Circle.closed_at.is_(None)))))
    number = round_number(db, locked, upcoming)
    _close_before(db, locked, upcoming, others, now,
                  _l("round %(number)s was published", number=number))
    circles = [
        Circle(community_id=locked.community_id, name=name,
               kind="pair" if len(members) == 2 else "group", created_by_id=locked.created_by_id,
               formation_run_id=locked.id, round_no=upcoming,
               seats=[CircleMember(user_id=uid) for uid in members])
        for name, members in zip(names, circles_planned, strict=True)
    ]
    db.add_all(circles)
    if locked.status == "draft":
        locked.status, locked.published_at = "published", now
    db.flush()
    for circle in circles:
        for seat in circle.seats:
            notify(db, seat.user_id, "new_circle", _l("You are in a new circle: %(name)s.",
                                                         name=circle.name),
                   f"/circles/{circle.id}", key=f"new_circle:{circle.id}")
    tell_not_placed(db, locked, upcoming)
    locked.figures = {**locked.figures, "accepted": sorted(
        set(locked.figures.get("accepted", [])) | accepted)}
    return circles


def _close_before(db: Session, run: FormationRun, upcoming: int, others: str, now: datetime,
                  why: LazyString) -> None:
    """Close the run's round before ``upcoming`` and, when ``others`` is "close", every other
    circle still open; members of a circle whose sessions were called off are told."""
    closing = list(db.scalars(select(Circle).where(
        Circle.formation_run_id == run.id, Circle.round_no == upcoming - 1,
        Circle.closed_at.is_(None), Circle.renewed_at.is_(None))))
    if others == "close":
        closing += others_open(db, run)
    for circle in closing:
        called_off = end_circle(db, circle, now)
        if called_off:
            tell_closed(db, circle, called_off, why)


def _check_present(db: Session, community_id: int, circles: list[list[int]], round_no: int) -> None:
    """Everyone planned is still in the community: refuse rather than seat a former member."""
    ids = planned_ids([circles])
    present = set(db.scalars(select(Membership.user_id).where(
        Membership.community_id == community_id, Membership.user_id.in_(ids))))
    gone = [uid for uid in ids if uid not in present]
    if gone:
        names = db.scalars(select(User.display_name).where(User.id.in_(gone)).order_by(User.id))
        who = ", ".join(names) or _("A member")
        raise Conflict(_("%(names)s left the community after this plan was made: run formation "
                         "again before publishing.", names=who) if round_no == 1 else
                       _("%(names)s left the community after this plan was made: prepare round "
                         "%(round)s again before publishing.", names=who, round=round_no))
    kept = [uid for uid in ids if uid in renewed_members(db, community_id)]
    if kept:
        names = db.scalars(select(User.display_name).where(User.id.in_(kept)).order_by(User.id))
        raise Conflict(_("The circle of %(names)s was renewed after this plan was made and "
                         "stays as it is: run formation again before publishing.",
                         names=", ".join(names)))


def _check_rules(db: Session, run: FormationRun, circles: list[list[int]], round_no: int,
                 accept: set[str]) -> set[str]:
    """Check every rule again with the community as it is now; returns the keys of the
    exceptions accepted. A separation or an ended circle can never be accepted."""
    problem = problem_for(db, run, planned_ids([circles]), exclude=False)
    found = check(problem, [circles], first_round=round_no)
    names = names_of(db, {uid for b in found for uid in b.members})
    index = problem.util.index
    for item in found:
        if not item.acceptable:
            a, b = item.members
            low, high = sorted((index[a], index[b]))
            cause = problem.rules.causes.get((low, high), "")
            where = circle_name(round_no, item.circle, round_offset(db, run))
            first, second = names.get(a, _("A member")), names.get(b, _("a member"))
            raise Conflict(_("%(name)s and %(other)s must not be grouped again (one called it "
                             "a day in a circle with the other) but share %(circle)s: move one "
                             "of them first.", name=first, other=second, circle=where)
                           if cause == "ended" else
                           _("%(name)s and %(other)s must not be grouped but share %(circle)s: "
                             "move one of them first.", name=first, other=second, circle=where))
    allow = bool(run.params.get("allow_repeats"))
    open_ = [b for b in found if b.key not in accept and not (allow and b.rule == "repeat")]
    if open_:
        listed = " ".join(break_words(b, names, round_offset(db, run)) for b in open_)
        raise Conflict(ngettext("This round breaks a rule: %(listed)s Accept each one below, or "
                                "change the circles, before publishing.",
                                "This round breaks %(num)d rules: %(listed)s Accept each one "
                                "below, or change the circles, before publishing.",
                                len(open_), listed=listed))
    _store_breaks(db, run, found, round_no)
    return {b.key for b in found}


def _store_breaks(db: Session, run: FormationRun, found: list[Break], round_no: int) -> None:
    """Keep the round's breaks as published (what was accepted stays on record)."""
    others = [row for row in run.figures.get("breaks", []) if row["round"] != round_no]
    run.figures = {**run.figures, "breaks": others + [b.as_dict() for b in found]}


def tell_not_placed(db: Session, run: FormationRun, round_no: int) -> None:
    """Tell each member left out of round ``round_no`` why, and what would fix it."""
    community = db.get(Community, run.community_id)
    name = community.name if community else _l("your community")
    number = round_number(db, run, round_no)
    for row in set_aside_in(run, round_no):
        user = db.get(User, row["user_id"])
        if user is None or not user.is_active:
            continue
        # In the member's language, as the notice is (notify renders it for them).
        fix = LazyString(placement_fix, db, run.community_id, user, english(row["reason"]))
        notify(db, user.id, "not_placed",
               _l("You were not placed in a circle in round %(number)s of %(name)s: "
                  "%(reason)s %(fix)s", number=number, name=name,
                  reason=LazyString(_why, row["reason"]), fix=fix), "/profile#availability",
               key=f"not_placed:{run.id}:{round_no}")


def _why(reason: Kept) -> str:
    """Why a member was not placed, in the reader's language, to follow a colon."""
    why = shown(reason).split(": ", 1)[-1]
    return f"{why[:1].lower()}{why[1:]}"


def discard(db: Session, run: FormationRun) -> FormationRun:
    """Throw the plan away; nothing is published."""
    draft_run(db, run.id)
    run.status = "discarded"
    return run
