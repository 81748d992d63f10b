"""Publishing a formation run round after round: round k+1 is reconciled with who joined or
left (``prepare_next_round``), published once, and closes round k's circles. Domain tests on
the ``db`` fixture, then the pages and the CLI; everything runs on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.communities.circle import create_circle, leave_circle
from circles.communities.names import fresh_names
from circles.errors import Conflict
from circles.extensions import orm
from circles.formation.edits import lock_pair, move_member
from circles.formation.next_round import prepare_next_round
from circles.formation.plan import compute_run
from circles.formation.preview import preview
from circles.formation.publish import publish
from circles.formation.start import start_run
from circles.formation.stored import next_round
from circles.models import (
    Circle,
    CircleMember,
    CircleSession,
    FormationRun,
    Membership,
    Notification,
    User,
    utcnow,
)
from tests.conftest import AuthActions
from tests.support.formation_cohort import WHO, Cohort, log_in, plan_of, post, run_row, start
from tests.support.formation_world import MONDAY_1700_UTC, community_with, person, teams

FAST = {"time_limit": 0.3, "seed": 1}
SIZES = (3, 5)  # 16 members → four circles of 4: a newcomer fits, a member can be moved


def pairs_of(circles: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(p) for circle in circles for p in itertools.combinations(circle, 2)}


def together(circles: list[list[int]], a: int, b: int) -> bool:
    return any(a in circle and b in circle for circle in circles)


def round_circles(db: Any, run: FormationRun, round_no: int) -> list[Circle]:
    return list(db.scalars(select(Circle).where(Circle.formation_run_id == run.id,
                                               Circle.round_no == round_no).order_by(Circle.id)))


def seated(circles: list[Circle]) -> list[list[int]]:
    return [sorted(s.user_id for s in c.current_seats) for c in circles]


def counts(db: Any) -> tuple[int, int]:
    return (db.scalar(select(func.count(Circle.id))) or 0,
            db.scalar(select(func.count(CircleMember.id))) or 0)


@pytest.fixture
def world(db: Any) -> tuple[Any, Any, list[User]]:
    """Four teams of four from four organisations, all free on Monday evening UTC."""
    community, lead = community_with(db)
    members = [u for team in teams(db, community, [4, 4, 4, 4], windows=MONDAY_1700_UTC)
               for u in team]
    return community, lead, members


@pytest.fixture
def sizes() -> tuple[int, int]:
    return SIZES


@pytest.fixture
def run(db: Any, world: Any, sizes: tuple[int, int]) -> FormationRun:
    """A two-round plan of four circles of 4 with no pair meeting twice (a 4 × 4 grid's rows,
    then its columns, is one); round 1 published."""
    community, lead, _ = world
    planned = compute_run(db, start_run(db, community, lead, min_size=sizes[0],
                                        max_size=sizes[1], rounds=2).id, **FAST)
    assert next_round(db, planned) == 1
    publish(db, planned, round_no=1)
    assert next_round(db, planned) == 2
    return planned


def sizes_ok(circles: list[list[int]], sizes: tuple[int, int] = SIZES) -> bool:
    return all(sizes[0] <= len(c) <= sizes[1] for c in circles)


def test_publishing_round_two_closes_round_one_and_repeats_no_pair(db: Any, run: FormationRun) -> None:
    planned_one, planned_two = run.plan["rounds"]
    assert not pairs_of(planned_one) & pairs_of(planned_two)  # the plan is repeat-free
    # The figures keep round 1 as it was published beside round 2, and the plan's totals.
    assert [row["repeated_pairs"] for row in run.figures["rounds"]] == [0, 0]
    assert run.figures["plan"]["repeated_pairs"] == 0
    first = round_circles(db, run, 1)
    assert all(c.closed_at is None for c in first)

    made = publish(db, run)

    # Pleasant names, fixed by the seed and round, none shared with a circle still open.
    assert [c.name for c in made] == fresh_names(len(planned_two), seed="1:2",
                                                  taken=[c.name for c in first])
    assert not {c.name for c in made} & {c.name for c in first}
    assert all(c.round_no == 2 and c.closed_at is None for c in made)
    assert seated(made) == [sorted(c) for c in planned_two]
    first = round_circles(db, run, 1)
    assert all(c.closed_at is not None for c in first)
    assert sum(len(c.current_seats) for c in first) == 16  # seats stay: history and ties
    assert not pairs_of(seated(made)) & pairs_of(seated(first))
    assert run.status == "published" and next_round(db, run) is None


def test_a_circle_in_an_hour_of_its_own_sits_round_two_out_rather_than_meet_again(
        db: Any) -> None:
    """Four night owls in Auckland share an hour with nobody but each other: they make one
    circle in round 1. In round 2 that circle would meet again, so it is not formed: the four
    sit the round out and are told, and the plan breaks no rule for anyone to accept."""
    community, lead = community_with(db, "Night owls")
    for team in teams(db, community, [4, 4, 4, 4], windows=MONDAY_1700_UTC):
        assert len(team) == 4
    owls = [person(db, community, f"Owl{i} Member", tz="Pacific/Auckland",
                   windows=[(3, 20 * 60, 21 * 60)]) for i in range(4)]
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4, rounds=2).id,
                      time_limit=5, seed=1)
    one, two = run.plan["rounds"]
    owl_ids = {o.id for o in owls}
    assert sorted(owl_ids) in [sorted(c) for c in one]
    assert not owl_ids & {uid for c in two for uid in c}
    assert not pairs_of(one) & pairs_of(two)
    assert run.figures["breaks"] == [] and all(len(c) == 4 for c in one + two)
    publish(db, run, round_no=1)
    publish(db, run, round_no=2)
    for owl in owls:
        note = db.scalar(select(Notification).where(
            Notification.user_id == owl.id, Notification.key == f"not_placed:{run.id}:2"))
        assert note is not None and "not placed" in note.text


def test_publishing_the_next_round_calls_off_the_closed_circles_future_sessions(
        db: Any, run: FormationRun) -> None:
    """A circle closed by formation ends like one closed by hand (docs: "upcoming sessions
    are called off when a circle closes"): its future sessions are cancelled, with a new
    calendar sequence; its past ones stay as they were."""
    circle = round_circles(db, run, 1)[0]
    now = utcnow()
    later = CircleSession(circle_id=circle.id, starts_at=now + timedelta(days=7))
    earlier = CircleSession(circle_id=circle.id, starts_at=now - timedelta(days=7),
                            status="ended")
    db.add_all([later, earlier])
    db.flush()
    publish(db, run)
    db.refresh(later)
    db.refresh(earlier)
    assert (later.status, later.sequence) == ("cancelled", 1)
    assert (earlier.status, earlier.sequence) == ("ended", 0)


def test_publishing_past_the_last_round_is_a_clear_conflict(db: Any, run: FormationRun) -> None:
    publish(db, run)
    before = counts(db)
    with pytest.raises(Conflict, match="All 2 rounds of this plan were published already"):
        publish(db, run)
    with pytest.raises(Conflict, match="All 2 rounds"):
        prepare_next_round(db, run)
    assert counts(db) == before


def test_a_round_published_meanwhile_is_refused_not_followed_by_the_next(
    db: Any, run: FormationRun
) -> None:
    before = counts(db)
    with pytest.raises(Conflict, match="Round 1 was published already"):
        publish(db, run, round_no=1)  # a second click on "Publish round 1"
    assert counts(db) == before and round_circles(db, run, 2) == []
    with pytest.raises(Conflict, match="Publish round 2 before round 3"):
        publish(db, run, round_no=3)
    publish(db, run, round_no=2)
    with pytest.raises(Conflict, match="Round 2 was published already"):
        publish(db, run, round_no=2)
    assert len(round_circles(db, run, 2)) == 4


@pytest.mark.parametrize("sizes", [(3, 4)])  # 15 left → circles of 3–4, as planned less one
def test_a_member_who_left_is_dropped_and_no_circle_is_undersized(
    db: Any, run: FormationRun, world: Any, sizes: tuple[int, int]
) -> None:
    community, _, members = world
    leaver = run.plan["rounds"][1][0][0]
    db.delete(db.scalar(select(Membership).where(Membership.user_id == leaver,
                                                 Membership.community_id == community.id)))
    db.flush()
    name = db.get_one(User, leaver).display_name
    with pytest.raises(Conflict, match=f"{name} left the community .* prepare round 2 again"):
        publish(db, run)
    assert round_circles(db, run, 2) == []

    changes = prepare_next_round(db, run)

    assert changes["left"] == [leaver] and changes["joined"] == []
    assert changes["kept"] + changes["regrouped"] == len(run.plan["rounds"][1])
    assert changes["kept"] == 4  # 4 + 4 + 4 + 3: every planned circle survives
    assert preview(db, run).changes == f"{name} left · 4 circles as planned, 0 regrouped"
    made = seated(publish(db, run))
    assert sorted(uid for c in made for uid in c) == sorted(m.id for m in members if m.id != leaver)
    assert sizes_ok(made, sizes)


def test_a_newcomer_is_placed_in_a_circle_with_room(db: Any, run: FormationRun, world: Any) -> None:
    community, _, members = world
    planned = [sorted(c) for c in run.plan["rounds"][1]]
    newcomer = person(db, community, "Nia New", org="Org 9", windows=MONDAY_1700_UTC)

    changes = prepare_next_round(db, run)

    assert changes["joined"] == [newcomer.id] and changes["left"] == []
    assert (changes["kept"], changes["regrouped"]) == (4, 0)
    now = run.plan["rounds"][1]
    assert sum(newcomer.id in c for c in now) == 1 and sizes_ok(now)
    assert [[u for u in c if u != newcomer.id] for c in now] == planned  # planned circles kept
    assert preview(db, run).changes == "Nia New joined · 4 circles as planned, 0 regrouped"
    made = seated(publish(db, run))
    assert sorted(uid for c in made for uid in c) == sorted([m.id for m in members] + [newcomer.id])


def test_someone_who_called_it_a_day_is_never_grouped_with_them_again(
    db: Any, run: FormationRun, world: Any
) -> None:
    community, lead, _ = world
    a, b = run.plan["rounds"][1][0][:2]
    side = create_circle(db, community, lead, name="Side project", member_ids=[a, b])
    leave_circle(db, side, a, reason="not for me")
    quitter = round_circles(db, run, 1)[0].current_seats[0].user_id  # leaves their round-1 circle
    leave_circle(db, round_circles(db, run, 1)[0], quitter)
    db.flush()
    with pytest.raises(Conflict, match="must not be grouped again .* Round 2 · Circle 1"):
        publish(db, run)

    changes = prepare_next_round(db, run)

    assert {a, b} & set(changes["moved"]) and len(changes["moved"]) <= 2  # one out, one in
    assert changes["ended"] == [quitter]  # placed again, with others
    now = run.plan["rounds"][1]
    assert not together(now, a, b) and sizes_ok(now)
    assert sum(quitter in c for c in now) == 1
    assert not together(seated(publish(db, run)), a, b)


def test_when_nothing_changed_the_plan_is_left_as_it_was(db: Any, run: FormationRun) -> None:
    plan, figures = run.plan, {k: v for k, v in run.figures.items() if k != "changes"}
    changes = prepare_next_round(db, run)
    assert run.plan == plan and {k: v for k, v in run.figures.items() if k != "changes"} == figures
    assert changes == {"round": 2, "left": [], "joined": [], "ended": [], "moved": [],
                       "set_aside": [], "kept": 4, "regrouped": 0}
    assert preview(db, run).changes == "Nobody joined or left: all 4 circles as planned"


def test_hand_edits_reach_unpublished_rounds_only(db: Any, run: FormationRun) -> None:
    one, two = run.plan["rounds"]
    with pytest.raises(Conflict, match="Round 1 is published already"):
        move_member(db, run, one[0][0], 1, 1)
    mover = two[0][0]
    move_member(db, run, mover, 2, 1)
    assert mover in run.plan["rounds"][1][1] and run.plan["rounds"][0] == one
    with pytest.raises(Conflict, match="already published"):
        lock_pair(db, run, one[0][0], one[0][1])
    shown = preview(db, run)
    assert {c.round_no for c in shown.circles} == {2} and shown.next_round == 2
    assert shown.published == 1 and shown.total == 2


def test_a_draft_is_not_prepared_and_a_discarded_run_has_no_next_round(db: Any, world: Any) -> None:
    community, lead, _ = world
    draft = compute_run(db, start_run(db, community, lead, min_size=SIZES[0], max_size=SIZES[1],
                                      rounds=2).id, **FAST)
    with pytest.raises(Conflict, match="Nothing is published yet"):
        prepare_next_round(db, draft)
    draft.status = "discarded"
    assert next_round(db, draft) is None
    with pytest.raises(Conflict, match="discarded"):
        publish(db, draft)
    assert counts(db) == (0, 0)


# --- the pages ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def inline(app: Flask) -> None:
    app.config["FORMATION_RUN_INLINE"] = True


@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr("realtime.broadcast.placed_in_circle",
                        lambda circle, ids=None: calls.append(circle.id))
    return calls


def published_run(client: FlaskClient, auth: AuthActions, cohort: Cohort) -> int:
    """A two-round run over HTTP with round 1 published, as the facilitator."""
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort, min_size="2", max_size="4", rounds="2")
    response = post(client, f"/formation/{run_id}/publish", {"round_no": 1},
                    page=f"/formation/{run_id}")
    assert response.status_code == 302
    return run_id


def circle_count(app: Flask) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count(Circle.id))) or 0


@pytest.mark.parametrize("who", [w for w in WHO if w != "facilitator"])
def test_only_the_facilitator_prepares_or_publishes_a_later_round(
    client: FlaskClient, auth: AuthActions, make_user: Any, make_community: Any, who: str
) -> None:
    cohort = Cohort(make_user, make_community, 8)
    run_id = published_run(client, auth, cohort)
    before, circles = run_row(client.application, run_id), circle_count(client.application)
    auth.logout()
    log_in(auth, cohort, who)
    for action in ("prepare", "publish"):
        response = post(client, f"/formation/{run_id}/{action}", {"round_no": 2},
                        page="/login" if who == "anonymous" else "/")
        expected = 302 if who == "anonymous" else 404
        assert response.status_code == expected, action
    after = run_row(client.application, run_id)
    assert (after.plan, after.figures) == (before.plan, before.figures)
    assert circle_count(client.application) == circles


def test_facilitator_prepares_and_publishes_round_two(
    client: FlaskClient, auth: AuthActions, make_user: Any, make_community: Any,
    placed: list[int]
) -> None:
    cohort = Cohort(make_user, make_community, 8)
    run_id = published_run(client, auth, cohort)
    page = client.get(f"/formation/{run_id}").get_data(as_text=True)
    assert "Round 1 published · Round 2 planned" in page
    assert ">Prepare round 2</button>" in page and ">Publish round 2</button>" in page
    assert re.findall(r'<h2 id="round-(\d+)">', page) == ["2"]
    assert 'name="to_circle" id="move-2-' in page and 'id="move-1-' not in page

    newcomer = make_user(display_name="Nia Newcomer")
    with client.application.app_context():
        orm.session.add(Membership(community_id=cohort.community.id, user_id=newcomer.id,
                                   role="member"))
        orm.session.commit()
    prepared = post(client, f"/formation/{run_id}/prepare", {"round_no": 2},
                    page=f"/formation/{run_id}")
    assert prepared.status_code == 302
    page = client.get(prepared.headers["Location"]).get_data(as_text=True)
    assert "Round 2 prepared: Nia Newcomer joined" in page
    assert re.search(r'<p class="changes"[^>]*>Nia Newcomer joined · ', page)
    two = plan_of(client.application, run_id)[1]
    assert sum(newcomer.id in c for c in two) == 1

    placed.clear()
    published = post(client, f"/formation/{run_id}/publish", {"round_no": 2},
                     page=f"/formation/{run_id}")
    assert published.status_code == 302
    assert "Published 3 circles for round 2 and closed round 1" in client.get(
        published.headers["Location"]).get_data(as_text=True)
    with client.application.app_context():
        made = orm.session.scalars(select(Circle).where(
            Circle.formation_run_id == run_id, Circle.round_no == 2)).all()
        closed = orm.session.scalars(select(Circle.closed_at).where(
            Circle.formation_run_id == run_id, Circle.round_no == 1)).all()
        assert seated(list(made)) == [sorted(c) for c in two]
    assert sorted(placed) == sorted(c.id for c in made)
    assert closed and all(closed)
    total = circle_count(client.application)

    again = post(client, f"/formation/{run_id}/publish", {"round_no": 2},
                 page=f"/formation/{run_id}")
    assert again.status_code == 409
    assert "Round 2 was published already" in again.get_data(as_text=True)
    assert circle_count(client.application) == total
    assert "All 2 rounds were published" in client.get(f"/formation/{run_id}").get_data(as_text=True)

    auth.logout()  # a member's dashboard lists the round-2 circle; round 1's is history
    member = cohort.members[0]
    assert auth.login(member.email).status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    with client.application.app_context():
        names = dict(orm.session.execute(select(Circle.round_no, Circle.name).join(CircleMember)
                                         .where(Circle.formation_run_id == run_id,
                                                CircleMember.user_id == member.id)).all())
    assert names[2] in dashboard and names[1] not in dashboard


# --- the CLI -----------------------------------------------------------------------------

def test_cli_publishes_the_next_round(app: Flask, runner: Any) -> None:
    with app.app_context():
        community, lead = community_with(orm.session)
        teams(orm.session, community, [4, 4, 4, 4], windows=MONDAY_1700_UTC)
        run_id = compute_run(orm.session, start_run(orm.session, community, lead, min_size=3,
                                                    max_size=5, rounds=2).id, **FAST).id
        orm.session.commit()
    first = runner.invoke(args=["formation", "publish", str(run_id)])
    assert first.exit_code == 0, first.output
    assert first.output.count(" circle: ") == 4  # four circles, each under its new name
    assert f"Published round 1: 4 circles (formation run {run_id})." in first.output
    assert "Round 2 stays planned" in first.output

    second = runner.invoke(args=["formation", "publish", str(run_id), "--prepare"])
    assert second.exit_code == 0, second.output
    assert "Prepared round 2: Nobody joined or left" in second.output
    assert "round 1 is closed" in second.output and "That was the last planned round." in second.output

    third = runner.invoke(args=["formation", "publish", str(run_id)])
    assert third.exit_code == 1 and "All 2 rounds of this plan were published already" in third.output
    with app.app_context():
        assert counts(orm.session) == (8, 32)
    unknown = runner.invoke(args=["formation", "publish", "999"])
    assert unknown.exit_code == 1 and "There is no formation run 999." in unknown.output
