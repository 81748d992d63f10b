"""Property: crafted ids anywhere an id goes get the documented answer, never a 500 or an
exception.

Every route of the URL map with an integer argument, with every method it takes, is sent
generated ids — beyond ``ID_MAX`` up to 2**200, zero and negative numbers, digits of other
scripts, and words — by a signed-in member (the authorisation world's Ola; her token for
the API): a page answers 404, the API its JSON 404. Every Socket.IO event the server
registers gets generated values in each id field it reads (and as its whole payload) over
the Flask-SocketIO test client: the event's error ack, never "Something went wrong". The
test app propagates exceptions, so one raised anywhere fails the example.

tests/security/test_crafted_ids.py and tests/live/test_live_crafted_ids.py hold the named
cases on both databases; the world here is SQLite (an id is refused before any query).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, Rule

from circles import create_app
from circles.ids import ID_MAX
from realtime.acks import UNEXPECTED
from tests.conftest import csrf_token
from tests.support.authz_harness import Template, client_as, config, copy_of, make_template
from tests.support.authz_routes import url_for_rule
from tests.support.live import MACHINE_SPEED

EXAMPLES = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
API_NOT_FOUND = ("That resource was not found.", "There is no such API resource.")

#: Ids as text in a URL: too large, not positive, other scripts' digits, words.
CRAFTED_TEXT = st.one_of(
    st.integers(min_value=ID_MAX + 1, max_value=2**200).map(str),
    st.integers(max_value=0).map(str),
    st.text(st.characters(categories=["Nd"], exclude_characters="0123456789"),
            min_size=1, max_size=12),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/"),
            min_size=1, max_size=20)
    .filter(lambda s: not (s.isascii() and s.isdigit()) and s not in (".", "..")),
)
#: Ids as JSON values in a payload (None is left out: several fields take it as "none").
CRAFTED_VALUE = st.one_of(
    st.integers(min_value=ID_MAX + 1, max_value=2**200), st.integers(max_value=0),
    st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=12), st.text(max_size=20),
    st.lists(st.integers(min_value=ID_MAX + 1), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _int_routes() -> list[tuple[str, str, str]]:
    app = create_app(config(Path("/nonexistent/never-opened.sqlite3")))
    return sorted({(rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules()
                   if any(isinstance(c, IntegerConverter)
                          for c in rule._converters.values())  # type: ignore[attr-defined]
                   for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}})


ROUTES = _int_routes()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("crafted"))


@pytest.fixture(scope="module")
def world_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One copy of the world for every example: a crafted id reaches no view that writes."""
    with copy_of(template, tmp_path_factory.mktemp("copy"), **MACHINE_SPEED) as app:
        yield app


def test_the_routes_with_ids_are_all_here() -> None:
    assert len(ROUTES) >= 70  # 61 page routes and the API's (by rule and method)
    assert any(rule.startswith("/api/v1/") for rule, _, _ in ROUTES)


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), ROUTES,
                         ids=[f"{e}-{m}" for _, e, m in ROUTES])
def test_every_route_answers_a_crafted_id_with_404(world_app: Flask, template: Template,
                                                   rule_text: str, endpoint: str,
                                                   method: str) -> None:
    rule: Rule = next(r for r in world_app.url_map.iter_rules()
                      if r.rule == rule_text and method in (r.methods or set()))
    numeric = sorted(name for name, c in rule._converters.items()  # type: ignore[attr-defined]
                     if isinstance(c, IntegerConverter))
    api = rule_text.startswith("/api/")
    client = client_as(world_app, template, "owner", token=api)
    form = {} if api else {"csrf_token": csrf_token(client, "/")}

    @EXAMPLES
    @given(name=st.sampled_from(numeric), value=CRAFTED_TEXT)
    def answers_404(name: str, value: str) -> None:
        url = url_for_rule(world_app, rule, template.world,
                           replace={name: quote(value, safe="")})
        response = client.open(url, method=method, data=None if api else form,
                               json={} if api else None)
        assert response.status_code == 404, (url, response.status_code)
        if api:
            assert response.get_json()["error"]["message"] in API_NOT_FOUND
        else:
            assert "was not found" in response.get_data(as_text=True), url

    answers_404()


