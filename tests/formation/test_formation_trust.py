"""Runs you can trust: the same inputs and seed give the same plan; the figures of every round
are kept after all are published; a run whose server died mid-solve is marked failed with a
retry (in-process, and for real: kill -9 of a live server, then a restart)."""

from __future__ import annotations

import random
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bench.cohorts import build_cohort
from circles.extensions import orm
from circles.formation import recovery
from circles.formation.plan import compute_run
from circles.formation.publish import publish
from circles.formation.recovery import fail_lost, interrupted, mark_computing
from circles.formation.start import start_run
from circles.kept import english
from circles.models import Community, FormationRun, Membership, User, utcnow
from tests.conftest import AuthActions, post_form
from tests.support.formation_cohort import Cohort, log_in, run_row
from tests.support.live import LiveServer, app_on, http_session

FAST = {"time_limit": 1.0}


def lead_of(db: Any, community_id: int) -> User:
    return db.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.community_id == community_id, Membership.role == "facilitator"))


def test_the_same_inputs_and_seed_give_the_same_plan(db: Any) -> None:
    cid = build_cohort(db, 20, random.Random(4), availability=True)
    community, lead = db.get_one(Community, cid), lead_of(db, cid)
    # As long as the search runs its steps (a busy machine may shorten it, and the run says so).
    plans = [compute_run(db, start_run(db, community, lead, min_size=4, max_size=6, rounds=2,
                                       seed=seed).id, time_limit=600).plan for seed in (7, 7, 8)]
    assert plans[0] == plans[1]
    assert plans[0] != plans[2]  # another seed, another (equally good) plan


def test_every_rounds_figures_are_kept_once_all_are_published(db: Any) -> None:
    cid = build_cohort(db, 24, random.Random(5), availability=False)
    community, lead = db.get_one(Community, cid), lead_of(db, cid)
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=6,
                                    rounds=2).id, **FAST)
    planned = [dict(row) for row in run.figures["rounds"]]
    publish(db, run)
    publish(db, run)
    assert [row["complementarity_coverage"] for row in run.figures["rounds"]] == [
        row["complementarity_coverage"] for row in planned]
    pairs = sum(row["counts"]["pairs"] for row in run.figures["rounds"])
    new = sum(row["counts"]["new"] for row in run.figures["rounds"])
    assert run.figures["plan"]["new_tie_ratio"] == round(new / pairs, 4)


def test_a_run_whose_process_is_gone_is_lost_and_others_are_not(db: Any) -> None:
    cid = build_cohort(db, 12, random.Random(6), availability=False)
    community, lead = db.get_one(Community, cid), lead_of(db, cid)
    run = start_run(db, community, lead, min_size=4, max_size=4)
    mark_computing(run, "gone-process")
    assert interrupted(run, alive=lambda process: False)
    assert not interrupted(run, alive=lambda process: True)
    late = utcnow() + timedelta(seconds=run.params["computing"]["cap"] + 61)
    assert interrupted(run, alive=lambda process: True, now=late)  # alive, but hours late
    assert fail_lost(db, alive=lambda process: process != "gone-process") == 1
    assert run.status == "failed" and english(run.params["error"]) == str(recovery.LOST)
    recovery.retry(db, run.id)
    assert run.status == "draft" and "computing" not in run.params


def test_the_page_of_a_lost_run_offers_a_retry_that_computes_it(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Any,
        make_community: Any) -> None:
    app.config["FORMATION_RUN_INLINE"] = True
    cohort = Cohort(make_user, make_community, 8)
    log_in(auth, cohort, "facilitator")
    with app.app_context():
        run = start_run(orm.session(), orm.session.get_one(Community, cohort.community.id),
                        orm.session.get_one(User, cohort.facilitator.id), min_size=4,
                        max_size=4)
        mark_computing(run, "a-process-that-died")
        orm.session.commit()
        run_id = run.id
    assert client.get(f"/formation/{run_id}/status").get_json()["status"] == "failed"
    page = client.get(f"/formation/{run_id}").get_data(as_text=True)
    assert "The server stopped while it was forming these circles" in page
    assert ">Retry with the same settings</button>" in page
    retried = post_form(client, f"/formation/{run_id}/retry", {}, page=f"/formation/{run_id}")
    assert retried.status_code == 302
    assert "Preview: the circles Circles proposes" in client.get(
        f"/formation/{run_id}").get_data(as_text=True)
    assert run_row(app, run_id).plan["rounds"]
    again = post_form(client, f"/formation/{run_id}/retry", {}, page=f"/formation/{run_id}")
    assert again.status_code == 302  # a computed run is not retried: said, nothing changes
    assert run_row(app, run_id).status == "draft"


@pytest.mark.live
def test_kill_9_mid_solve_then_restart_shows_the_run_failed_with_a_retry(
        live_server_factory: Any) -> None:
    server: LiveServer = live_server_factory(FLASK_LIVE_PROCESS_BEAT="0.5")
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        cid = build_cohort(orm.session(), 400, random.Random(9), availability=True)
        orm.session.commit()
    browser = http_session(server)
    browser.signup("boss@example.org")
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        boss = orm.session.scalars(select(User).where(User.email == "boss@example.org")).one()
        orm.session.add(Membership(community_id=cid, user_id=boss.id, role="facilitator"))
        orm.session.commit()
    new = f"/communities/{cid}/formation/new"
    started = browser.post_form(new, {"format": "range", "min_size": "4", "max_size": "6",
                                      "rounds": "3", "new_tie": "10", "coverage": "50",
                                      "complementarity": "3", "diversity": "2", "equity": "0.5",
                                      "repeat_penalty": "30"}, page=new, allow_redirects=False)
    assert started.status_code == 302, started.text[:2000]
    run_id = int(re.search(r"/formation/(\d+)", started.headers["Location"]).group(1))
    deadline = time.monotonic() + 20
    while browser.get(f"/formation/{run_id}/status").json()["fraction"] < 0.05:
        assert time.monotonic() < deadline, "the run never started computing"
        time.sleep(0.2)
    server.kill()
    server.restart()
    browser = http_session(server)
    browser.login("boss@example.org")
    deadline = time.monotonic() + 10  # three missed beats of 0.5 s mark the process dead
    while browser.get(f"/formation/{run_id}/status").json()["status"] != "failed":
        assert time.monotonic() < deadline, "the lost run was never marked failed"
        time.sleep(0.2)
    page = browser.get(f"/formation/{run_id}").text
    assert "The server stopped while it was forming these circles" in page
    assert "Retry with the same settings" in page
    retried = browser.post_form(f"/formation/{run_id}/retry", {}, page=f"/formation/{run_id}",
                                allow_redirects=False)
    assert retried.status_code == 302
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        assert orm.session.get_one(FormationRun, run_id).status == "draft"
