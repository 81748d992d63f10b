"""The facilitator's "Form circles" pages through HTTP: who may use them, bad settings shown
next to their field, and the whole flow (settings → preview with reasons → publish → members
see their circle). Hand adjustments are in test_formation_adjust.py.

The run is computed in the request here (``FORMATION_RUN_INLINE``, set on the app by the
``inline`` fixture); the background task and its progress bar are covered by the browser test
tests/browser/test_formation_flow.py.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import Circle, Community
from tests.conftest import AuthActions, post_form
from tests.support.formation_cohort import (
    SETTINGS,
    WHO,
    Cohort,
    log_in,
    plan_of,
    post,
    run_count,
    run_row,
    start,
)


@pytest.fixture(autouse=True)
def inline(app: Flask) -> None:
    app.config["FORMATION_RUN_INLINE"] = True


@pytest.fixture
def cohort(make_user: Any, make_community: Any) -> Cohort:
    return Cohort(make_user, make_community, 12)


@pytest.fixture
def small(make_user: Any, make_community: Any) -> Cohort:
    """Enough people for the permission matrix."""
    return Cohort(make_user, make_community, 4)


# --- who may use the pages -------------------------------------------------------------

RUN_PAGES = [("GET", "/formation/{run}"), ("GET", "/formation/{run}/status"),
             ("POST", "/formation/{run}/move"), ("POST", "/formation/{run}/lock"),
             ("POST", "/formation/{run}/unlock"), ("POST", "/formation/{run}/publish"),
             ("POST", "/formation/{run}/discard")]


@pytest.mark.parametrize("who", WHO)
def test_only_the_communitys_facilitators_open_the_settings(
    client: FlaskClient, auth: AuthActions, small: Cohort, who: str
) -> None:
    cohort = small
    log_in(auth, cohort, who)
    response = client.get(cohort.new_url)
    expected = {"facilitator": 200, "anonymous": 302}.get(who, 404)
    assert response.status_code == expected
    if who != "facilitator":
        posted = post(client, cohort.new_url, SETTINGS, page="/login" if who == "anonymous" else "/")
        assert posted.status_code == expected
        assert run_count(client.application) == 0


@pytest.mark.parametrize("who", [w for w in WHO if w != "facilitator"])
def test_nobody_but_the_communitys_facilitators_sees_or_changes_a_run(
    client: FlaskClient, auth: AuthActions, small: Cohort, who: str
) -> None:
    log_in(auth, small, "facilitator")
    run_id = start(client, small, min_size="2", max_size="4")
    before = run_row(client.application, run_id)
    auth.logout()
    log_in(auth, small, who)
    member = small.members[0].id
    for method, path in RUN_PAGES:
        url = path.format(run=run_id)
        if method == "GET":
            response = client.get(url)
        else:
            data = {"user_id": member, "round_no": 1, "to_circle": 1, "a": member, "b": member}
            response = post(client, url, data, page="/login" if who == "anonymous" else "/")
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url
        else:
            assert response.status_code == 404, url
    after = run_row(client.application, run_id)
    assert (after.status, after.plan, after.locked) == (before.status, before.plan, before.locked)


def test_an_unknown_run_is_not_found(client: FlaskClient, auth: AuthActions,
                                     small: Cohort) -> None:
    log_in(auth, small, "facilitator")
    assert client.get("/formation/9999").status_code == 404
    assert client.get("/formation/9999/status").status_code == 404


# --- bad settings: the problem next to its field, nothing saved -------------------------

def error_beside(html: str, field: str) -> str:
    """The error text inside the same ``.field`` wrapper as the control ``field``."""
    for block in html.split('<div class="field')[1:]:
        if f'id="{field}"' in block and f'id="{field}-error"' in block:
            control = re.search(rf'<input[^>]*id="{field}"[^>]*>', block)
            assert control and 'aria-invalid="true"' in control.group(0), block
            found = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', block)
            assert found
            return found.group(1)
    raise AssertionError(f"no error next to {field}")


@pytest.mark.parametrize(("changes", "field", "message"), [
    pytest.param({"format": "exact", "size": "4"}, "size",
                 "25 members cannot form groups of exactly 4: use 4–5 or add 3 members",
                 id="25-members-exactly-4"),
    pytest.param({"format": "exact", "size": ""}, "size", "Say how many members",
                 id="exact-without-size"),
    pytest.param({"min_size": "6", "max_size": "4"}, "max_size", "at least the smallest",
                 id="range-reversed"),
    pytest.param({"min_size": "1"}, "min_size", "from 2 to 8", id="range-below-two"),
    pytest.param({"max_size": ""}, "max_size", "Give a size", id="range-without-max"),
    pytest.param({"min_size": "30", "max_size": "30"}, "min_size", "from 2 to 8",
                 id="larger-than-a-circle"),
    pytest.param({"rounds": "0"}, "rounds", "between 1 and 12", id="no-rounds"),
    pytest.param({"rounds": "13"}, "rounds", "between 1 and 12", id="too-many-rounds"),
    pytest.param({"rounds": "two"}, "rounds", "Give “Rounds” as a number",
                 id="rounds-not-a-number"),
    pytest.param({"new_tie": "-1"}, "new_tie", "between 0 and 100", id="negative-weight"),
    pytest.param({"equity": ""}, "equity", "Give a weight", id="missing-weight"),
    pytest.param({"diversity": "1e9"}, "diversity", "between 0 and 100", id="huge-weight"),
])
def test_bad_settings_show_the_problem_next_to_the_field_and_start_nothing(
    client: FlaskClient, auth: AuthActions, make_user: Any, make_community: Any,
    changes: dict[str, str], field: str, message: str
) -> None:
    cohort = Cohort(make_user, make_community, 25)
    log_in(auth, cohort, "facilitator")
    response = post_form(client, cohort.new_url, {**SETTINGS, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_beside(html, field)
    assert run_count(client.application) == 0
    for name, value in changes.items():  # what was typed stays in the form
        if name != "format" and value:
            assert f'value="{value}"' in html


def test_a_tampered_time_limit_is_refused(client: FlaskClient, auth: AuthActions,
                                          cohort: Cohort) -> None:
    log_in(auth, cohort, "facilitator")
    response = post_form(client, cohort.new_url, {**SETTINGS, "time_limit": "9999"})
    assert response.status_code == 422
    assert "time limit" in response.get_data(as_text=True)
    assert run_count(client.application) == 0


# --- the whole flow ----------------------------------------------------------------------

@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Circle ids each ``placed_in_circle`` broadcast went out for."""
    calls: list[int] = []
    monkeypatch.setattr("realtime.broadcast.placed_in_circle",
                        lambda circle, ids=None: calls.append(circle.id))
    return calls


