"""Crafted ids in URLs: huge, negative, other scripts' digits, words → 404, never a 500.

Every ``<int:…>`` of the app is ``circles.ids.IdConverter`` (ASCII digits, at most
``ID_MAX``); the API's ``<api_id:…>`` takes ASCII digits only. ``"١"`` (ARABIC-INDIC DIGIT
ONE) is a digit to ``\\d`` and to ``int()``: before, ``/members/١`` showed member 1's page and
``/api/v1/communities/١`` community 1. ``2**63`` does not fit SQLite's integer: the driver
raised and the page was a 500. tests/security/test_crafted_ids_property.py throws generated
ids at every route; these are the named cases, on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from circles.api.blueprint import IdConverter as ApiIdConverter
from circles.ids import ID_MAX, IdConverter
from tests.conftest import AuthActions, post_form
from tests.support.api_world import ApiWorld, build_api_world
from tests.support.world import World, build_world, log_in_as

CRAFTED = ["9223372036854775808", "18446744073709551616", "9" * 25, str(ID_MAX + 1),
           "-1", "\u0661", "\u0661\u0662", "\uff11", "abc", "1e3", "0x1", " 1", "0"]


@pytest.fixture
def world(make_user: Callable[..., Any], make_community: Callable[..., Any],
          make_circle: Callable[..., Any]) -> World:
    return build_world(make_user, make_community, make_circle)


def test_every_integer_argument_of_the_url_map_is_a_bounded_id(app: Flask) -> None:
    found = [(rule.rule, name, type(converter).__name__)
             for rule in app.url_map.iter_rules()
             for name, converter in rule._converters.items()  # type: ignore[attr-defined]
             if isinstance(converter, IntegerConverter)
             and not isinstance(converter, IdConverter | ApiIdConverter)]
    assert found == []
    converter = app.url_map.converters["int"](app.url_map)
    assert converter.to_python(str(ID_MAX)) == ID_MAX


@pytest.mark.parametrize("value", CRAFTED)
def test_crafted_ids_in_page_urls_are_not_found(client: FlaskClient, auth: AuthActions,
                                                world: World, value: str) -> None:
    log_in_as(auth, world, "circle_member")
    # Member 1 (the facilitator) shares Cora's community: "/members/١" once showed them.
    assert world.id("facilitator") == 1
    for url in (f"/members/{value}", f"/circles/{value}", f"/communities/{value}",
                f"/sessions/{value}.ics", f"/pulses/{value}"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert "was not found" in response.get_data(as_text=True), url
    response = post_form(client, f"/profile/ties/{value}/delete", page="/profile")
    assert response.status_code == 404


@pytest.mark.parametrize("value", CRAFTED)
def test_crafted_ids_in_api_urls_get_the_documented_404(
        app: Flask, make_user: Callable[..., Any], make_community: Callable[..., Any],
        make_circle: Callable[..., Any], value: str) -> None:
    api: ApiWorld = build_api_world(app, make_user, make_community, make_circle)
    assert api.community_id == 1  # "/communities/١" once answered community 1
    client = app.test_client()
    for path in (f"/communities/{value}", f"/circles/{value}", f"/sessions/{value}",
                 f"/communities/{value}/members"):
        response = client.get(f"/api/v1{path}", headers=api.headers("owner"))
        assert response.status_code == 404, (path, response.status_code)
        error = response.get_json()["error"]
        assert error["field"] is None and error["message"] in (
            "That resource was not found.", "There is no such API resource."), path
    response = client.patch(f"/api/v1/commitments/{value}", json={"status": "kept"},
                            headers=api.headers("owner"))
    assert response.status_code == 404
