"""The JSON API: token authentication, the same authorisation as the pages (denial = 404),
nothing confidential in any answer, pagination, validation errors, and the tokens page."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from schemathesis.specs.openapi.definitions import OPENAPI_31
from sqlalchemy import select

from circles.api.tokens import hash_token
from circles.extensions import orm
from circles.models import ApiToken, Commitment, User
from circles.security_log import LOGGER_NAME
from tests.conftest import PASSWORD, post_form
from tests.support.api_world import (
    DEAD_ROLES,
    LIVE_ROLES,
    MATES_CONTACT,
    OWNER_COMMITMENTS,
    SECRETS,
    ApiWorld,
    build_api_world,
)

V1 = "/api/v1"
ALL_ROLES = (*LIVE_ROLES, *DEAD_ROLES, "anonymous")


@pytest.fixture
def api(app: Flask, make_user: Callable[..., Any], make_community: Callable[..., Any],
        make_circle: Callable[..., Any]) -> ApiWorld:
    return build_api_world(app, make_user, make_community, make_circle)


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]


def get(client: FlaskClient, api: ApiWorld, who: str, path: str) -> Any:
    return client.get(V1 + path, headers=api.headers(who))


# Who may read what (status per role); dead tokens and no token are 401 everywhere. A site
# admin is nobody special here: the API has no operator powers.
HIDDEN = {"outsider": 404, "other_facilitator": 404, "admin": 404}
READ_MATRIX: dict[str, dict[str, int]] = {
    "/me": dict.fromkeys(LIVE_ROLES, 200),
    "/communities": dict.fromkeys(LIVE_ROLES, 200),
    "/communities/{community}": {"owner": 200, "mate": 200, "other_circle": 200,
                                 "facilitator": 200, **HIDDEN},
    "/communities/{community}/members": {"owner": 200, "mate": 200, "other_circle": 200,
                                         "facilitator": 200, **HIDDEN},
    "/circles": dict.fromkeys(LIVE_ROLES, 200),
    "/circles/{circle}": {"owner": 200, "mate": 200, "other_circle": 404,
                          "facilitator": 200, **HIDDEN},
    "/circles/{circle}/sessions": {"owner": 200, "mate": 200, "other_circle": 404,
                                   "facilitator": 200, **HIDDEN},
    "/sessions/{session}": {"owner": 200, "mate": 200, "other_circle": 404,
                            "facilitator": 404, **HIDDEN},
    "/commitments": dict.fromkeys(LIVE_ROLES, 200),
    "/network": dict.fromkeys(LIVE_ROLES, 200),
}


def fill(api: ApiWorld, template: str) -> str:
    return template.format(community=api.community_id, circle=api.circle_id,
                           session=api.session_id)


# One world for the whole table (tables are looped, not parametrized, to build it once).
def test_every_role_reads_what_the_pages_allow(
        client: FlaskClient, api: ApiWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    for template, who in [(t, w) for t in sorted(READ_MATRIX) for w in ALL_ROLES]:
        expected = {**READ_MATRIX[template], **dict.fromkeys((*DEAD_ROLES, "anonymous"), 401)}
        caplog.clear()
        response = get(client, api, who, fill(api, template))
        assert response.status_code == expected[who], (template, who, response.get_json())
        assert response.mimetype == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, (who, template)
        if who != "mate":
            assert MATES_CONTACT not in body, (who, template)
        if expected[who] == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if expected[who] == 404:
            assert response.get_json()["error"]["field"] is None
            logged = events(caplog)
            assert [e["event"] for e in logged] == ["authz_fail"]
            assert logged[0]["user"] == api.user_ids[who]


def _denial_like_missing(client: FlaskClient, api: ApiWorld) -> None:
    hidden = get(client, api, "outsider", f"/circles/{api.circle_id}")
    missing = get(client, api, "outsider", "/circles/999999")
    assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
    for path in ("/circles/99999999999", "/circles/0", "/circles/abc", "/sessions/-1"):
        response = get(client, api, "owner", path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["field"] is None


def _lists(client: FlaskClient, api: ApiWorld) -> None:
    def ids(who: str, path: str) -> list[int]:
        return [item["id"] for item in get(client, api, who, path).get_json()["items"]]

    assert ids("owner", "/circles") == [api.circle_id]
    assert ids("other_circle", "/circles") == [api.other_circle_id]
    assert ids("facilitator", "/circles") == []  # facilitates, but sits in none
    assert ids("outsider", "/communities") == [api.other_community_id]
    assert api.mates_commitment_id in ids("mate", "/commitments?limit=100")
    assert api.mates_commitment_id not in ids("owner", "/commitments?limit=100")
    me = get(client, api, "owner", "/me").get_json()
    assert me["id"] == api.user_ids["owner"] and me["email"] == api.world.email("circle_member")
    circle = get(client, api, "facilitator", f"/circles/{api.circle_id}").get_json()
    assert sorted(m["id"] for m in circle["members"]) == sorted(
        api.user_ids[w] for w in ("owner", "mate"))
    session = get(client, api, "mate", f"/sessions/{api.session_id}").get_json()
    assert {r["role"]: r["user_id"] for r in session["roles"]} == {
        "facilitator": api.user_ids["owner"], "timekeeper": None}


def _member_emails(
        client: FlaskClient, api: ApiWorld) -> None:
    path = f"/communities/{api.community_id}/members?limit=100"
    for who in ("owner", "mate", "other_circle"):
        members = get(client, api, who, path).get_json()["items"]
        assert members and all(m["email"] is None for m in members), who
    members = get(client, api, "facilitator", path).get_json()["items"]
    assert all("@" in m["email"] for m in members)
    mate = next(m for m in members if m["id"] == api.user_ids["mate"])
    assert mate["strengths"] == ["Negotiation"] and mate["role"] == "member"


def _network(
        client: FlaskClient, api: ApiWorld) -> None:
    net = get(client, api, "owner", "/network").get_json()
    ego = str(api.user_ids["owner"])
    mate = str(api.user_ids["mate"])
    assert net["ego"] == api.user_ids["owner"]
    assert {n["id"] for n in net["nodes"] if n["kind"] == "member"} >= {ego, mate}
    assert any({t["source"], t["target"]} == {ego, mate} and t["strength"] > 0
               for t in net["ties"])
    assert {"size", "range", "constraint"} <= {m["key"] for m in net["metrics"]}
    assert "Owner's own contact" in [n["name"] for n in net["nodes"]]  # mine, so shown
    mates = get(client, api, "mate", "/network").get_json()
    assert MATES_CONTACT in [n["name"] for n in mates["nodes"]]


def _commitment_pages(
        client: FlaskClient, api: ApiWorld) -> None:
    for limit in (1, 7, 25, 100):
        seen: list[int] = []
        cursor: str | None = None
        pages = 0
        while True:
            query = f"/commitments?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            body = get(client, api, "owner", query).get_json()
            assert len(body["items"]) <= limit
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == OWNER_COMMITMENTS, limit
        assert pages == -(-OWNER_COMMITMENTS // limit), limit  # no empty trailing page
    default = get(client, api, "owner", "/commitments").get_json()
    assert len(default["items"]) == 20 and default["next_cursor"]


def _session_pages(
        client: FlaskClient, api: ApiWorld) -> None:
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        body = get(client, api, "owner", f"/circles/{api.circle_id}/sessions?limit=2"
                   + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += body["items"]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert sorted(s["id"] for s in seen) == sorted(api.session_ids)
    assert [s["starts_at"] for s in seen] == sorted(s["starts_at"] for s in seen)


def _status_filter(client: FlaskClient, api: ApiWorld) -> None:
    kept = get(client, api, "owner", "/commitments?status=kept").get_json()["items"]
    assert [c["status"] for c in kept] == ["kept"]


BAD_QUERIES = [
    ("/commitments?limit=0", "limit"),
    ("/commitments?limit=101", "limit"),
    ("/commitments?limit=ten", "limit"),
    ("/commitments?cursor=not-a-cursor", "cursor"),
    ("/commitments?cursor=WzEsMl0", "cursor"),  # a well-formed cursor of the wrong shape
    ("/circles?cursor=WyJ4Il0", "cursor"),
    ("/commitments?status=done", "status"),
    ("/communities/{community}/members?limit=-3", "limit"),
]


def _bad_queries(
        client: FlaskClient, api: ApiWorld) -> None:
    for path, field in BAD_QUERIES:
        response = get(client, api, "owner", fill(api, path))
        assert response.status_code == 400, path
        error = response.get_json()["error"]
        assert error["field"] == field, path
        assert error["message"].startswith(f"{field}: "), path
        if field == "limit":
            assert error["message"] == "limit: Give a number from 1 to 100."


def test_owner_updates_a_commitment_through_the_domain_rules(
        app: Flask, client: FlaskClient, api: ApiWorld) -> None:
    url = f"{V1}/commitments/{api.commitment_id}"
    response = client.patch(url, json={"status": "partly", "reflection": "  Half done.  "},
                            headers=api.headers("owner"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "partly"
    assert response.get_json()["reflection"] == "Half done."  # trimmed by the domain
    kept_reflection = client.patch(url, json={"status": "kept"}, headers=api.headers("owner"))
    assert kept_reflection.get_json()["reflection"] == "Half done."
    with app.app_context():
        row = orm.session.get_one(Commitment, api.commitment_id)
        assert (row.status, row.reflection) == ("kept", "Half done.")
    for who in ("mate", "other_circle", "facilitator", "other_facilitator", "outsider", "admin"):
        denied = client.patch(url, json={"status": "dropped"}, headers=api.headers(who))
        assert denied.status_code == 404, who
    for who in (*DEAD_ROLES, "anonymous"):
        assert client.patch(url, json={"status": "dropped"},
                            headers=api.headers(who)).status_code == 401
    with app.app_context():
        assert orm.session.get_one(Commitment, api.commitment_id).status == "kept"


BAD_UPDATES: list[tuple[Any, str]] = [
    ({"status": "done"}, "status"),
    ({"reflection": "x" * 501}, "reflection"),
    ({"due_on": "2001-01-01"}, "due_on"),  # the domain refuses a date in the past
    ({"due_on": "soon"}, "due_on"),
    ({"colour": "red"}, "colour"),
    (["kept"], "body"),
]


def _bad_updates(
        client: FlaskClient, api: ApiWorld) -> None:
    for body, field in BAD_UPDATES:
        response = client.patch(f"{V1}/commitments/{api.commitment_id}", json=body,
                                headers=api.headers("owner"))
        assert response.status_code == 400, (body, response.get_json())
        assert response.get_json()["error"]["field"] == field, body
        assert response.get_json()["error"]["message"].startswith(f"{field}: "), body


def _unknown_routes(client: FlaskClient, api: ApiWorld) -> None:
    missing = client.get(f"{V1}/nothing-here", headers=api.headers("owner"))
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] is None
    wrong = client.delete(f"{V1}/me", headers=api.headers("owner"))
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.get_json()["error"]["message"]
    # A path no route can even parse (a newline in an id) is still answered in JSON.
    odd = client.get(f"{V1}/circles/%0A%C3%88/sessions", headers=api.headers("owner"))
    assert odd.status_code == 404 and odd.mimetype == "application/json"
    assert odd.get_json()["error"]["message"]


def test_the_spec_is_openapi_3_1_and_needs_no_token(client: FlaskClient) -> None:
    response = client.get(f"{V1}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method != "parameters"]
    assert len(operations) == 11
    for path, method, op in operations:
        assert "401" in op["responses"], (path, method)
        if "{" in path:
            assert "404" in op["responses"], (path, method)
    assert "nullable" not in json.dumps(spec)  # 3.0's keyword; 3.1 uses type: [..., "null"]
    meta_schema = jsonschema_rs.Draft202012Validator(OPENAPI_31)  # the OAS 3.1 schema
    assert [str(e) for e in meta_schema.iter_errors(spec)] == []


def _cookies_ignored(client: FlaskClient, api: ApiWorld, auth: Any) -> None:
    assert auth.login(api.world.email("circle_member")).status_code == 302
    assert client.get(f"{V1}/me").status_code == 401


def _bad_tokens(
        client: FlaskClient, api: ApiWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    guess = "circ_" + "A" * 43
    for header in (f"Bearer {guess}", f"Bearer {api.tokens['revoked']}", "Basic abc", "Bearer"):
        response = client.get(f"{V1}/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="circles"'
    logged = events(caplog)
    assert [e["event"] for e in logged] == ["authn_login_fail"] * 2
    text = caplog.text
    assert guess not in text and api.tokens["revoked"] not in text


def _disabled_account(app: Flask, client: FlaskClient, api: ApiWorld) -> None:
    assert get(client, api, "mate", "/me").status_code == 200
    with app.app_context():
        orm.session.get_one(User, api.user_ids["mate"]).is_active = False
        orm.session.commit()
    assert get(client, api, "mate", "/me").status_code == 401


def test_tokens_page_creates_shows_once_and_revokes(
        app: Flask, client: FlaskClient, api: ApiWorld, auth: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    assert client.get("/settings/tokens").status_code == 302  # log in first
    assert auth.login(api.world.email("mate"), PASSWORD).status_code == 302
    _token_form_rules(client)
    created = post_form(client, "/settings/tokens", {"name": "calendar sync", "lifetime": "90"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    plaintext = html.split('id="new-token">')[1].split("<")[0]
    assert plaintext.startswith("circ_")
    assert plaintext not in client.get("/settings/tokens").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"{V1}/me", headers=bearer).get_json()["id"] == api.user_ids["mate"]
    with app.app_context():
        row = orm.session.scalars(select(ApiToken).where(ApiToken.name == "calendar sync")).one()
        assert row.token_hash == hash_token(plaintext) and plaintext not in row.token_hash
        assert row.last_used_at is not None and row.expires_at is not None
        token_id = row.id
        owners_token = orm.session.scalars(select(ApiToken).where(
            ApiToken.user_id == api.user_ids["owner"])).first()
        assert owners_token is not None
    assert post_form(client, f"/settings/tokens/{owners_token.id}/revoke",
                     page="/settings/tokens").status_code == 404  # not mine: not found
    assert get(client, api, "owner", "/me").status_code == 200
    revoked = post_form(client, f"/settings/tokens/{token_id}/revoke", page="/settings/tokens")
    assert revoked.status_code == 302
    assert client.get(f"{V1}/me", headers=bearer).status_code == 401
    assert "revoked" in client.get("/settings/tokens").get_data(as_text=True)
    names = [e["event"] for e in events(caplog)]
    assert "authn_token_created" in names and "authn_token_revoked" in names
    assert plaintext not in caplog.text


def _token_form_rules(client: FlaskClient) -> None:
    nameless = post_form(client, "/settings/tokens", {"name": "  ", "lifetime": "30"})
    assert nameless.status_code == 422
    assert "Give the token a name" in nameless.get_data(as_text=True)
    forged = client.post("/settings/tokens", data={"name": "x", "lifetime": "30"})
    assert forged.status_code == 400


def test_answers_hold_what_each_role_may_see(client: FlaskClient, api: ApiWorld) -> None:
    _lists(client, api)
    _member_emails(client, api)
    _network(client, api)


def test_pagination_walks_every_item_once_in_order(client: FlaskClient, api: ApiWorld) -> None:
    _commitment_pages(client, api)
    _session_pages(client, api)
    _status_filter(client, api)


def test_validation_errors_are_400_naming_the_field(client: FlaskClient, api: ApiWorld) -> None:
    _bad_queries(client, api)
    _bad_updates(client, api)


def test_not_found_answers_all_look_alike(client: FlaskClient, api: ApiWorld) -> None:
    _denial_like_missing(client, api)
    _unknown_routes(client, api)


def test_only_a_live_token_of_an_active_account_authenticates(
        app: Flask, client: FlaskClient, api: ApiWorld, auth: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    _bad_tokens(client, api, caplog)
    _disabled_account(app, client, api)
    _cookies_ignored(client, api, auth)
