"""Formation runs: validation, constraints honoured, exclusions explained, preview, hand edits,
publishing all or nothing. Every test runs on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from circles.errors import Conflict, InvalidInput
from circles.formation.edits import lock_pair, move_member
from circles.formation.pair_utility import DEFAULT_WEIGHTS
from circles.formation.plan import compute_run
from circles.formation.preview import preview
from circles.formation.publish import publish
from circles.formation.start import start_run
from circles.kept import english
from circles.models import Circle, CircleMember, Membership, Separation
from tests.support.formation_world import MONDAY_1700_UTC, community_with, person, teams

FAST = {"time_limit": 0.3, "seed": 1}


def together(run: Any, a: int, b: int) -> bool:
    return any(a in c and b in c for circles in run.plan["rounds"] for c in circles)


def placed_once(run: Any, expected: set[int]) -> None:
    for circles in run.plan["rounds"]:
        ids = [uid for circle in circles for uid in circle]
        assert sorted(ids) == sorted(expected)


@pytest.fixture
def cohort(db: Any) -> tuple[Any, Any, list[list[Any]]]:
    """Four teams of two from four organisations, all free on Monday evening UTC."""
    community, lead = community_with(db)
    return community, lead, teams(db, community, [2, 2, 2, 2], windows=MONDAY_1700_UTC)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"min_size": 1}, "min_size", "from 2 to 8"),
    ({"min_size": "four"}, "min_size", "whole number"),
    ({"max_size": 9}, "max_size", "from 2 to 8"),
    ({"min_size": 4, "max_size": 3}, "max_size", "at least the smallest"),
    ({"rounds": 0}, "rounds", "from 1 to 12"),
    ({"rounds": 13}, "rounds", "from 1 to 12"),
    ({"min_size": 3, "max_size": 3}, "min_size", "8 members cannot form groups of exactly 3"),
    ({"weights": {"new_tie": -1}}, "new_tie", "0 to 100"),
    ({"weights": {"diversity": 101}}, "diversity", "0 to 100"),
    ({"weights": {"equity": "lots"}}, "equity", "0 to 100"),
    ({"weights": {"repeat_penalty": "nan"}}, "repeat_penalty", "0 to 100"),
    ({"min_size": 4.5}, "min_size", "whole number"),
    ({"weights": {"nonsense": 1}}, "weights", "Unknown weight: nonsense"),
])
def test_start_run_validation(db: Any, cohort: Any, fields: dict[str, Any], field: str,
                              message: str) -> None:
    community, lead, _ = cohort
    args = {"min_size": 4, "max_size": 4, "rounds": 1, **fields}
    with pytest.raises(InvalidInput, match=message) as caught:
        start_run(db, community, lead, **args)
    assert field in caught.value.errors


def test_weights_are_remembered_with_defaults_for_the_rest(db: Any, cohort: Any) -> None:
    community, lead, _ = cohort
    run = start_run(db, community, lead, min_size=4, max_size=4, weights={"diversity": 5})
    assert community.formation_weights == {"diversity": 5.0}
    assert run.params["weights"] == {**DEFAULT_WEIGHTS, "diversity": 5.0}
    assert lead.id not in run.params["member_ids"]  # facilitators run formation, not join it


def test_groups_avoid_existing_ties_and_beat_the_baseline(db: Any, cohort: Any) -> None:
    community, lead, team_list = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    placed_once(run, {u.id for team in team_list for u in team})
    for team in team_list:
        assert not together(run, team[0].id, team[1].id)
    figures = run.figures
    assert figures["plan"]["new_tie_ratio"] == 1.0  # 2 circles × 6 pairs, no tie inside
    assert figures["plan"]["mean_departments"] == 4.0
    assert set(figures["baseline"]) == set(figures["plan"])
    assert run.excluded == []


def test_separations_are_never_grouped(db: Any, cohort: Any) -> None:
    community, lead, team_list = cohort
    a, b = team_list[0][0], team_list[1][0]
    db.add(Separation(community_id=community.id, low_id=min(a.id, b.id), high_id=max(a.id, b.id),
                      reason="conflict of interest", created_by_id=lead.id))
    for seed in (1, 2, 3):
        run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id,
                          time_limit=0.2, seed=seed)
        assert not together(run, a.id, b.id)


def test_called_it_a_day_pairs_are_not_grouped_again(db: Any, cohort: Any) -> None:
    from circles.communities.circle import create_circle, leave_circle

    community, lead, team_list = cohort
    a, b = team_list[0][0], team_list[1][0]
    circle = create_circle(db, community, lead, name="", member_ids=[a.id, b.id])
    leave_circle(db, circle, a.id, reason="not working for me")
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    assert not together(run, a.id, b.id)


def test_a_member_who_shares_no_hour_with_anyone_is_excluded_with_the_reason(db: Any) -> None:
    community, lead = community_with(db)
    members = [person(db, community, f"P{i} X", org=f"O{i}", windows=MONDAY_1700_UTC)
               for i in range(4)]
    night_owl = person(db, community, "Nia Night", tz="Asia/Tokyo", windows=[(6, 3 * 60, 4 * 60)])
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=5).id, **FAST)
    # kept in every language Circles speaks: the facilitator reads their own (circles.kept)
    assert run.excluded == [{"user_id": night_owl.id, "reason": {
        "en": "Cannot be placed with anyone: no weekly hour in common with 4 other members.",
        "es": "No se puede colocar con nadie: ninguna hora semanal en común con 4 miembros "
              "más."}}]
    placed_once(run, {m.id for m in members})
    shown = preview(db, run)
    assert shown.excluded[0]["name"] == "Nia Night"
    assert shown.circles[0].common_time == "Mon 17:00–19:00 (UTC)"
    # told in the reader's zone (issue 17): a facilitator in Tokyo reads Tokyo hours
    assert preview(db, run, "Asia/Tokyo").circles[0].common_time == "Tue 02:00–04:00 (Tokyo time)"


def test_too_few_left_after_exclusions_is_a_clear_error(db: Any) -> None:
    community, lead = community_with(db)
    for i in range(3):
        person(db, community, f"P{i} X", windows=MONDAY_1700_UTC)
    person(db, community, "Nia Night", tz="Asia/Tokyo", windows=[(6, 3 * 60, 4 * 60)])
    with pytest.raises(InvalidInput) as caught:  # said before anything is solved
        start_run(db, community, lead, min_size=4, max_size=4)
    assert caught.value.errors == {"min_size": (
        "With Nia Night (no weekly hour in common with 3 other members) set aside, "
        "3 members cannot form a group of exactly 4: add 1 member or use a smaller size.")}


def test_a_circle_that_cannot_share_an_hour_is_refused_before_solving(db: Any) -> None:
    """Four members where "Mon Only" and "Wed Only" can never sit with three others at one
    hour: circles of exactly 4 cannot all share an hour, and the run says so before solving,
    naming who and why (it no longer forms a circle with no hour and asks for a hand fix)."""
    community, lead = community_with(db)
    for i in range(2):
        person(db, community, f"P{i} X", windows=[(0, 9 * 60, 11 * 60), (2, 9 * 60, 11 * 60)])
    person(db, community, "Mon Only", windows=[(0, 9 * 60, 11 * 60)])
    person(db, community, "Wed Only", windows=[(2, 9 * 60, 11 * 60)])
    with pytest.raises(InvalidInput) as caught:
        start_run(db, community, lead, min_size=4, max_size=4)
    message = caught.value.errors["min_size"]
    assert "Mon Only (No hour a week when 3 others are free at the same time" in message
    assert message.endswith("0 members: nothing to form.")


def test_members_without_availability_count_as_free_and_are_told_so(db: Any) -> None:
    community, lead = community_with(db)
    for i in range(4):
        person(db, community, f"P{i} X", windows=MONDAY_1700_UTC if i else ())
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    assert run.excluded == []
    assert "1 member gave no weekly availability and count as free at any time." in [
        english(note) for note in run.figures["notes"]]


def test_pairs_without_a_shared_hour_are_kept_apart(db: Any) -> None:
    community, lead = community_with(db)
    early, late = [(1, 9 * 60, 11 * 60)], [(3, 15 * 60, 17 * 60)]
    both = [(1, 9 * 60, 11 * 60), (3, 15 * 60, 17 * 60)]
    earlies = [person(db, community, f"E{i} X", org=f"O{i}", windows=early) for i in range(2)]
    lates = [person(db, community, f"L{i} X", org=f"O{i}", windows=late) for i in range(2)]
    for i in range(2):
        person(db, community, f"B{i} X", org=f"Q{i}", windows=both)
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=3).id, **FAST)
    assert not any(together(run, e.id, l.id) for e in earlies for l in lates)
    assert run.figures["plan"]["circles_without_shared_hour"] == 0 and run.figures["breaks"] == []
    assert all(circle.common_time for circle in preview(db, run).circles)


def test_preview_explains_each_circle(db: Any) -> None:
    community, lead = community_with(db)
    ana = person(db, community, "Ana Alves", org="Hospital", dept="Nursing",
                 strengths=["Negotiation"], windows=MONDAY_1700_UTC)
    ben = person(db, community, "Ben Baker", org="Council", dept="Housing",
                 questions=[("Negotiation", "How do I ask for a bigger budget?")],
                 windows=MONDAY_1700_UTC)
    run = compute_run(db, start_run(db, community, lead, min_size=2, max_size=2).id, **FAST) \
        if _has("graph.pairs") else compute_run(
            db, start_run(db, community, lead, min_size=2, max_size=3).id, **FAST)
    circle = preview(db, run).circles[0]
    assert circle.member_ids == sorted([ana.id, ben.id])
    assert circle.reasons == [
        "1 new tie",
        "Ana's strength in Negotiation answers Ben's question “How do I ask for a bigger budget?”",
        "2 departments · 2 organisations",
    ]
    assert run.figures["plan"]["complementarity_coverage"] == 1.0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_move_member_re_forms_the_rest_around_the_move(db: Any, cohort: Any) -> None:
    """Two circles of exactly 4: a member moved into the other circle stays there (pinned),
    and someone else moves back so that both circles keep their size."""
    community, lead, _team_list = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=5).id, **FAST)
    first, _second = run.plan["rounds"][0]
    mover = first[0]
    move_member(db, run, mover, 1, 1)
    circles = run.plan["rounds"][0]
    assert mover in circles[1] and sorted(map(len, circles)) == [4, 4]
    assert [1, mover, 1] in run.params["pins"] and run.figures["breaks"] == []
    other = next(uid for uid in circles[0])
    move_member(db, run, other, 1, 1)  # the earlier move holds: the mover stays in circle 2
    assert {mover, other} <= set(run.plan["rounds"][0][1])
    with pytest.raises(InvalidInput) as caught:
        move_member(db, run, mover, 1, 7)
    assert set(caught.value.errors) == {"to_circle"}


def test_a_circle_full_of_hand_placed_members_takes_nobody_else(db: Any, cohort: Any) -> None:
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=5).id, **FAST)
    full = list(run.plan["rounds"][0][1])
    for uid in full:
        move_member(db, run, uid, 1, 1)  # "keep them here"
    with pytest.raises(InvalidInput, match="full of members placed there by hand") as caught:
        move_member(db, run, run.plan["rounds"][0][0][0], 1, 1)
    assert set(caught.value.errors) == {"to_circle"}
    assert sorted(run.plan["rounds"][0][1]) == sorted(full)


def test_move_member_refuses_a_forbidden_pair(db: Any, cohort: Any) -> None:
    """A move next to someone pinned there whom the mover must not meet cannot be fixed by
    re-forming the rest: it is refused, in words, and nothing changes."""
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=5).id, **FAST)
    first, second = run.plan["rounds"][0]
    a, b = first[0], second[0]
    move_member(db, run, b, 1, 1)  # b stays where they are
    db.add(Separation(community_id=community.id, low_id=min(a, b), high_id=max(a, b)))
    db.flush()
    with pytest.raises(InvalidInput, match="must not share a circle") as caught:
        move_member(db, run, a, 1, 1)
    assert set(caught.value.errors) == {"to_circle"}


def test_a_move_next_to_a_separated_member_moves_them_apart(db: Any, cohort: Any) -> None:
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=5).id, **FAST)
    first, second = run.plan["rounds"][0]
    a, b = first[0], second[0]
    db.add(Separation(community_id=community.id, low_id=min(a, b), high_id=max(a, b)))
    db.flush()
    move_member(db, run, a, 1, 1)
    assert a in run.plan["rounds"][0][1] and not together(run, a, b)


def test_lock_pair_brings_them_together_and_keeps_them_in_reruns(db: Any, cohort: Any) -> None:
    community, lead, _team_list = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=3, max_size=5).id, **FAST)
    first, second = run.plan["rounds"][0]
    a, b = first[0], second[0]
    lock_pair(db, run, a, b)
    assert together(run, a, b) and run.locked == [sorted((a, b))]
    with pytest.raises(InvalidInput, match="locked with"):
        move_member(db, run, a, 1, 1 - next(i for i, c in enumerate(run.plan["rounds"][0]) if a in c))
    compute_run(db, run.id, **FAST)
    assert together(run, a, b)


def seats(db: Any) -> tuple[int, int]:
    return db.scalar(select(func.count(Circle.id))), db.scalar(select(func.count(CircleMember.id)))


def test_publish_creates_round_one_once(db: Any, cohort: Any) -> None:
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    circles = publish(db, run)
    assert [c.name for c in circles] == ["Tideline circle", "Heron circle"]  # seed 1, round 1
    assert {c.kind for c in circles} == {"group"}
    assert all(c.formation_run_id == run.id and c.round_no == 1 for c in circles)
    assert sorted(s.user_id for c in circles for s in c.seats) == sorted(
        uid for c in run.plan["rounds"][0] for uid in c)
    assert run.status == "published" and run.published_at is not None
    with pytest.raises(Conflict, match="published already"):
        publish(db, run)
    assert seats(db) == (2, 8)


def test_publish_refuses_a_stale_plan_and_creates_nothing(db: Any, cohort: Any) -> None:
    community, lead, team_list = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    leaver = team_list[2][1]
    db.delete(db.scalar(select(Membership).where(Membership.user_id == leaver.id)))
    db.flush()
    with pytest.raises(Conflict, match=f"{leaver.display_name} left the community"):
        publish(db, run)
    assert seats(db) == (0, 0)
    assert run.status == "draft"


def test_publish_refuses_a_separation_set_after_planning(db: Any, cohort: Any) -> None:
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=4).id, **FAST)
    a, b = run.plan["rounds"][0][1][:2]
    db.add(Separation(community_id=community.id, low_id=min(a, b), high_id=max(a, b)))
    db.flush()
    with pytest.raises(Conflict, match="must not be grouped but share Round 1 · Circle 2"):
        publish(db, run)
    assert seats(db) == (0, 0)


def test_no_pair_meets_twice_across_rounds(db: Any, cohort: Any) -> None:
    pytest.importorskip("graph.rounds")
    community, lead, _ = cohort
    run = compute_run(db, start_run(db, community, lead, min_size=2, max_size=2, rounds=3).id, **FAST)
    pairs = [frozenset(c) for circles in run.plan["rounds"] for c in circles]
    assert len(pairs) == len(set(pairs)) == 12
    assert run.figures["plan"]["repeated_pairs"] == 0
    assert list(itertools.chain.from_iterable(run.plan["rounds"]))


def test_cli_forms_and_publishes_circles(app: Any, runner: Any) -> None:
    from circles.extensions import orm

    with app.app_context():
        community, _lead = community_with(orm.session)
        teams(orm.session, community, [2, 2, 2, 2], windows=MONDAY_1700_UTC)
        orm.session.commit()
        community_id = community.id
    result = runner.invoke(args=["formation", "run", str(community_id), "--min-size", "4",
                                 "--max-size", "4", "--time-limit", "0.3", "--seed", "3",
                                 "--publish"])
    assert result.exit_code == 0, result.output
    assert "Round 1 · Circle 2:" in result.output
    assert "New-tie ratio" in result.output and "random" in result.output
    assert "Published 2 circles" in result.output
    with app.app_context():
        assert seats(orm.session) == (2, 8)


@pytest.mark.parametrize(("args", "message"), [
    (["--min-size", "3", "--max-size", "3"], "min_size: 8 members cannot form groups of exactly 3"),
    (["--rounds", "0"], "rounds: Choose from 1 to 12 rounds."),
])
def test_cli_reports_bad_input(app: Any, runner: Any, args: list[str], message: str) -> None:
    from circles.extensions import orm

    with app.app_context():
        community, _ = community_with(orm.session)
        teams(orm.session, community, [2, 2, 2, 2])
        orm.session.commit()
        community_id = community.id
    result = runner.invoke(args=["formation", "run", str(community_id), *args])
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert seats(orm.session) == (0, 0)


def test_cli_unknown_community(runner: Any) -> None:
    result = runner.invoke(args=["formation", "run", "999"])
    assert result.exit_code == 1 and "There is no community 999." in result.output


def test_pairs_from_an_odd_count_leave_one_trio(db: Any) -> None:
    community, lead = community_with(db)
    people = [person(db, community, f"P{i} X", org=f"O{i}") for i in range(5)]
    run = compute_run(db, start_run(db, community, lead, min_size=2, max_size=2).id, **FAST)
    assert sorted(len(c) for c in run.plan["rounds"][0]) == [2, 3]
    placed_once(run, {p.id for p in people})
    assert {c.kind for c in publish(db, run)} == {"pair", "group"}


def test_pairs_honour_separations(db: Any) -> None:
    community, lead = community_with(db)
    a, b, c, d = (person(db, community, f"P{i} X", strengths=["Budgets"],
                         questions=[("Budgets", "How?")]) for i in range(4))
    for x, y in ((a, c), (a, d)):
        db.add(Separation(community_id=community.id, low_id=min(x.id, y.id), high_id=max(x.id, y.id)))
    run = compute_run(db, start_run(db, community, lead, min_size=2, max_size=2).id, **FAST)
    assert sorted(map(sorted, run.plan["rounds"][0])) == sorted([sorted([a.id, b.id]), sorted([c.id, d.id])])