#: Each event's id fields (the names it reads from its payload); a new event must be added.
SESSION = ("session_id",)
ID_FIELDS: dict[str, tuple[str, ...]] = {
    "whoami": (),
    "live:join": (*SESSION, "after"), "live:events": (*SESSION, "after"),
    "live:leave": SESSION, "live:snapshot": SESSION, "live:phase_order": ("circle_id",),
    "live:start": SESSION, "live:end": SESSION, "live:advance": (*SESSION, "version"),
    "live:timer": SESSION, "live:prompt": SESSION, "live:contribute": SESSION,
    "live:commit": SESSION, "live:ready": SESSION, "live:take_over": SESSION,
    "live:take_back": SESSION, "live:agenda_add": (*SESSION, "question_id"),
    "live:agenda_rename": (*SESSION, "item_id"), "live:agenda_remove": (*SESSION, "item_id"),
    "live:agenda_timebox": (*SESSION, "item_id"),
    "live:agenda_reorder": (*SESSION, "item_ids"),
    "live:contribution_edit": (*SESSION, "contribution_id"),
    "live:helped": (*SESSION, "contribution_id"), "live:feedback": (*SESSION, "receiver_id"),
    "live:commit_withdraw": (*SESSION, "commitment_id"),
    "live:review": (*SESSION, "commitment_id"), "live:note": (*SESSION, "base_version"),
    "live:hand": (*SESSION, "member_id"), "live:stop": (*SESSION, "contribution_id"),
}


def valid_payload(template: Template) -> dict[str, Any]:
    """Every field an event takes, with Ola's real ids, so only the crafted one is wrong."""
    ids, users = template.world.ids, template.world.users
    return {"session_id": ids["session"], "circle_id": ids["circle"], "after": 0,
            "item_id": ids["agenda_item"], "item_ids": [ids["agenda_item"]],
            "contribution_id": ids["contribution"], "commitment_id": ids["commitment"],
            "receiver_id": users["peer"], "member_id": users["peer"], "title": "Pacing",
            "timebox_minutes": 5, "kind": "idea", "text": "An idea", "helped": True,
            "strength": "Clear", "suggestion": "Slower", "due_on": "2099-01-01",
            "status": "kept", "reflection": "", "private": True, "body": "note",
            "base_version": 0, "raised": False, "ready": True, "prompt": "How are you?",
            "action": "start", "seconds": 60, "version": 0}


@pytest.fixture(scope="module")
def socket(world_app: Flask, template: Template) -> SocketIOTestClient:
    client: SocketIOTestClient = world_app.extensions["socketio"].test_client(
        world_app, flask_test_client=client_as(world_app, template, "owner"))
    assert client.is_connected()
    return client


def test_every_registered_event_is_declared(world_app: Flask) -> None:
    handled = set(world_app.extensions["socketio"].server.handlers.get("/", {}))
    assert handled - {"connect", "disconnect"} == set(ID_FIELDS)


@pytest.mark.parametrize("event", sorted(ID_FIELDS))
def test_every_event_answers_a_crafted_id_with_its_error_ack(
        socket: SocketIOTestClient, template: Template, event: str) -> None:
    fields = ID_FIELDS[event]
    where = st.sampled_from(fields) if fields else st.just("")

    @EXAMPLES
    @given(field=where, value=CRAFTED_VALUE, whole=st.booleans())
    def refused(field: str, value: Any, whole: bool) -> None:
        data = value if whole or not field else {**valid_payload(template), field: value}
        ack = socket.emit(event, data, callback=True)
        socket.get_received()  # what a successful neighbour broadcast is not the point here
        assert isinstance(ack, dict) and ack.get("error") != UNEXPECTED, (event, data, ack)
        if event == "whoami":  # takes no payload: answers whoever is asking, whatever sent
            assert ack == {"ok": True, "member_id": template.world.users["owner"],
                           "display_name": "Ola Owner"}
            return
        assert ack["ok"] is False and isinstance(ack["error"], str), (event, data, ack)
        if field == "session_id" and not whole:
            assert ack["error"] in ("That session was not found.",
                                    "Name the session by its id, a positive whole number."), ack

    refused()
