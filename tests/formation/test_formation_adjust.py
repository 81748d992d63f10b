"""Adjusting a formation run by hand on its preview: moving a member and locking a pair
re-form the other circles around the change and recompute the figures; a move or lock that
would break a rule is explained next to its control and nothing is saved; the page can ask
for JSON to refresh itself without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.extensions import orm
from circles.models import Separation
from circles.network import ties
from tests.conftest import AuthActions, post_form
from tests.support.formation_cohort import Cohort, log_in, plan_of, post, run_row, start


@pytest.fixture(autouse=True)
def inline(app: Flask) -> None:
    app.config["FORMATION_RUN_INLINE"] = True


def sizes(circles: list[list[int]]) -> list[int]:
    return [len(c) for c in circles]


@pytest.fixture
def drafted(client: FlaskClient, auth: AuthActions, make_user: Any,
            make_community: Any) -> tuple[Cohort, int]:
    """13 members in circles of 4–6: three circles of 4, 4 and 5, so one member can move."""
    cohort = Cohort(make_user, make_community, 13)
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort)
    assert sorted(sizes(plan_of(client.application, run_id)[0])) == [4, 4, 5]
    return cohort, run_id


def separate(app: Flask, cohort: Cohort, a: int, b: int) -> None:
    """A facilitator's separation recorded after the plan was made."""
    with app.app_context():
        orm.session.add(Separation(community_id=cohort.community.id, low_id=min(a, b),
                                   high_id=max(a, b)))
        orm.session.commit()


def know_each_other(app: Flask, a: int, b: int) -> None:
    """Record a tie after the plan was made: the figures only change when recomputed."""
    with app.app_context():
        ties.add_tie(orm.session(), a, b, source="declared")
        orm.session.commit()


def test_moving_a_member_re_forms_the_rest_and_recomputes_the_figures(
        client: FlaskClient, drafted: tuple[Cohort, int]) -> None:
    """The moved member lands where the facilitator put them; someone they already know in
    that circle is moved away by the re-optimisation, so no known pair is created."""
    _, run_id = drafted
    circles = plan_of(client.application, run_id)[0]
    large = next(i for i, c in enumerate(circles) if len(c) == 5)
    target = (large + 1) % 3
    mover, known = circles[large][0], circles[target][0]
    know_each_other(client.application, mover, known)
    response = post(client, f"/formation/{run_id}/move",
                    {"user_id": mover, "round_no": 1, "to_circle": target},
                    page=f"/formation/{run_id}")
    assert response.status_code == 302
    moved = plan_of(client.application, run_id)[0]
    assert mover in moved[target] and known not in moved[target]
    assert sorted(sizes(moved)) == [4, 4, 5]
    run = run_row(client.application, run_id)
    assert run.figures["plan"]["new_tie_ratio"] == 1.0 and run.figures["breaks"] == []
    page = client.get(f"/formation/{run_id}").get_data(as_text=True)
    assert "re-formed around the move" in page


def test_a_move_that_would_break_a_rule_is_explained_next_to_its_control_and_not_saved(
    client: FlaskClient, drafted: tuple[Cohort, int]
) -> None:
    """Someone kept in the target circle by hand whom the mover must not meet: the move is
    refused in words next to its control, and the plan is unchanged."""
    cohort, run_id = drafted
    circles = plan_of(client.application, run_id)[0]
    mover, target = circles[0][0], 1
    kept = circles[target][0]
    assert post(client, f"/formation/{run_id}/move", {"user_id": kept, "round_no": 1,
                                                      "to_circle": target},
                page=f"/formation/{run_id}").status_code == 302  # "keep them here"
    separate(client.application, cohort, mover, kept)
    before = run_row(client.application, run_id)
    response = post(client, f"/formation/{run_id}/move",
                    {"user_id": mover, "round_no": 1, "to_circle": target},
                    page=f"/formation/{run_id}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    control = re.search(rf'<select name="to_circle" id="move-1-{mover}"[^>]*>', html)
    assert control and 'aria-invalid="true"' in control.group(0)
    error = re.search(rf'id="move-1-{mover}-error"[^>]*>([^<]*)<', html)
    assert error and "must not share a circle" in error.group(1)
    after = run_row(client.application, run_id)
    assert (after.plan, after.figures) == (before.plan, before.figures)


def test_locking_a_pair_puts_them_together_and_recomputes_the_figures(
    client: FlaskClient, drafted: tuple[Cohort, int]
) -> None:
    _, run_id = drafted
    circles = plan_of(client.application, run_id)[0]
    large = next(i for i, c in enumerate(circles) if len(c) == 5)
    anchor, follower = circles[(large + 1) % 3][0], circles[large][0]
    know_each_other(client.application, anchor, follower)
    response = post(client, f"/formation/{run_id}/lock", {"a": anchor, "b": follower},
                    page=f"/formation/{run_id}")
    assert response.status_code == 302
    run = run_row(client.application, run_id)
    assert sorted((anchor, follower)) in run.locked
    assert any({anchor, follower} <= set(c) for c in run.plan["rounds"][0])
    assert run.figures["plan"]["new_tie_ratio"] < 1.0
    page = client.get(f"/formation/{run_id}").get_data(as_text=True)
    assert "Locked pairs" in page

    unlocked = post(client, f"/formation/{run_id}/unlock", {"a": anchor, "b": follower},
                    page=f"/formation/{run_id}")
    assert unlocked.status_code == 302
    assert run_row(client.application, run_id).locked == []


def test_locking_someone_with_themselves_is_explained_and_not_saved(
    client: FlaskClient, drafted: tuple[Cohort, int]
) -> None:
    cohort, run_id = drafted
    before = run_row(client.application, run_id)
    member = cohort.members[0].id
    response = post(client, f"/formation/{run_id}/lock", {"a": member, "b": member},
                    page=f"/formation/{run_id}")
    assert response.status_code == 422
    error = re.search(r'id="lock-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    assert error and "two different members" in error.group(1)
    after = run_row(client.application, run_id)
    assert (after.plan, after.locked) == (before.plan, before.locked)


def test_a_move_asked_for_as_json_answers_what_the_page_refreshes(
    client: FlaskClient, drafted: tuple[Cohort, int]
) -> None:
    cohort, run_id = drafted
    circles = plan_of(client.application, run_id)[0]
    large = next(i for i, c in enumerate(circles) if len(c) == 5)
    small = next(i for i, c in enumerate(circles) if len(c) == 4)
    json = {"Accept": "application/json"}
    kept = circles[large][1]
    post(client, f"/formation/{run_id}/move", {"user_id": kept, "round_no": 1,
                                               "to_circle": large}, page=f"/formation/{run_id}")
    separate(client.application, cohort, circles[small][0], kept)
    refused = post_form(client, f"/formation/{run_id}/move", {
        "user_id": circles[small][0], "round_no": 1, "to_circle": large},
        page=f"/formation/{run_id}", headers=json)
    assert refused.status_code == 422
    assert "must not share a circle" in refused.get_json()["errors"][0]

    mover = circles[large][0]
    moved = post_form(client, f"/formation/{run_id}/move", {
        "user_id": mover, "round_no": 1, "to_circle": small},
        page=f"/formation/{run_id}", headers=json)
    assert moved.status_code == 200
    answer = moved.get_json()
    assert answer["ok"] is True
    assert [c["index"] for c in answer["circles"]] == [0, 1, 2]
    assert mover in answer["circles"][small]["member_ids"]
    assert all(c["breaks"] == [] for c in answer["circles"])
    assert answer["figures"][0]["label"] == "New-tie ratio"
