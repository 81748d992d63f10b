"""Publishing says what happens to the circles it did not form, names its circles pleasantly,
and the round it publishes has one number on every page: the formation page, the circle
page, the dashboard and the community's network report. Circles can be renamed by their
members. Through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.communities.circle import create_circle
from circles.communities.names import WORDS, fresh_names
from circles.extensions import orm
from circles.models import Circle, CircleSession, Community, User, utcnow
from circles.network.community import community_report
from circles.network.ego import member_rounds
from tests.conftest import AuthActions, post_form
from tests.support.formation_cohort import Cohort, log_in, post, start


@pytest.fixture(autouse=True)
def inline(app: Flask) -> None:
    app.config["FORMATION_RUN_INLINE"] = True


@pytest.fixture
def cohort(app: Flask, make_user: Any, make_community: Any) -> Cohort:
    """Twelve members; two of them already sit in "Lantern circle", formed by hand a day ago,
    with a session planned next week."""
    cohort = Cohort(make_user, make_community, 12)
    with app.app_context():
        db = orm.session
        lantern = create_circle(db, db.get_one(Community, cohort.community.id),
                                db.get_one(User, cohort.facilitator.id), name="Lantern circle",
                                member_ids=[cohort.members[0].id, cohort.members[1].id])
        lantern.created_at = utcnow() - timedelta(days=1)
        db.add(CircleSession(circle_id=lantern.id, starts_at=utcnow() + timedelta(days=7)))
        db.commit()
    return cohort


def lantern(app: Flask) -> Circle:
    with app.app_context():
        row = orm.session.scalar(select(Circle).where(Circle.name == "Lantern circle"))
        assert row is not None
        orm.session.expunge(row)
        return row


def formed(app: Flask, run_id: int) -> list[Circle]:
    with app.app_context():
        rows = list(orm.session.scalars(select(Circle).where(Circle.formation_run_id == run_id)
                                        .order_by(Circle.id)))
        orm.session.expunge_all()
        return rows


def publish_page(client: FlaskClient, auth: AuthActions, cohort: Cohort) -> tuple[int, str]:
    log_in(auth, cohort, "facilitator")
    run_id = start(client, cohort)
    return run_id, client.get(f"/formation/{run_id}").get_data(as_text=True)


def test_publish_closes_the_other_open_circles_by_default(
        app: Flask, client: FlaskClient, auth: AuthActions, cohort: Cohort) -> None:
    run_id, page = publish_page(client, auth, cohort)
    assert "1 circle is still open that this plan did not form" in page
    assert "Lantern circle" in page
    assert re.search(r'value="close" checked> Close them \(their upcoming sessions are called '
                     r'off\)', page)
    assert "Keep them alongside the new circles" in page

    done = post(client, f"/formation/{run_id}/publish", {"round_no": "1"},
                page=f"/formation/{run_id}")
    assert done.status_code == 302
    flashed = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "for round 1 and closed 1 other open circle" in flashed
    assert lantern(app).closed_at is not None
    assert "Lantern circle" not in [c.name for c in formed(app, run_id)]  # not even a closed one's
    with app.app_context():
        assert orm.session.scalar(select(CircleSession.status)) == "cancelled"

    # Its members are in one open circle only: the new one.
    auth.logout()
    assert auth.login(cohort.members[0].email).status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    assert "Lantern circle" not in dashboard
    assert dashboard.count('class="card circle-card"') == 1


def test_publish_can_keep_them_alongside(
        app: Flask, client: FlaskClient, auth: AuthActions, cohort: Cohort) -> None:
    run_id, _ = publish_page(client, auth, cohort)
    done = post(client, f"/formation/{run_id}/publish", {"round_no": "1", "others": "keep"},
                page=f"/formation/{run_id}")
    assert done.status_code == 302
    assert "other open circle" not in client.get(done.headers["Location"]).get_data(as_text=True)
    assert lantern(app).closed_at is None
    names = [c.name for c in formed(app, run_id)]
    assert "Lantern circle" not in names  # never the name of a circle still open
    auth.logout()
    assert auth.login(cohort.members[0].email).status_code == 302
    assert client.get("/").get_data(as_text=True).count('class="card circle-card"') == 2


def test_an_unknown_choice_is_refused_in_words(
        app: Flask, client: FlaskClient, auth: AuthActions, cohort: Cohort) -> None:
    run_id, _ = publish_page(client, auth, cohort)
    refused = post(client, f"/formation/{run_id}/publish", {"round_no": "1", "others": "burn"},
                   page=f"/formation/{run_id}")
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Choose whether the circles still open close or stay open." in body
    assert "others:" not in body
    assert formed(app, run_id) == [] and lantern(app).closed_at is None


def test_names_are_pleasant_stable_and_unique_among_open_circles() -> None:
    first = fresh_names(5, seed="1:1", taken=["Lantern circle"])
    assert first == fresh_names(5, seed="1:1", taken=["Lantern circle"])
    assert "Lantern circle" not in first and len(set(first)) == 5
    assert all(re.fullmatch(r"[A-Z][a-z]+ circle", name) for name in first)
    many = fresh_names(len(WORDS) + 3, seed="x", taken=[])
    assert len(set(many)) == len(many) and many[-1].endswith(" circle 2")


def test_one_round_number_on_every_page(
        app: Flask, client: FlaskClient, auth: AuthActions, cohort: Cohort) -> None:
    """The network report used to call the first published round "Round 2 (now)" (circles
    formed by hand counted as round 1) while the formation page said "Round 1"."""
    run_id, page = publish_page(client, auth, cohort)
    assert "Publish round 1" in page
    post(client, f"/formation/{run_id}/publish", {"round_no": "1", "others": "keep"},
         page=f"/formation/{run_id}")
    new = formed(app, run_id)[0]
    assert 'class="badge round">Round 1</span>' in client.get(f"/circles/{new.id}").get_data(
        as_text=True)
    report = client.get(f"/communities/{cohort.community.id}/network").get_data(as_text=True)
    assert "Round 1 (now)" in report and "Round 2" not in report
    with app.app_context():
        labels = [r["label"] for r in community_report(orm.session, cohort.community.id)["rounds"]]
        mine = [r.label for r in member_rounds(orm.session, cohort.members[0].id)]
    assert labels[-1] == "Round 1 (now)" and labels[0].startswith("Formed by hand")
    assert mine == ["Before Circles", "Lantern circle", "Round 1 (now)"]  # my network's chart

    # A second formation run goes on counting: its first round is the community's round 2.
    second = start(client, cohort, allow_repeats="y")  # twelve people meet again
    page = client.get(f"/formation/{second}").get_data(as_text=True)
    assert "Publish round 2" in page and "Publish round 1" not in page
    # Its planned circles and the rules they break are labelled with the same number.
    assert "Round 2 · Circle 1" in page and "Round 1 · Circle" not in page
    again = post(client, f"/formation/{second}/publish", {"round_no": "1"},
                 page=f"/formation/{second}")
    assert again.status_code == 302, re.findall(r'class="error"[^>]*>([^<]+)', again.get_data(
        as_text=True))
    newer = formed(app, second)[0]
    assert 'class="badge round">Round 2</span>' in client.get(
        f"/circles/{newer.id}").get_data(as_text=True)
    with app.app_context():
        labels = [r["label"] for r in community_report(orm.session, cohort.community.id)["rounds"]]
    assert labels[-2:] == ["Round 1", "Round 2 (now)"]


# --- renaming --------------------------------------------------------------------------------

@pytest.fixture
def pair(make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    ana, ben, fay, dee = (make_user(display_name=n) for n in ("Ana", "Ben", "Fay", "Dee"))
    community = make_community(fay, members=[ana, ben, dee])
    circle = make_circle(community, [ana, ben], name="Round 1 · Circle 8")
    return {"ana": ana, "ben": ben, "fay": fay, "dee": dee, "circle": circle.id}


def rename(client: FlaskClient, circle_id: int, name: str) -> Any:
    return post_form(client, f"/circles/{circle_id}/name", {"name": name},
                     page=f"/circles/{circle_id}")


def circle_name(app: Flask, circle_id: int) -> str:
    with app.app_context():
        return orm.session.get_one(Circle, circle_id).name


def test_a_member_renames_the_circle(app: Flask, client: FlaskClient, auth: AuthActions,
                                     pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    page = client.get(f"/circles/{pair['circle']}").get_data(as_text=True)
    assert "Rename this circle" in page
    done = rename(client, pair["circle"], "   Cedar   circle  ")
    assert done.status_code == 302
    assert circle_name(app, pair["circle"]) == "Cedar circle"
    assert "The circle is now called Cedar circle." in client.get(
        done.headers["Location"]).get_data(as_text=True)
    auth.logout()
    auth.login(pair["ben"].email)
    assert "<h1>Cedar circle</h1>" in client.get(f"/circles/{pair['circle']}").get_data(
        as_text=True)


@pytest.mark.parametrize(("name", "error"), [
    ("", "Give the circle a name."),
    ("   ", "Give the circle a name."),
    ("x" * 81, "Keep the name to 80 characters (it has 81)."),
])
def test_a_bad_name_is_explained_and_nothing_changes(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, Any], name: str,
        error: str) -> None:
    auth.login(pair["ana"].email)
    refused = rename(client, pair["circle"], name)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert error in body and 'id="circle-name-error"' in body and "name:" not in body
    assert circle_name(app, pair["circle"]) == "Round 1 · Circle 8"


def test_eighty_characters_is_fine(app: Flask, client: FlaskClient, auth: AuthActions,
                                   pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    assert rename(client, pair["circle"], "y" * 80).status_code == 302
    assert circle_name(app, pair["circle"]) == "y" * 80


@pytest.mark.parametrize("who", ["fay", "dee"])
def test_others_cannot_rename(app: Flask, client: FlaskClient, auth: AuthActions,
                              pair: dict[str, Any], who: str) -> None:
    auth.login(pair["ana"].email)
    token_page = f"/circles/{pair['circle']}"
    auth.logout()
    auth.login(pair[who].email)
    response = post_form(client, f"/circles/{pair['circle']}/name", {"name": "Mine now"},
                         page="/" if who == "dee" else token_page)
    assert response.status_code == 404
    assert circle_name(app, pair["circle"]) == "Round 1 · Circle 8"


def test_a_closed_circle_keeps_its_name(app: Flask, client: FlaskClient, auth: AuthActions,
                                        pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    post_form(client, f"/circles/{pair['circle']}/close", {}, page=f"/circles/{pair['circle']}")
    page = client.get(f"/circles/{pair['circle']}").get_data(as_text=True)
    assert "Rename this circle" not in page and "This circle closed on" in page
    refused = rename(client, pair["circle"], "Too late")
    assert refused.status_code == 409
    assert "keeps the name it had" in refused.get_data(as_text=True)
    assert circle_name(app, pair["circle"]) == "Round 1 · Circle 8"