def test_facilitator_forms_previews_and_publishes_and_members_see_their_circle(
    client: FlaskClient, auth: AuthActions, make_user: Any, make_community: Any,
    placed: list[int]
) -> None:
    cohort = Cohort(make_user, make_community, 13)
    with client.application.app_context():
        orm.session.get_one(Community, cohort.community.id).formation_weights = {"diversity": 7}
        orm.session.commit()
    log_in(auth, cohort, "facilitator")
    page = client.get(f"/communities/{cohort.community.id}").get_data(as_text=True)
    assert f'href="{cohort.new_url}">Form circles</a>' in page
    form = client.get(cohort.new_url).get_data(as_text=True)
    assert re.search(r'id="diversity"[^>]*value="7.0"', form)  # the community's weights

    run_id = start(client, cohort, diversity="4")
    assert client.get(f"/formation/{run_id}/status").get_json() == {"status": "draft",
                                                                    "fraction": 1.0}
    rounds = plan_of(client.application, run_id)
    assert len(rounds) == 1
    assert sorted(uid for circle in rounds[0] for uid in circle) == sorted(
        m.id for m in cohort.members)
    assert all(4 <= len(circle) <= 6 for circle in rounds[0])
    preview = client.get(f"/formation/{run_id}").get_data(as_text=True)
    for index in range(len(rounds[0])):
        assert f"Round 1 · Circle {index + 1}</h3>" in preview
    assert preview.count("new ties</li>") == len(rounds[0])
    assert "Random grouping" in preview and "New-tie ratio" in preview
    for member in cohort.members:
        assert preview.count(f'<span class="member-name">{member.display_name}</span>') == 1
    with client.application.app_context():
        assert orm.session.get_one(Community, cohort.community.id).formation_weights[
            "diversity"] == 4.0

    published = post(client, f"/formation/{run_id}/publish", {}, page=f"/formation/{run_id}")
    assert published.status_code == 302
    assert published.headers["Location"] == f"/communities/{cohort.community.id}"
    assert f"Published {len(rounds[0])} circles" in client.get(
        published.headers["Location"]).get_data(as_text=True)
    with client.application.app_context():
        circles = orm.session.scalars(select(Circle).where(
            Circle.formation_run_id == run_id).order_by(Circle.id)).all()
        seats = [sorted(s.user_id for s in c.current_seats) for c in circles]
        names = [c.name for c in circles]
    assert seats == [sorted(c) for c in rounds[0]]
    assert sorted(placed) == sorted(c.id for c in circles)
    assert run_row(client.application, run_id).status == "published"

    again = post(client, f"/formation/{run_id}/publish", {}, page=f"/formation/{run_id}")
    assert again.status_code == 409
    assert "published already" in again.get_data(as_text=True)
    with client.application.app_context():
        assert orm.session.scalar(select(func.count()).select_from(Circle)) == len(circles)

    auth.logout()
    member = cohort.members[5]
    assert auth.login(member.email).status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    mine = next(n for n, s in zip(names, seats, strict=True) if member.id in s)
    assert mine in dashboard


