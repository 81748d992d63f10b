"""Introductions: who is suggested, the consent workflow, declines that name nobody, privacy.

The world (community "Peer Circles"; Fay belongs only to "Elsewhere", with Ben):

    Ann ── Ben ── Cat ── Dan          Ann asks about negotiation and public speaking
     │      │ \\
    Eve ────┘  Gus, Hal, Ivy (ties), Jo (shares a circle with Ben), Fay (other community)

Ann is the requester throughout, Ben the mutual contact (broker), Cat the person asked about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.members import profiles
from circles.models import Interaction, Introduction, Tie, User, utcnow
from circles.network import introductions
from circles.network.introductions import NOT_AHEAD
from circles.network.ties import add_tie
from tests.conftest import AuthActions, post_form
from tests.support.meetings import met_at

STRENGTHS = {  # who offers what; Ann needs negotiation and public speaking
    "cat": ["Negotiation", "Public speaking"], "dan": ["Negotiation"], "eve": ["Negotiation"],
    "fay": ["Negotiation"], "gus": ["SQL tuning"], "hal": ["Negotiation"],
    "ivy": ["Public speaking"], "jo": ["public speaking"],
}
TIES = [("ann", "ben"), ("ann", "eve"), ("ben", "eve"), ("ben", "cat"), ("cat", "dan"),
        ("ben", "fay"), ("ben", "gus"), ("ben", "hal"), ("ben", "ivy")]


@dataclass
class World:
    ids: dict[str, int]
    emails: dict[str, str]

    def __getitem__(self, who: str) -> int:
        return self.ids[who]


@pytest.fixture
def world(app: Flask, make_user: Any, make_community: Any, make_circle: Any,
          sent: list[tuple[int, str, dict[str, Any]]]) -> World:
    names = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jo", "otto"]
    users = {n: make_user(display_name=f"{n.capitalize()} {n.upper()}son") for n in names}
    community = make_community(users["otto"], name="Peer Circles",
                               members=[users[n] for n in names if n not in ("fay", "otto")])
    make_community(users["fay"], name="Elsewhere", members=[users["ben"]])
    ben_and_jo = make_circle(community, [users["ben"], users["jo"]], name="Ben & Jo")
    with app.app_context():
        db = orm.session
        met_at(db, ben_and_jo.id, [users["ben"].id, users["jo"].id], utcnow())
        ann = db.get_one(User, users["ann"].id)
        profiles.add_question(db, ann, text="How do I ask for a raise?", topic="negotiation")
        profiles.add_learning_goal(db, ann, topic="Public speaking")
        for who, topics in STRENGTHS.items():
            for topic in topics:
                profiles.add_strength(db, db.get_one(User, users[who].id), topic=topic)
        for a, b in TIES:
            add_tie(db, users[a].id, users[b].id, source="declared")
        db.commit()
    w = World({n: u.id for n, u in users.items()}, {n: u.email for n, u in users.items()})
    ask(app, w, "hal", "declined")
    ask(app, w, "ivy", "requested")
    return w


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, dict[str, Any]]]:
    """Every realtime message sent to a member: (member id, event, data)."""
    calls: list[tuple[int, str, dict[str, Any]]] = []
    monkeypatch.setattr("realtime.broadcast.to_member",
                        lambda member_id, event, data: calls.append((member_id, event, data)))
    return calls


def ask(app: Flask, w: World, target: str, until: str, reason: str = "We both sell.") -> int:
    """Ann asks Ben to introduce her to ``target``, then the story runs on to ``until``."""
    with app.app_context():
        db = orm.session
        user = lambda who: db.get_one(User, w[who])
        intro = introductions.request_introduction(db, user("ann"), w[target], w["ben"], reason)
        if until == "declined":
            introductions.broker_decline(db, user("ben"), intro.id)
        elif until in ("brokered", "accepted"):
            introductions.broker_agree(db, user("ben"), intro.id, "Ann, meet a fine negotiator.")
            if until == "accepted":
                introductions.target_accept(db, user(target), intro.id)
        db.commit()
        return intro.id


def run(app: Flask, operation: Callable[[Any], Any]) -> Any:
    with app.app_context():
        result = operation(orm.session)
        orm.session.commit()
        return result


def as_(auth: AuthActions, w: World, who: str) -> None:
    """Log in as ``who``, logging out whoever was in before."""
    if getattr(auth, "logged_in", False):
        auth.logout()
    auth.logged_in = True  # type: ignore[attr-defined]
    assert auth.login(w.emails[who]).status_code == 302


def intro_row(app: Flask, intro_id: int) -> tuple[str, str | None]:
    with app.app_context():
        row = orm.session.get_one(Introduction, intro_id)
        return row.status, row.open_pair


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count()).select_from(model)) or 0


# --- suggestions ---------------------------------------------------------------------------

def test_suggestions_are_two_steps_away_share_a_community_and_answer_my_topics(
        app: Flask, world: World) -> None:
    found = run(app, lambda db: introductions.suggestions(db, world["ann"]))
    # Cat answers both topics; Jo (a circle-mate of Ben) one. Not: Ben/Eve (tied to Ann), Dan
    # (three steps), Fay (other community), Gus (no matching strength), Hal (declined), Ivy (open).
    assert [s.target_id for s in found] == [world["cat"], world["jo"]]
    cat = found[0]
    assert (cat.broker_id, cat.broker_name) == (world["ben"], "Ben BENson")
    assert cat.topics == ("Negotiation", "Public speaking")
    assert cat.why == ("Cat CATson offers Negotiation and Public speaking, which you are "
                       "working on; Ben BENson knows you both.")
    assert run(app, lambda db: introductions.suggestions(db, world["ann"], limit=1)) == [cat]


def test_no_suggestions_without_topics_to_answer(app: Flask, world: World) -> None:
    assert run(app, lambda db: introductions.suggestions(db, world["dan"])) == []


def test_an_accepted_introduction_ties_the_pair_and_opens_the_next_step(
        app: Flask, world: World) -> None:
    ask(app, world, "cat", "accepted")
    found = run(app, lambda db: introductions.suggestions(db, world["ann"]))
    # Cat is tied now; Dan, Cat's contact, is two steps away through her.
    assert [(s.target_id, s.broker_id) for s in found] == [(world["dan"], world["cat"]),
                                                          (world["jo"], world["ben"])]


# --- the workflow over HTTP ---------------------------------------------------------------

def test_request_agree_accept_creates_a_tie_and_an_interaction(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World,
        sent: list[tuple[int, str, dict[str, Any]]]) -> None:
    as_(auth, world, "ann")
    page = client.get("/introductions").get_data(as_text=True)
    assert "Ask Ben BENson to introduce you" in page and f'id="suggestion-{world["cat"]}"' in page
    response = post_form(client, "/introductions/request",
                         {"target_id": world["cat"], "broker_id": world["ben"],
                          "reason": "I negotiate my first contract.", "next": "/introductions"},
                         page="/introductions")
    assert response.status_code == 302 and response.headers["Location"] == "/introductions"
    with app.app_context():
        intro = orm.session.scalars(select(Introduction).where(
            Introduction.target_id == world["cat"])).one()
        intro_id, community_id = intro.id, intro.community_id
    assert intro_row(app, intro_id) == ("requested", f"{world['ann']}:{world['cat']}")
    assert sent[-1] == (world["ben"], "introduction", {"id": intro_id, "status": "requested"})

    as_(auth, world, "cat")  # nothing shows before the broker agreed
    assert "I negotiate my first contract." not in client.get("/introductions").get_data(
        as_text=True)

    as_(auth, world, "ben")
    page = client.get("/introductions").get_data(as_text=True)
    assert "Ann ANNson asks you to introduce them to Cat CATson." in page
    assert "I negotiate my first contract." in page
    response = post_form(client, f"/introductions/{intro_id}/agree",
                         {"note": "Cat closed our biggest deal."}, page="/introductions")
    assert response.status_code == 302
    assert intro_row(app, intro_id)[0] == "brokered"
    assert sent[-1] == (world["cat"], "introduction", {"id": intro_id, "status": "brokered"})

    as_(auth, world, "cat")
    page = client.get("/introductions").get_data(as_text=True)
    assert "Ben BENson would like to introduce you to Ann ANNson." in page
    assert "Cat closed our biggest deal." in page and "I negotiate my first contract." in page
    assert post_form(client, f"/introductions/{intro_id}/accept", {},
                     page="/introductions").status_code == 302
    assert intro_row(app, intro_id) == ("accepted", None)
    assert sent[-2:] == [(world["ann"], "introduction", {"id": intro_id, "status": "accepted"}),
                         (world["ben"], "introduction", {"id": intro_id, "status": "accepted"})]
    with app.app_context():
        low, high = sorted((world["ann"], world["cat"]))
        tie = orm.session.scalars(select(Tie).where(Tie.low_id == low, Tie.high_id == high)).one()
        assert (tie.source, tie.community_id) == ("introduction", community_id)
        kinds = orm.session.scalars(select(Interaction.kind).where(
            Interaction.low_id == low, Interaction.high_id == high)).all()
        assert kinds == ["introduction"]

    as_(auth, world, "ann")
    assert "Introduced: you are now connected with Cat CATson." in client.get(
        "/introductions").get_data(as_text=True)


@pytest.mark.parametrize(("actor", "url", "stage"), [
    ("ben", "decline", "requested"),
    ("cat", "decline", "brokered"),
    ("ann", "withdraw", "requested"),
    ("ann", "withdraw", "brokered"),
])
def test_every_way_out_ends_it_and_names_nobody(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World,
        sent: list[Any], actor: str, url: str, stage: str) -> None:
    intro_id = ask(app, world, "cat", stage)
    before = len(sent)
    as_(auth, world, actor)
    assert post_form(client, f"/introductions/{intro_id}/{url}", {},
                     page="/introductions").status_code == 302
    status = "withdrawn" if actor == "ann" else "declined"
    assert intro_row(app, intro_id) == (status, None)
    assert count(app, Tie) == len(TIES) and len(sent) == before  # no tie, nobody nudged
    with app.app_context():
        intro = orm.session.get_one(Introduction, intro_id)
        seen_by = {"ann": introductions.status_line(intro, world["ann"]),
                   "ben": introductions.status_line(intro, world["ben"]),
                   "cat": introductions.status_line(intro, world["cat"])}
    if actor != "ann":
        assert seen_by["ann"] == NOT_AHEAD
        as_(auth, world, "ann")
        page = client.get("/introductions").get_data(as_text=True)
        assert str(NOT_AHEAD) in page
        assert "declined" not in page.lower() and "Cat closed" not in page
    for other in {"ben", "cat"} - {actor}:
        if other == "cat" and stage == "requested":
            continue  # Cat was never asked, so never sees it
        assert seen_by[other] == NOT_AHEAD
    # once it has ended, nobody can act on it any more
    with pytest.raises((Conflict, NotFound)):
        run(app, lambda db: introductions.target_accept(db, db.get_one(User, world["cat"]),
                                                        intro_id))


def test_the_requester_cannot_tell_whether_the_broker_agreed(app: Flask, world: World) -> None:
    waiting = ask(app, world, "cat", "requested")
    lines = run(app, lambda db: introductions.status_line(
        db.get_one(Introduction, waiting), world["ann"]))
    run(app, lambda db: introductions.broker_agree(db, db.get_one(User, world["ben"]), waiting,
                                                   "Meet Ann."))
    after = run(app, lambda db: introductions.status_line(
        db.get_one(Introduction, waiting), world["ann"]))
    assert lines == after == "Waiting for replies."


def test_a_declined_pair_is_not_suggested_and_cannot_be_asked_again(
        app: Flask, world: World) -> None:
    ask(app, world, "cat", "brokered")
    intro_id = run(app, lambda db: db.scalar(select(Introduction.id).where(
        Introduction.target_id == world["cat"])))
    run(app, lambda db: introductions.target_decline(db, db.get_one(User, world["cat"]),
                                                     intro_id))
    found = run(app, lambda db: introductions.suggestions(db, world["ann"]))
    assert world["cat"] not in [s.target_id for s in found]
    with pytest.raises(InvalidInput, match="did not go ahead"):
        ask(app, world, "cat", "requested")


# --- privacy ------------------------------------------------------------------------------

ACTIONS = [("GET", "agree"), ("POST", "agree"), ("POST", "decline"), ("POST", "accept"),
           ("POST", "withdraw")]


@pytest.mark.parametrize(("method", "action"), ACTIONS)
@pytest.mark.parametrize("who", ["otto", "dan", "fay", "unknown id"])
def test_outsiders_get_404_on_every_route(app: Flask, client: FlaskClient, auth: AuthActions,
                                          world: World, who: str, method: str,
                                          action: str) -> None:
    intro_id = ask(app, world, "cat", "brokered")
    as_(auth, world, "ann" if who == "unknown id" else who)
    url = f"/introductions/{intro_id + 1000 if who == 'unknown id' else intro_id}/{action}"
    response = (client.get(url) if method == "GET"
                else post_form(client, url, {"note": "x"}, page="/introductions"))
    assert response.status_code == 404
    assert intro_row(app, intro_id)[0] == "brokered"


@pytest.mark.parametrize(("who", "action"), [
    ("cat", "accept"), ("cat", "decline"),  # before the broker agreed, Cat is not involved
    ("ann", "agree"), ("ann", "accept"), ("ben", "withdraw"), ("ben", "accept"),
])
def test_involved_people_get_404_for_steps_that_are_not_theirs(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World, who: str,
        action: str) -> None:
    intro_id = ask(app, world, "cat", "requested")
    as_(auth, world, who)
    response = post_form(client, f"/introductions/{intro_id}/{action}", {"note": "x"},
                         page="/introductions")
    assert response.status_code == 404
    assert intro_row(app, intro_id)[0] == "requested"


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, world: World) -> None:
    response = client.get("/introductions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "field", "message"), [
    ({"reason": "r" * 501}, "reason", "Keep it under 500 characters (this has 501)."),
    ({"reason": "  "}, "reason", "Say in a line why you would like to meet them."),
    ({"broker_id": "eve"}, "broker_id", "Choose someone who knows you both."),
    ({"broker_id": "ann"}, "broker_id", "Choose someone who knows you both."),
    ({"target_id": "ann"}, "target_id", "You cannot ask to be introduced to yourself."),
    ({"target_id": "eve"}, "target_id", "You are already connected with Eve EVEson."),
    ({"target_id": "fay"}, "target_id", "Choose someone from one of your communities."),
    ({"target_id": "ivy"}, "target_id",
     "You already asked to meet Ivy IVYson; that request is still open."),
])
def test_bad_requests_get_an_error_next_to_the_field(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World, sent: list[Any],
        data: dict[str, str], field: str, message: str) -> None:
    form = {"target_id": "cat", "broker_id": "ben", "reason": "We both sell."} | data
    form = {k: (str(world[v]) if k != "reason" else v) for k, v in form.items()}
    as_(auth, world, "ann")
    before = count(app, Introduction)
    response = post_form(client, "/introductions/request", form, page="/introductions")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error" role="alert">{message}</p>' in html
    assert count(app, Introduction) == before and sent == []


def test_a_too_long_note_is_refused_and_nothing_changes(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    intro_id = ask(app, world, "cat", "requested")
    as_(auth, world, "ben")
    response = post_form(client, f"/introductions/{intro_id}/agree", {"note": "n" * 501},
                         page="/introductions")
    assert response.status_code == 422
    assert ('id="note-error" role="alert">Keep it under 500 characters (this has 501).</p>'
            in response.get_data(as_text=True))
    assert intro_row(app, intro_id)[0] == "requested"


def test_agreeing_twice_is_a_conflict(app: Flask, world: World) -> None:
    intro_id = ask(app, world, "cat", "brokered")
    with pytest.raises(Conflict, match="no longer waiting"):
        run(app, lambda db: introductions.broker_agree(db, db.get_one(User, world["ben"]),
                                                       intro_id, "Again"))


def test_a_racing_duplicate_request_is_stopped_by_the_database(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two submits at once both pass the "already asked?" check; the open-pair key refuses
    the second one."""
    monkeypatch.setattr(introductions, "_earlier_request", lambda db, requester, target: None)
    as_(auth, world, "ann")
    before = count(app, Introduction)
    response = post_form(client, "/introductions/request",
                         {"target_id": world["ivy"], "broker_id": world["ben"], "reason": "Again"},
                         page="/introductions")
    assert response.status_code == 422
    assert "You already asked for this introduction; it is still open." in response.get_data(
        as_text=True)
    assert count(app, Introduction) == before
