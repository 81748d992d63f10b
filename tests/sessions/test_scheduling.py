"""Scheduling: series across daylight saving, validation, fair role rotation, claims, swaps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import scoped_session

from circles.communities.circle import add_to_circle, leave_circle
from circles.errors import CircleClosed, Conflict, InvalidInput, NotFound
from circles.models import Circle, CircleSession, SessionRole, User, as_utc
from circles.models.sessions import ROLES
from circles.sessions import roles, scheduling

# Fixed dates in 2030 keep the daylight-saving changes known: Europe/Berlin springs forward on
# 31 March 2030 (02:00 → 03:00) and falls back on 27 October; New York on 10 March / 3 Nov.
NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)

Db = scoped_session[Any]


@pytest.fixture
def trio(make_user: Callable[..., User], make_community: Any,
         make_circle: Any) -> dict[str, Any]:
    """A circle of three (ids ascending: ana < ben < cy) and an outsider of the community."""
    ana, ben, cy = (make_user(display_name=n) for n in ("Ana", "Ben", "Cy"))
    other, stranger = make_user(display_name="Dee"), make_user(display_name="Stranger")
    community = make_community(ana, members=[ben, cy, other])
    circle = make_circle(community, [ana, ben, cy], name="Trio")
    return {"ana": ana.id, "ben": ben.id, "cy": cy.id, "other": other.id,
            "stranger": stranger.id, "circle": circle.id, "community": community}


def plan(db: Db, circle_id: int, user_id: int, **fields: Any) -> list[CircleSession]:
    values: dict[str, Any] = {"date": "2030-03-21", "time": "18:00", "timezone": "Europe/Berlin",
                              "duration_minutes": 90, "now": NOW}
    values.update(fields)
    return scheduling.schedule(db, db.get_one(Circle, circle_id), db.get_one(User, user_id),
                               **values)


def holders(session: CircleSession) -> tuple[int | None, ...]:
    held = {r.role: r.user_id for r in session.roles}
    return tuple(held[role] for role in ROLES)


def role(session: CircleSession, name: str) -> SessionRole:
    return next(r for r in session.roles if r.role == name)


# --- when ------------------------------------------------------------------------------------

def test_weekly_series_keeps_local_time_across_spring_forward(db: Db, trio: dict[str, Any]) -> None:
    sessions = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=3)
    db.commit()
    berlin = ZoneInfo("Europe/Berlin")
    utc = [as_utc(s.starts_at) for s in sessions]
    assert utc == [datetime(2030, 3, 21, 17, tzinfo=UTC), datetime(2030, 3, 28, 17, tzinfo=UTC),
                   datetime(2030, 4, 4, 16, tzinfo=UTC)]  # CET (UTC+1), then CEST (UTC+2)
    assert {u.astimezone(berlin).strftime("%H:%M") for u in utc} == {"18:00"}
    assert len({s.series_id for s in sessions}) == 1 and sessions[0].series_id is not None


def test_monthly_series_across_fall_back_in_new_york(db: Db, trio: dict[str, Any]) -> None:
    sessions = plan(db, trio["circle"], trio["ana"], date="2030-10-31", time="09:30",
                    timezone="America/New_York", cadence="monthly", count=3)
    # 31 Oct EDT (UTC-4); Nov has 30 days so the 30th, EST (UTC-5); then 31 Dec.
    assert [as_utc(s.starts_at) for s in sessions] == [
        datetime(2030, 10, 31, 13, 30, tzinfo=UTC), datetime(2030, 11, 30, 14, 30, tzinfo=UTC),
        datetime(2030, 12, 31, 14, 30, tzinfo=UTC)]


def test_fortnightly_series_and_a_repeated_local_time_means_its_first_occurrence(
        db: Db, trio: dict[str, Any]) -> None:
    sessions = plan(db, trio["circle"], trio["ana"], date="2030-10-13", time="02:30",
                    cadence="fortnightly", count=2)
    # 27 Oct 02:30 happens twice in Berlin; the first is still summer time (UTC+2).
    assert [as_utc(s.starts_at) for s in sessions] == [
        datetime(2030, 10, 13, 0, 30, tzinfo=UTC), datetime(2030, 10, 27, 0, 30, tzinfo=UTC)]


def test_a_series_running_into_a_daylight_saving_gap_is_refused_whole(
        db: Db, trio: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(db, trio["circle"], trio["ana"], date="2030-03-17", time="02:30",
             cadence="weekly", count=3)
    assert caught.value.errors == {"time": "02:30 does not exist on 31 Mar 2030 in "
                                           "Europe/Berlin: the clocks go forward then. "
                                           "Choose another time."}
    assert db.query(CircleSession).count() == 0


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"date": "21/03/2030"}, "date", "Enter the date as YYYY-MM-DD"),
    ({"date": ""}, "date", "Enter the date as YYYY-MM-DD"),
    ({"date": "2030-02-30"}, "date", "Enter the date as YYYY-MM-DD"),
    ({"time": "6pm"}, "time", "Enter the time as HH:MM on a 24-hour clock"),
    ({"time": "18:00:30"}, "time", "Enter the time as HH:MM"),
    ({"time": "24:00"}, "time", "Enter the time as HH:MM"),
    ({"timezone": "Mars/Olympus"}, "timezone", "'Mars/Olympus' is not a time zone we know"),
    ({"timezone": "posixrules"}, "timezone", "is not a time zone we know"),
    ({"duration_minutes": 14}, "duration_minutes", "A session lasts 15 to 480 minutes"),
    ({"duration_minutes": 481}, "duration_minutes", "A session lasts 15 to 480 minutes"),
    ({"duration_minutes": None}, "duration_minutes",
     "Choose how many minutes the session lasts: 15 to 480."),
    ({"date": "2030-02-28"}, "date", "28 Feb 2030 18:00 in Europe/Berlin has already passed"),
    ({"date": "2033-01-01"}, "date", "Plan sessions at most two years ahead"),
    ({"cadence": "daily", "count": 3}, "cadence", "weekly, fortnightly or monthly"),
    ({"cadence": "weekly", "count": 1}, "count", "A series has 2 to 26 sessions"),
    ({"cadence": "weekly", "count": 27}, "count", "A series has 2 to 26 sessions"),
    ({"cadence": "weekly", "count": None}, "count", "A series has 2 to 26 sessions"),
    ({"count": 4}, "count", "A one-off session happens once"),
    ({"date": "2030-03-31", "time": "02:15"}, "time", "02:15 does not exist on 31 Mar 2030"),
    ({"title": "x" * 121}, "title", "Keep the title under 120 characters (it has 121)"),
])
def test_every_field_is_checked_with_its_own_message(db: Db, trio: dict[str, Any],
                                                     fields: dict[str, Any], field: str,
                                                     message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(db, trio["circle"], trio["ana"], **fields)
    assert list(caught.value.errors) == [field]
    assert message in caught.value.errors[field]
    assert db.query(CircleSession).count() == 0


def test_several_bad_fields_are_reported_together(db: Db, trio: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(db, trio["circle"], trio["ana"], date="soon", time="later", duration_minutes=5,
             title="t" * 200)
    assert set(caught.value.errors) == {"date", "time", "duration_minutes", "title"}


@pytest.mark.parametrize("who", ["other", "stranger", "left"])
def test_only_current_members_of_an_open_circle_schedule(db: Db, trio: dict[str, Any],
                                                         who: str) -> None:
    if who == "left":
        leave_circle(db, db.get_one(Circle, trio["circle"]), trio["cy"])
        db.commit()
    with pytest.raises(NotFound):
        plan(db, trio["circle"], trio["cy" if who == "left" else who])


def test_a_closed_circle_cannot_schedule(db: Db, trio: dict[str, Any]) -> None:
    """Its members are told it closed (a page says so); to anyone else it does not exist."""
    db.get_one(Circle, trio["circle"]).closed_at = NOW
    db.commit()
    with pytest.raises(CircleClosed, match="no new sessions can be planned"):
        plan(db, trio["circle"], trio["ana"])
    with pytest.raises(NotFound):
        scheduling.member_circle(db, db.get_one(User, trio["other"]), trio["circle"])


def test_reschedule_moves_one_session_bumps_sequence_and_keeps_roles(
        db: Db, trio: dict[str, Any]) -> None:
    first, second = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=2)
    before = holders(first)
    scheduling.reschedule(db, first, db.get_one(User, trio["ben"]), date="2030-03-22",
                          time="09:00", timezone="Asia/Tokyo", duration_minutes=60, now=NOW)
    db.commit()
    assert as_utc(first.starts_at) == datetime(2030, 3, 22, 0, tzinfo=UTC)
    assert (first.duration_minutes, first.sequence, holders(first)) == (60, 1, before)
    assert second.sequence == 0
    with pytest.raises(InvalidInput) as caught:
        scheduling.reschedule(db, first, db.get_one(User, trio["ben"]), date="2030-03-31",
                              time="02:30", timezone="Europe/Berlin", duration_minutes=600,
                              now=NOW)
    assert set(caught.value.errors) == {"duration_minutes"}


def test_cancelled_sessions_stay_listed_and_cannot_change(db: Db, trio: dict[str, Any]) -> None:
    first, second = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=2)
    cy = db.get_one(User, trio["cy"])
    scheduling.cancel(db, first, cy, now=NOW)
    db.commit()
    assert (first.status, first.sequence) == ("cancelled", 1)
    assert scheduling.upcoming(db, db.get_one(Circle, trio["circle"])) == [first, second]
    with pytest.raises(Conflict, match="already cancelled"):
        scheduling.cancel(db, first, cy, now=NOW)
    with pytest.raises(Conflict, match="has not started yet can be moved"):
        scheduling.reschedule(db, first, cy, date="2030-04-01", time="10:00",
                              timezone="UTC", duration_minutes=60, now=NOW)
    with pytest.raises(Conflict, match="cannot change"):
        roles.release_role(db, first, "facilitator", db.get_one(User, holders(first)[0]))
    with pytest.raises(NotFound):
        scheduling.cancel(db, second, db.get_one(User, trio["other"]), now=NOW)


def test_upcoming_and_past(db: Db, trio: dict[str, Any]) -> None:
    circle = db.get_one(Circle, trio["circle"])
    old = plan(db, trio["circle"], trio["ana"], date="2020-06-01", now=datetime(2020, 5, 1,
                                                                                 tzinfo=UTC))
    later, sooner = (plan(db, trio["circle"], trio["ana"], date=d)[0]
                     for d in ("2030-04-02", "2030-03-25"))
    db.commit()
    assert scheduling.upcoming(db, circle) == [sooner, later]
    assert scheduling.past(db, circle) == old
    running = datetime(2030, 3, 25, 17, 30, tzinfo=UTC)  # half an hour into ``sooner``
    assert scheduling.upcoming(db, circle, now=running) == [sooner, later]
    sooner.status = "ended"
    assert scheduling.past(db, circle, now=running) == [sooner, *old]


# --- rotation --------------------------------------------------------------------------------

def test_rotation_over_nine_sessions_gives_everyone_each_role_three_times(
        db: Db, trio: dict[str, Any]) -> None:
    sessions = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=9)
    db.commit()
    held = [holders(s) for s in sessions]
    assert all(len(set(h)) == 3 for h in held)  # three different people every time
    counts = Counter((uid, r) for h in held for uid, r in zip(h, ROLES, strict=True))
    assert set(counts.values()) == {3} and len(counts) == 9
    # Who held the role least recently gets it: the rotation is a 3-cycle, from the lowest id.
    a, b, c = trio["ana"], trio["ben"], trio["cy"]
    assert held[:4] == [(a, b, c), (b, c, a), (c, a, b), (a, b, c)]


def test_rotation_continues_from_earlier_sessions_and_skips_cancelled_ones(
        db: Db, trio: dict[str, Any]) -> None:
    first = plan(db, trio["circle"], trio["ana"], date="2030-03-20")[0]
    called_off = plan(db, trio["circle"], trio["ana"], date="2030-03-21")[0]
    scheduling.cancel(db, called_off, db.get_one(User, trio["ana"]), now=NOW)
    rest = plan(db, trio["circle"], trio["ben"], date="2030-03-27", cadence="weekly", count=2)
    a, b, c = trio["ana"], trio["ben"], trio["cy"]
    assert [holders(s) for s in (first, *rest)] == [(a, b, c), (b, c, a), (c, a, b)]


def test_a_newcomer_is_brought_in_without_taking_every_session(db: Db,
                                                               trio: dict[str, Any]) -> None:
    plan(db, trio["circle"], trio["ana"], cadence="weekly", count=6)
    circle = db.get_one(Circle, trio["circle"])
    add_to_circle(db, circle, trio["other"])
    later = plan(db, trio["circle"], trio["ana"], date="2030-05-02", cadence="weekly", count=8)
    busy = [trio["other"] in holders(s) for s in later]
    assert busy[0] and busy.count(True) == 6  # 8 sessions × 3 roles / 4 members
    per_person = Counter(uid for s in later for uid in holders(s))
    assert set(per_person.values()) == {6}


def test_in_a_pair_the_facilitator_never_keeps_time(db: Db, make_user: Any,
                                                    make_community: Any,
                                                    make_circle: Any) -> None:
    ana, ben = make_user(), make_user()
    circle = make_circle(make_community(ana, members=[ben]), [ana, ben])
    sessions = plan(db, circle.id, ana.id, cadence="weekly", count=4)
    held = [holders(s) for s in sessions]
    assert held == [(ana.id, ben.id, ana.id), (ben.id, ana.id, ben.id)] * 2


# --- claim, release, swap --------------------------------------------------------------------

def test_release_then_claim_and_the_rules_of_claiming(db: Db, trio: dict[str, Any]) -> None:
    session = plan(db, trio["circle"], trio["ana"])[0]
    ana, ben, cy = (db.get_one(User, trio[k]) for k in ("ana", "ben", "cy"))
    assert holders(session) == (ana.id, ben.id, cy.id)
    with pytest.raises(Conflict, match="Someone is already the facilitator; propose a swap"):
        roles.claim_role(db, session, "facilitator", ben)
    with pytest.raises(Conflict, match="You are not the facilitator"):
        roles.release_role(db, session, "facilitator", ben)
    roles.release_role(db, session, "facilitator", ana)
    assert role(session, "facilitator").user_id is None
    with pytest.raises(Conflict, match="facilitator and the timekeeper must be different"):
        roles.claim_role(db, session, "facilitator", ben)  # Ben keeps time already
    with pytest.raises(Conflict, match="at most one role per session"):
        roles.claim_role(db, session, "facilitator", cy)  # Cy takes the notes
    roles.claim_role(db, session, "facilitator", ana)
    with pytest.raises(Conflict, match="already the facilitator"):
        roles.claim_role(db, session, "facilitator", ana)
    with pytest.raises(NotFound):
        roles.claim_role(db, session, "chair", ana)


def test_roles_of_a_past_session_cannot_change(db: Db, trio: dict[str, Any]) -> None:
    old = plan(db, trio["circle"], trio["ana"], date="2020-06-01",
               now=datetime(2020, 5, 1, tzinfo=UTC))[0]
    with pytest.raises(Conflict, match="cannot change"):
        roles.release_role(db, old, "facilitator", db.get_one(User, trio["ana"]))


def test_a_swap_happens_only_when_the_other_holder_accepts(db: Db, trio: dict[str, Any]) -> None:
    first, second = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=2)
    ana, ben, cy = (db.get_one(User, trio[k]) for k in ("ana", "ben", "cy"))
    ana_facilitates = role(first, "facilitator")
    ben_keeps_time = role(first, "timekeeper")
    proposal = roles.propose_swap(db, ana_facilitates, ana, ben_keeps_time.id)
    assert holders(first) == (ana.id, ben.id, cy.id)  # nothing changed yet
    with pytest.raises(NotFound):
        roles.accept_swap(db, proposal, cy)  # not the one asked
    with pytest.raises(NotFound):
        roles.accept_swap(db, proposal, ana)  # nor the proposer herself
    roles.accept_swap(db, proposal, ben)
    assert holders(first) == (ben.id, ana.id, cy.id)
    assert proposal.swap_with_id is None and proposal.swap_proposed_by_id is None
    # Nobody can swap someone else's role away, nor swap with a vacant role.
    with pytest.raises(Conflict, match="You are not the timekeeper"):
        roles.propose_swap(db, role(first, "timekeeper"), cy, role(first, "note_taker").id)
    roles.release_role(db, second, "note_taker", ana)
    with pytest.raises(InvalidInput, match="vacant: claim it instead"):
        roles.propose_swap(db, role(first, "note_taker"), cy, role(second, "note_taker").id)


def test_a_swap_across_sessions_must_keep_one_role_per_person(db: Db,
                                                              trio: dict[str, Any]) -> None:
    first, second = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=2)
    ana = db.get_one(User, trio["ana"])
    # first: Ana facilitates, Ben keeps time, Cy notes; second: Ben, Cy, Ana. Everyone already
    # has a role in both sessions, so any exchange across them doubles someone up.
    with pytest.raises(Conflict, match="at most one role per session"):
        roles.propose_swap(db, role(first, "facilitator"), ana, role(second, "timekeeper").id)


def test_a_swap_across_sessions_with_someone_free_that_day(db: Db, trio: dict[str, Any]) -> None:
    add_to_circle(db, db.get_one(Circle, trio["circle"]), trio["other"])
    first, second = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=2)
    a, b, c, d = (trio[k] for k in ("ana", "ben", "cy", "other"))
    assert (holders(first), holders(second)) == ((a, b, c), (b, a, d))
    cy, dee = db.get_one(User, c), db.get_one(User, d)
    proposal = roles.propose_swap(db, role(first, "note_taker"), cy, role(second, "note_taker").id)
    roles.accept_swap(db, proposal, dee)
    assert (holders(first), holders(second)) == ((a, b, d), (b, a, c))


def test_declining_withdrawing_and_lapsing(db: Db, trio: dict[str, Any]) -> None:
    session = plan(db, trio["circle"], trio["ana"])[0]
    ana, ben, cy = (db.get_one(User, trio[k]) for k in ("ana", "ben", "cy"))
    proposal = roles.propose_swap(db, role(session, "facilitator"), ana,
                                  role(session, "note_taker").id)
    with pytest.raises(NotFound):
        roles.decline_swap(db, proposal, ben)  # neither asked nor asking
    roles.decline_swap(db, proposal, cy)
    assert proposal.swap_with_id is None and holders(session) == (ana.id, ben.id, cy.id)
    proposal = roles.propose_swap(db, role(session, "facilitator"), ana,
                                  role(session, "note_taker").id)
    roles.decline_swap(db, proposal, ana)  # the proposer withdraws
    assert proposal.swap_with_id is None
    # A proposal lapses when either role changes hands before it is accepted.
    proposal = roles.propose_swap(db, role(session, "facilitator"), ana,
                                  role(session, "note_taker").id)
    roles.release_role(db, session, "note_taker", cy)
    assert proposal.swap_with_id is None
    with pytest.raises(NotFound):
        roles.accept_swap(db, proposal, cy)


def test_leaving_the_circle_vacates_future_roles_only(db: Db, trio: dict[str, Any]) -> None:
    old = plan(db, trio["circle"], trio["ana"], date="2020-06-01",
               now=datetime(2020, 5, 1, tzinfo=UTC))[0]
    ahead = plan(db, trio["circle"], trio["ana"], cadence="weekly", count=3)
    ana, ben = db.get_one(User, trio["ana"]), db.get_one(User, trio["ben"])
    assert holders(ahead[0]) == (ben.id, trio["cy"], ana.id)
    proposal = roles.propose_swap(db, role(ahead[0], "facilitator"), ben,
                                  role(ahead[0], "note_taker").id)
    leave_circle(db, db.get_one(Circle, trio["circle"]), trio["ana"], reason="Moving on")
    db.commit()
    assert ana.id in holders(old)  # history is kept
    assert all(ana.id not in holders(s) for s in ahead)
    assert [holders(s).count(None) for s in ahead] == [1, 1, 1]
    assert proposal.swap_with_id is None  # the offer towards Ana's role lapsed
    assert db.query(SessionRole).filter(SessionRole.user_id.is_(None)).count() == 3
    now = datetime.now(UTC)
    assert all(as_utc(s.starts_at) > now + timedelta(days=1) for s in ahead)
