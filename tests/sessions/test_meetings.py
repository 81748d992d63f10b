"""Did we meet? The first answer records attendance, later ones may add themselves; a tie made
in a circle counts once the two have met; two sessions in a row not held raise the at-risk
flag; the share of a round's circles that met in its first two weeks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.growth import pulse
from circles.models import (
    Attendance,
    Circle,
    CircleSession,
    Interaction,
    Notification,
    User,
    utcnow,
)
from circles.network import community as network_community
from circles.network import history
from circles.network.ties import add_tie
from circles.sessions import meetings
from circles.sessions.reminders import send_due_reminders
from tests.conftest import AuthActions, post_form

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def trio(make_user: Callable[..., User], make_community: Any,
         make_circle: Any) -> dict[str, Any]:
    """Ana, Ben and Cy in one circle (ids ascending); Dee in the community, not the circle."""
    ana, ben, cy, dee = (make_user(display_name=n) for n in ("Ana", "Ben", "Cy", "Dee"))
    fay = make_user(display_name="Fay")
    community = make_community(fay, members=[ana, ben, cy, dee])
    circle = make_circle(community, [ana, ben, cy], name="Trio")
    return {"ana": ana.id, "ben": ben.id, "cy": cy.id, "dee": dee.id, "circle": circle.id,
            "community": community.id,
            "emails": {"ana": ana.email, "ben": ben.email, "dee": dee.email, "fay": fay.email}}


def session_at(db: Any, circle_id: int, starts: datetime, status: str = "scheduled") -> int:
    """A session of 60 minutes starting at ``starts``; the circle was placed 30 days before
    its first session."""
    circle = db.get_one(Circle, circle_id)
    earlier = db.scalars(select(CircleSession.starts_at).where(
        CircleSession.circle_id == circle_id)).all()
    circle.created_at = min([starts, *(s.replace(tzinfo=UTC) for s in earlier)]) - timedelta(days=30)
    for seat in circle.seats:
        seat.joined_at = circle.created_at
    session = CircleSession(circle_id=circle_id, starts_at=starts, duration_minutes=60,
                            status=status)
    db.add(session)
    db.flush()
    return session.id


def me(db: Any, user_id: int) -> User:
    return db.get_one(User, user_id)


def attendance(db: Any, session_id: int) -> dict[int, int | None]:
    return {a.user_id: a.confirmed_by_id for a in db.scalars(
        select(Attendance).where(Attendance.session_id == session_id))}


def test_nobody_is_asked_before_the_session_is_over(db: Any, trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(minutes=30))  # still running
    with pytest.raises(Conflict, match="once the session's time has passed"):
        meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"]], now=NOW)
    assert meetings.questions(db, me(db, trio["ana"]), NOW) == []
    assert [s.id for s in meetings.questions(db, me(db, trio["ana"]), NOW + timedelta(hours=1))
            ] == [sid]


def test_the_first_answer_records_who_was_there_and_that_they_met(
        db: Any, trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1))
    outcome = meetings.report(db, me(db, trio["ben"]), sid, met=True,
                              attended=[trio["ana"], trio["ben"]], now=NOW)
    session = db.get_one(CircleSession, sid)
    assert outcome == "recorded"
    assert (session.status, session.reported_by_id, meetings.confirmed(session)) == (
        "ended", trio["ben"], True)
    assert session.ended_at.replace(tzinfo=UTC) == NOW - timedelta(days=1) + timedelta(hours=1)
    assert attendance(db, sid) == {trio["ana"]: trio["ben"], trio["ben"]: trio["ben"]}
    pairs = db.execute(select(Interaction.low_id, Interaction.high_id, Interaction.kind)
                       .where(Interaction.session_id == sid)).all()
    assert pairs == [(trio["ana"], trio["ben"], "session")]
    assert meetings.questions(db, me(db, trio["cy"]), NOW) == []  # answered for everyone


def test_later_answers_add_only_the_one_who_answers_and_twice_changes_nothing(
        db: Any, trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1))
    meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"]], now=NOW)
    # Cy was there too; ticking Ben as well adds nobody but Cy (Ben speaks for himself)
    assert meetings.report(db, me(db, trio["cy"]), sid, met=True,
                           attended=[trio["ben"], trio["cy"]], now=NOW) == "added"
    assert meetings.report(db, me(db, trio["cy"]), sid, met=True, attended=[trio["cy"]],
                           now=NOW) == "already"
    assert meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"]],
                           now=NOW) == "already"
    assert attendance(db, sid) == {trio["ana"]: trio["ana"], trio["cy"]: trio["cy"]}
    assert db.scalars(select(Interaction.kind).where(Interaction.session_id == sid)).all() == [
        "session"]
    assert db.get_one(CircleSession, sid).reported_by_id == trio["ana"]  # the first answer
    with pytest.raises(Conflict, match="already said it met"):
        meetings.report(db, me(db, trio["ben"]), sid, met=False, attended=[], now=NOW)


def test_we_did_not_meet_marks_the_session_missed(db: Any, trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1))
    assert meetings.report(db, me(db, trio["ana"]), sid, met=False, attended=[trio["ben"]],
                           now=NOW) == "recorded"
    assert (db.get_one(CircleSession, sid).status, attendance(db, sid)) == ("missed", {})
    assert meetings.report(db, me(db, trio["ben"]), sid, met=False, attended=[],
                           now=NOW) == "already"
    with pytest.raises(Conflict, match="^Ana already said your circle did not meet then.$"):
        meetings.report(db, me(db, trio["ben"]), sid, met=True, attended=[trio["ben"]], now=NOW)


@pytest.mark.parametrize(("who", "attended", "error"), [
    ("ana", [], InvalidInput),  # "we met" with nobody ticked
    ("ana", ["dee"], InvalidInput),  # not in this circle
    ("dee", ["dee"], NotFound),  # asking about a circle one does not sit in
])
def test_answers_that_cannot_be_right_are_refused(db: Any, trio: dict[str, Any], who: str,
                                                  attended: list[str],
                                                  error: type[Exception]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1))
    with pytest.raises(error):
        meetings.report(db, me(db, trio[who]), sid, met=True,
                        attended=[trio[a] for a in attended], now=NOW)
    assert db.get_one(CircleSession, sid).status == "scheduled"


@pytest.mark.parametrize("status", ["ended", "live", "cancelled"])
def test_sessions_of_the_live_room_or_called_off_are_not_asked(
        db: Any, trio: dict[str, Any], status: str) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1), status=status)
    assert meetings.questions(db, me(db, trio["ana"]), NOW) == []
    with pytest.raises(Conflict):
        meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"]], now=NOW)


def test_each_member_is_asked_once_and_not_after_two_weeks(db: Any,
                                                           trio: dict[str, Any]) -> None:
    recent = session_at(db, trio["circle"], NOW - timedelta(days=2))
    session_at(db, trio["circle"], NOW - timedelta(days=20))  # too long ago to ask
    assert send_due_reminders(db, NOW) == 3
    assert send_due_reminders(db, NOW) == 0
    asked = db.scalars(select(Notification).where(Notification.kind == "meeting_check")).all()
    assert {n.user_id for n in asked} == {trio["ana"], trio["ben"], trio["cy"]}
    assert {n.link for n in asked} == {f"/sessions/{recent}/meeting"}
    assert asked[0].text.startswith("Did Trio meet for its session on Wed 27 Feb?")


def test_two_members_answering_at_once_are_taken_one_after_the_other(
        app: Flask, trio: dict[str, Any]) -> None:
    with app.app_context():
        sid = session_at(orm.session, trio["circle"], utcnow() - timedelta(days=1))
        orm.session.commit()
        engine = orm.engine
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def answer(who: str, met: bool) -> None:
        try:
            with OrmSession(engine) as db:
                start.wait()
                outcomes[who] = meetings.report(db, db.get_one(User, trio[who]), sid, met=met,
                                                attended=[trio[who]])
                db.commit()
        except Conflict as exc:
            outcomes[who] = exc.message
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(who, True)) for who in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes.values()) == ["added", "recorded"]
    with app.app_context():
        assert set(attendance(orm.session, sid)) == {trio["ana"], trio["ben"]}
        assert orm.session.scalars(select(Interaction.kind).where(
            Interaction.session_id == sid)).all() == ["session"]


# --- the network counts a circle's tie once the two have met -------------------------------


def circle_ties(db: Any, ego: int) -> dict[tuple[int, int], datetime]:
    return {pair: min(at for at, kind in evs if kind == "circle")
            for pair, evs in history.load_events(db, ego=ego).items()
            if any(kind == "circle" for _, kind in evs)}


def test_a_circle_makes_a_tie_only_once_the_two_met(db: Any, trio: dict[str, Any]) -> None:
    ana, ben, cy = trio["ana"], trio["ben"], trio["cy"]
    assert circle_ties(db, ana) == {}  # placed together, never met
    add_tie(db, ana, cy, source="declared", community_id=trio["community"])
    assert set(circle_ties(db, ana)) == {(ana, cy)}  # they knew each other already
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1))
    meetings.report(db, me(db, ben), sid, met=True, attended=[ana, ben], now=NOW)
    ties = circle_ties(db, ana)
    assert set(ties) == {(ana, cy), (ana, ben)}
    assert ties[(ana, ben)] == NOW - timedelta(hours=23)  # first met: when the session ended
    assert history.strength(history.load_events(db, ego=ana)[(ana, ben)]) == 2.0  # circle + session


def test_live_room_attendance_keeps_counting(db: Any, trio: dict[str, Any]) -> None:
    """What the live room recorded (an Interaction per pair when a session ends) is a meeting."""
    sid = session_at(db, trio["circle"], NOW - timedelta(days=1), status="ended")
    db.add(Interaction(low_id=trio["ben"], high_id=trio["cy"], kind="session", session_id=sid,
                       at=NOW - timedelta(hours=23)))
    db.flush()
    assert set(circle_ties(db, trio["cy"])) == {(trio["ben"], trio["cy"])}


def test_the_community_report_counts_new_ties_only_once_met(db: Any,
                                                            trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], utcnow() - timedelta(days=3))
    before = network_community.community_report(db, trio["community"])["rounds"][-1]
    meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"], trio["ben"]])
    after = network_community.community_report(db, trio["community"])["rounds"][-1]
    # four members (Ana, Ben, Cy, Dee): too few for figures, so read the raw events
    assert before["members"] == after["members"] == 4
    events = history.load_events(db, community_id=trio["community"])
    assert {p for p, evs in events.items() if any(k == "circle" for _, k in evs)} == {
        (trio["ana"], trio["ben"])}


# --- at risk and the early-meeting share -----------------------------------------------------


def risk_codes(db: Any, circle_id: int, now: datetime) -> list[str]:
    return [r.code for r in pulse.risks(db, db.get_one(Circle, circle_id), now)]


def test_two_sessions_in_a_row_not_held_raise_the_flag(db: Any, trio: dict[str, Any]) -> None:
    first = session_at(db, trio["circle"], NOW - timedelta(days=10))
    second = session_at(db, trio["circle"], NOW - timedelta(days=1))
    assert "unmet" not in risk_codes(db, trio["circle"], NOW)  # the second is still being asked
    later = NOW + timedelta(days=3)
    assert "unmet" in risk_codes(db, trio["circle"], later)  # nobody said they met, twice
    assert "quiet" not in risk_codes(db, trio["circle"], later)  # long before 45 quiet days
    meetings.report(db, me(db, trio["ana"]), second, met=True, attended=[trio["ana"]], now=later)
    assert "unmet" not in risk_codes(db, trio["circle"], later)
    meetings.report(db, me(db, trio["ana"]), first, met=False, attended=[], now=later)
    third = session_at(db, trio["circle"], later)
    meetings.report(db, me(db, trio["ben"]), third, met=False, attended=[],
                    now=later + timedelta(hours=2))
    assert "unmet" not in risk_codes(db, trio["circle"], later + timedelta(hours=2))  # met between
    fourth = session_at(db, trio["circle"], later + timedelta(days=7))
    meetings.report(db, me(db, trio["ben"]), fourth, met=False, attended=[],
                    now=later + timedelta(days=8))
    risks = pulse.risks(db, db.get_one(Circle, trio["circle"]), later + timedelta(days=8))
    unmet = next(r for r in risks if r.code == "unmet")
    assert unmet.key == f"unmet:{third}"  # one episode, named by its first session
    assert unmet.text == "The last two sessions did not take place, or nobody said they did."


def test_a_confirmed_meeting_keeps_a_circle_from_looking_quiet(db: Any,
                                                               trio: dict[str, Any]) -> None:
    sid = session_at(db, trio["circle"], NOW - timedelta(days=40))
    assert "quiet" in risk_codes(db, trio["circle"], NOW + timedelta(days=2))
    meetings.report(db, me(db, trio["ana"]), sid, met=True, attended=[trio["ana"]], now=NOW)
    assert "quiet" not in risk_codes(db, trio["circle"], NOW + timedelta(days=2))


def test_the_share_of_a_rounds_circles_that_met_in_its_first_two_weeks(
        db: Any, trio: dict[str, Any], make_circle: Any, make_user: Callable[..., User]) -> None:
    began = NOW - timedelta(days=30)
    other = db.get_one(Circle, trio["circle"])
    second = Circle(community_id=trio["community"], name="Second", kind="pair",
                    created_at=began + timedelta(hours=1))
    db.add(second)
    other.created_at = began
    db.flush()
    early = session_at(db, other.id, began + timedelta(days=5), status="ended")
    db.get_one(Circle, other.id).created_at = began  # session_at moved it back
    late = CircleSession(circle_id=second.id, starts_at=began + timedelta(days=20),
                         duration_minutes=60, status="ended")
    db.add(late)
    db.flush()
    assert early
    rounds = {began: [other.id, second.id]}
    assert network_community.met_early(db, rounds, now=NOW)[began] == {
        "circles": 2, "met": 1, "share": 0.5, "settled": True}
    assert network_community.met_early(db, rounds, now=began + timedelta(days=3))[began][
        "settled"] is False


# --- the pages -------------------------------------------------------------------------------


def past_session(app: Flask, trio: dict[str, Any]) -> int:
    with app.app_context():
        sid = session_at(orm.session, trio["circle"], utcnow() - timedelta(days=1))
        orm.session.commit()
    return sid


def test_a_member_answers_on_the_dashboard_with_everyone_ticked(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["ana"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "Did your circle meet?" in dashboard
    assert dashboard.count('name="attended"') == 3 and dashboard.count("checked") >= 3
    sent = post_form(client, f"/sessions/{sid}/meeting",
                     {"attended": [str(trio["ana"]), str(trio["cy"])], "met": "y"}, page="/")
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/circles/{trio['circle']}#sessions")
    circle_page = client.get(f"/circles/{trio['circle']}").get_data(as_text=True)
    assert "Who was there: Ana, Cy" in circle_page
    assert "Did your circle meet?" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert set(attendance(orm.session, sid)) == {trio["ana"], trio["cy"]}


def test_someone_left_out_adds_themselves_on_the_circle_page(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["ana"])
    post_form(client, f"/sessions/{sid}/meeting", {"attended": [str(trio["ana"])], "met": "y"})
    auth.logout()
    auth.login(trio["emails"]["ben"])
    page = f"/circles/{trio['circle']}"
    assert "I was there too" in client.get(page).get_data(as_text=True)
    sent = post_form(client, f"/sessions/{sid}/meeting",
                     {"attended": str(trio["ben"]), "met": "y"}, page=page)
    assert sent.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Who was there: Ana, Ben" in shown and "I was there too" not in shown
    assert "you are on the list of who was there" in shown


def test_we_did_not_meet_from_the_page(app: Flask, client: FlaskClient, auth: AuthActions,
                                       trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["ben"])
    url = f"/sessions/{sid}/meeting"
    assert "Who was there?" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"not_met": "y"}).status_code == 302
    assert "Ben said your circle did not meet then." in client.get(url).get_data(as_text=True)
    assert "did not meet" in client.get(f"/circles/{trio['circle']}").get_data(as_text=True)


def test_nobody_ticked_is_explained_beside_the_checkboxes(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["ana"])
    sent = post_form(client, f"/sessions/{sid}/meeting", {"met": "y"})
    assert sent.status_code == 422
    assert "Tick who was there, or choose “We did not meet”." in sent.get_data(as_text=True)


def test_the_answer_needs_the_csrf_token(app: Flask, client: FlaskClient, auth: AuthActions,
                                         trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["ana"])
    sent = client.post(f"/sessions/{sid}/meeting", data={"attended": str(trio["ana"]),
                                                         "met": "y"})
    assert sent.status_code in (400, 422)
    with app.app_context():
        assert orm.session.get_one(CircleSession, sid).status == "scheduled"


def test_someone_outside_the_circle_finds_nothing(app: Flask, client: FlaskClient,
                                                  auth: AuthActions, trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    auth.login(trio["emails"]["dee"])
    url = f"/sessions/{sid}/meeting"
    assert client.get(url).status_code == 404
    assert post_form(client, url, {"attended": str(trio["dee"]), "met": "y"},
                     page="/").status_code == 404
    assert "Did your circle meet?" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert orm.session.get_one(CircleSession, sid).status == "scheduled"


def test_the_facilitator_sees_how_many_circles_met_early_in_each_round(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session
        circle = db.get_one(Circle, trio["circle"])
        circle.created_at = utcnow() - timedelta(days=20)
        sid = session_at(db, trio["circle"], utcnow() - timedelta(days=15))
        db.get_one(Circle, trio["circle"]).created_at = utcnow() - timedelta(days=20)
        db.commit()
    auth.login(trio["emails"]["fay"])
    url = f"/communities/{trio['community']}/network"
    assert "0 of 1 (0%)" in client.get(url).get_data(as_text=True)
    with app.app_context():
        meetings.report(orm.session, me(orm.session, trio["ana"]), sid, met=True,
                        attended=[trio["ana"], trio["ben"]])
        orm.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Circles that met in their first two weeks" in page and "1 of 1 (100%)" in page


def test_a_facilitator_sees_that_a_circle_met_but_not_who_was_there(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    sid = past_session(app, trio)
    with app.app_context():
        meetings.report(orm.session, me(orm.session, trio["ana"]), sid, met=True,
                        attended=[trio["ana"]])
        orm.session.commit()
    auth.login(trio["emails"]["fay"])
    page = client.get(f"/circles/{trio['circle']}").get_data(as_text=True)
    assert '<span class="badge">met</span>' in page
    assert "Who was there" not in page and "I was there too" not in page
    assert client.get(f"/sessions/{sid}/meeting").status_code == 404
