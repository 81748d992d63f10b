"""Crafted JSON to the API — bodies and cursors — is a 400 that says why, never a 500.

Each of these once reached a part that raised: a 100,000-deep body (``RecursionError`` in
the JSON decoder), a 5,001-digit number (Python's 4,300-digit limit on ``int()``), a lone
surrogate (no UTF-8 for the database driver), and a cursor holding deep JSON. The body is
read by ``circles.api.bodies``; its messages go out as ``{"error": {"message", "field"}}``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.extensions import orm
from circles.models import Commitment
from tests.support.api_world import ApiWorld, build_api_world

DEEP = 100_000
SURROGATE = "Text may not hold a lone surrogate (such as \\ud800): send real characters."


@pytest.fixture
def api(app: Flask, make_user: Callable[..., Any], make_community: Callable[..., Any],
        make_circle: Callable[..., Any]) -> ApiWorld:
    return build_api_world(app, make_user, make_community, make_circle)


def patch(client: FlaskClient, api: ApiWorld, body: str | bytes) -> Any:
    return client.patch(f"/api/v1/commitments/{api.commitment_id}", data=body,
                        headers={**api.headers("owner"), "Content-Type": "application/json"})


BODIES = {
    "deep list": ("[" * DEEP + "]" * DEEP, "Nest objects and lists at most 32 levels deep."),
    "deep object": ('{"a":' * DEEP + "1" + "}" * DEEP,
                    "Nest objects and lists at most 32 levels deep."),
    "33 levels": ('{"reflection": ' + "[" * 32 + "]" * 32 + "}",
                  "Nest objects and lists at most 32 levels deep."),
    "5,001 digits": ('{"status": ' + "7" * 5001 + "}",
                     "Numbers may have at most 40 characters (this one has 5001)."),
    "long fraction": ('{"status": 0.' + "5" * 5001 + "}",
                      "Numbers may have at most 40 characters (this one has 5003)."),
    "infinite": ('{"status": 1e999}', "That number is too large."),
    "NaN": ('{"status": NaN}', "NaN is not a JSON number: send a number, or null."),
    "lone surrogate": ('{"reflection": "\\ud800"}', SURROGATE),
    "surrogate key": ('{"\\udfff": 1}', SURROGATE),
    "surrogate in a list": ('{"reflection": ["ok", "\\ud83d"]}', SURROGATE),
    "not UTF-8": (b'{"reflection": "\xff"}', "Send the JSON as UTF-8 text."),
    "cut short": ('{"reflection": ', "That is not valid JSON (Expecting value, at character 15)."),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_a_crafted_body_is_a_400_that_says_why(app: Flask, client: FlaskClient, api: ApiWorld,
                                                name: str) -> None:
    body, message = BODIES[name]
    response = patch(client, api, body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json() == {"error": {"message": f"body: {message}", "field": "body"}}
    with app.app_context():
        item = orm.session.get_one(Commitment, api.commitment_id)
        assert (item.status, item.reflection) == ("open", "")


def test_a_paired_surrogate_is_an_ordinary_character(app: Flask, client: FlaskClient,
                                                     api: ApiWorld) -> None:
    response = patch(client, api, '{"reflection": "went well \\ud83d\\ude00"}')
    assert response.status_code == 200
    assert response.get_json()["reflection"] == "went well \U0001f600"
    with app.app_context():
        assert orm.session.scalar(select(Commitment.reflection).where(
            Commitment.id == api.commitment_id)) == "went well \U0001f600"


def cursor_of(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSORS = {
    "nested list": cursor_of("[[1]]"),
    "deep": cursor_of("[" * DEEP + "]" * DEEP),
    "object": cursor_of('{"after": 1}'),
    "5,001 digits": cursor_of("[" + "1" * 5001 + "]"),
    "huge id": cursor_of("[9223372036854775808]"),
    "surrogate": cursor_of('["\\ud800"]'),
    "NaN": cursor_of("[NaN]"),
    "not base64": "!!!!",
    "not JSON": cursor_of(b"\xff\xfe"),
    "long": "A" * 10_000,
    "other script": "\u0661",
}


@pytest.mark.parametrize("name", sorted(CURSORS))
def test_a_crafted_cursor_is_a_400_naming_the_cursor(client: FlaskClient, api: ApiWorld,
                                                     name: str) -> None:
    for path in ("/commitments", f"/circles/{api.circle_id}/sessions",
                 f"/communities/{api.community_id}/members"):
        response = client.get(f"/api/v1{path}", query_string={"cursor": CURSORS[name]},
                              headers=api.headers("owner"))
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.get_json() == {"error": {
            "message": "cursor: Use the next_cursor of the previous page, unchanged.",
            "field": "cursor"}}