def test_discarding_publishes_nothing(client: FlaskClient, auth: AuthActions,
                                      cohort: Cohort) -> None:
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort)
    response = post(client, f"/formation/{run_id}/discard", {}, page=f"/formation/{run_id}")
    assert response.status_code == 302
    assert run_row(client.application, run_id).status == "discarded"
    refused = post(client, f"/formation/{run_id}/publish", {}, page=f"/formation/{run_id}")
    assert refused.status_code == 409
    with client.application.app_context():
        assert orm.session.scalar(select(func.count()).select_from(Circle)) == 0


def test_without_inline_the_run_computes_in_the_background_and_reports_progress(
    app: Flask, client: FlaskClient, auth: AuthActions, cohort: Cohort,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["FORMATION_RUN_INLINE"] = False
    reports: list[tuple[int, int, float, bool]] = []
    monkeypatch.setattr("realtime.broadcast.formation_progress",
                        lambda user_id, run_id, fraction, done=False, error=None:
                        reports.append((user_id, run_id, fraction, done)))
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort, time_limit="1")
    assert client.get(f"/formation/{run_id}").status_code == 200  # progress, or done already
    deadline = time.monotonic() + 30
    while (answer := client.get(f"/formation/{run_id}/status").get_json())["status"] == "computing":
        assert 0.0 <= answer["fraction"] <= 1.0
        assert time.monotonic() < deadline, "the background run never finished"
        time.sleep(0.05)
    assert answer == {"status": "draft", "fraction": 1.0}
    assert reports and reports[-1] == (cohort.facilitator.id, run_id, 1.0, True)
    fractions = [fraction for *_, fraction, _ in reports]
    assert fractions == sorted(fractions)
    assert "Round 1 · Circle 1" in client.get(f"/formation/{run_id}").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "rounds", "circles_per_round"), [
    pytest.param({"format": "pairs"}, 1, 6, id="pairs-odd-count-one-trio"),
    pytest.param({"format": "exact", "size": "3", "rounds": "3"}, 3, 4, id="three-rounds"),
])
def test_every_round_is_previewed(client: FlaskClient, auth: AuthActions, make_user: Any,
                                  make_community: Any, changes: dict[str, str], rounds: int,
                                  circles_per_round: int) -> None:
    cohort = Cohort(make_user, make_community, 13 if changes["format"] == "pairs" else 12)
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort, **changes)
    html = client.get(f"/formation/{run_id}").get_data(as_text=True)
    assert re.findall(r'<h2 id="round-(\d+)">', html) == [str(r + 1) for r in range(rounds)]
    assert html.count('class="card formation-circle"') == rounds * circles_per_round
    assert ("later rounds stay planned here" in html) == (rounds > 1)
