"""My network on the web: the member's own page and data only, outside contacts that stay
private, exports, and the facilitator's aggregate view (404 for everyone else)."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.extensions import orm
from circles.models import utcnow
from circles.models.network import ExternalContact
from circles.network import ties
from graph.network import RANGE_CUT, STRONG_CUT
from tests.conftest import AuthActions, csrf_token, post_form
from tests.support.meetings import met_at
from tests.support.world import World, assert_outcome, build_world, log_in_as, request_as

SECRET = "Zelda Outside-Only"


@pytest.fixture
def world(make_user: Any, make_community: Any, make_circle: Any, app: Flask) -> World:
    """The permission world plus declared ties: Cora–Mona and Mona–Cal.

    Cora's network: Milo (her circle, met) and Mona (declared); Cal is two steps away.
    """
    built = build_world(make_user, make_community, make_circle)
    with app.app_context():
        for a, b in (("circle_member", "member"), ("member", "candidate")):
            ties.add_tie(orm.session, built.id(a), built.id(b), source="declared",
                         community_id=built.community_id)
        met_at(orm.session, built.circle_id, [built.id("circle_member"), built.id("mate")],
               utcnow())  # Cora and Milo have met: their circle makes a tie
        orm.session.commit()
    return built


def node_ids(data: dict[str, Any]) -> set[str]:
    return {str(node["id"]) for node in data["nodes"]}


def add_secret_contact(client: FlaskClient, **overrides: Any) -> Any:
    form = {"name": SECRET, "context": "former_employer", "context_name": "Initrode",
            "support": ["career", "role_model"], "note": "Lunch every quarter", **overrides}
    return post_form(client, "/network/contacts", form, page="/network")


def contacts_in_db(app: Flask) -> list[ExternalContact]:
    with app.app_context():
        rows = list(orm.session.scalars(select(ExternalContact)))
        orm.session.expunge_all()
        return rows


@pytest.mark.parametrize("url", ["/network", "/network/data.json", "/network/export.graphml",
                                 "/network/export.json"])
def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, world: World,
                                               url: str) -> None:
    assert_outcome(client.get(url), "login")


def test_the_page_draws_the_members_own_network(client: FlaskClient, auth: AuthActions,
                                                 world: World) -> None:
    log_in_as(auth, world, "circle_member")
    page = client.get("/network")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="network-graph"' in html and "/vendor/cytoscape.min.js" in html
    assert 'href="/network"' in html  # the nav link
    assert "/network/export.graphml" in html and "/network/export.json" in html


def test_data_is_always_the_logged_in_members_own(client: FlaskClient, auth: AuthActions,
                                                   world: World) -> None:
    log_in_as(auth, world, "circle_member")
    mine = client.get("/network/data.json")
    assert mine.status_code == 200 and mine.mimetype == "application/json"
    assert node_ids(mine.get_json()) == {str(world.id(w)) for w in
                                         ("circle_member", "mate", "member")}
    # Nothing picks another member: a query string is ignored, and no URL takes an id.
    other = client.get(f"/network/data.json?user_id={world.id('member')}"
                       f"&id={world.id('member')}")
    assert node_ids(other.get_json()) == node_ids(mine.get_json())
    assert client.get(f"/network/{world.id('member')}").status_code == 404
    assert client.get(f"/network/{world.id('member')}/data.json").status_code == 404

    auth.logout()
    log_in_as(auth, world, "member")
    theirs = client.get("/network/data.json").get_json()
    assert node_ids(theirs) == {str(world.id(w)) for w in ("member", "circle_member", "candidate")}


def test_data_has_every_key_the_page_reads(client: FlaskClient, auth: AuthActions,
                                           world: World) -> None:
    """static/network.js reads these keys as they are, with no fallback: a renamed key
    must fail here, not leave a blank chart."""
    log_in_as(auth, world, "circle_member")
    data = client.get("/network/data.json?second_ring=1").get_json()
    assert {"nodes", "edges", "growth", "hk", "metrics", "metric_order"} <= set(data)
    for node in data["nodes"]:
        assert {"id", "name", "system", "kind", "ring", "new", "ego"} <= set(node)
        assert isinstance(node["id"], str) and node["kind"] in ("member", "external")
    assert sum(node["ego"] for node in data["nodes"]) == 1
    assert {node["ring"] for node in data["nodes"]} == {0, 1, 2}
    for edge in data["edges"]:
        assert {"source", "target", "strength", "new", "how"} <= set(edge)
        assert isinstance(edge["how"], str) and edge["how"]
    for row in data["growth"]:
        assert {"label", "size", "range", "new_ties", "strong_share", "hk_type"} <= set(row)
    assert data["hk"]["range_cut"] == RANGE_CUT and data["hk"]["strong_cut"] == STRONG_CUT
    assert data["hk"]["type"] in {"receptive", "traditional", "opportunistic", "entrepreneurial"}
    assert data["metric_order"][0] == "size" and data["metric_order"][-1] == "hk_type"
    assert sorted(data["metric_order"]) == sorted(data["metrics"])
    for metric in data["metrics"].values():
        assert isinstance(metric["label"], str) and isinstance(metric["display"], str)
        assert metric["explanation"]


def test_outside_contacts_are_added_and_seen_only_by_their_owner(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "circle_member")
    response = add_secret_contact(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("#outside")
    [contact] = contacts_in_db(app)
    assert (contact.owner_id, contact.context, contact.support) == (
        world.id("circle_member"), "former_employer", ["career", "role_model"])
    assert SECRET in client.get("/network").get_data(as_text=True)
    names = [n.get("name") for n in client.get("/network/data.json").get_json()["nodes"]]
    assert SECRET in names
    assert SECRET in client.get("/network/export.json").get_data(as_text=True)

    for who in ("mate", "member", "facilitator"):
        auth.logout()
        log_in_as(auth, world, who)
        for url in ("/network", "/network/data.json", "/network/export.json",
                    "/network/export.graphml", f"/communities/{world.community_id}/network"):
            assert SECRET not in client.get(url).get_data(as_text=True), (who, url)
        prefix = f"c{contact.id}-"
        changed = request_as(client, "POST", f"/network/contacts/{contact.id}",
                             {prefix + "name": "Taken over", prefix + "context": "other",
                              prefix + "support": "career"})
        assert changed.status_code == 404
        removed = request_as(client, "POST", f"/network/contacts/{contact.id}/delete")
        assert removed.status_code == 404
    assert [c.name for c in contacts_in_db(app)] == [SECRET]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": ""}, "name", "Give their name"),
    ({"name": "x" * 121}, "name", "120"),
    ({"support": []}, "support", ""),
    ({"context": "pub"}, "context", ""),
    ({"note": "n" * 501}, "note", "500"),
])
def test_bad_outside_contacts_are_explained_and_nothing_is_saved(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World,
    overrides: dict[str, Any], field: str, message: str
) -> None:
    log_in_as(auth, world, "circle_member")
    response = add_secret_contact(client, **overrides)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and message in html
    if field != "support":
        assert f'id="{field}"' in html and 'aria-invalid="true"' in html
    assert contacts_in_db(app) == []


def test_owner_changes_and_removes_an_outside_contact(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "circle_member")
    add_secret_contact(client)
    [contact] = contacts_in_db(app)
    prefix = f"c{contact.id}-"  # each contact's form on the page has its own field ids
    token = {prefix + "csrf_token": csrf_token(client, "/network")}
    bad = client.post(f"/network/contacts/{contact.id}", data={
        prefix + "name": "", prefix + "context": "school", prefix + "support": "career", **token})
    assert bad.status_code == 422
    assert f'id="{prefix}name"' in bad.get_data(as_text=True)
    assert [c.name for c in contacts_in_db(app)] == [SECRET]
    good = client.post(f"/network/contacts/{contact.id}", data={
        prefix + "name": "Zelda", prefix + "context": "school", prefix + "context_name": "Uni",
        prefix + "support": "psychosocial", **token})
    assert good.status_code == 302
    [changed] = contacts_in_db(app)
    assert (changed.name, changed.context, changed.support) == ("Zelda", "school",
                                                                ["psychosocial"])
    gone = post_form(client, f"/network/contacts/{contact.id}/delete", page="/network")
    assert gone.status_code == 302 and contacts_in_db(app) == []


def test_exports_download_the_members_network(client: FlaskClient, auth: AuthActions,
                                              world: World) -> None:
    log_in_as(auth, world, "circle_member")
    graphml = client.get("/network/export.graphml")
    assert graphml.status_code == 200
    assert graphml.mimetype == "application/graphml+xml"
    assert graphml.headers["Content-Disposition"].startswith("attachment;")
    assert ".graphml" in graphml.headers["Content-Disposition"]
    graph = nx.parse_graphml(graphml.get_data(as_text=True))
    assert {str(n) for n in graph.nodes} == {str(world.id(w)) for w in
                                             ("circle_member", "mate", "member")}

    exported = client.get("/network/export.json")
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    body = json.loads(exported.get_data(as_text=True))
    text = json.dumps(body)
    assert "Milo Mate" in text and "Mona Member" in text
    assert "Cal Candidate" not in text and "Otto Outsider" not in text


@pytest.mark.parametrize(("who", "expected"), [
    ("facilitator", 200), ("circle_member", 404), ("member", 404), ("outsider", 404),
    ("anonymous", "login"),
])
def test_only_the_communitys_facilitators_see_its_network_figures(
    client: FlaskClient, auth: AuthActions, world: World, who: str, expected: int | str
) -> None:
    log_in_as(auth, world, who)
    assert_outcome(client.get(f"/communities/{world.community_id}/network"), expected)


def test_facilitator_view_shows_aggregates_only(client: FlaskClient, auth: AuthActions,
                                                world: World) -> None:
    log_in_as(auth, world, "facilitator")
    assert client.get(f"/communities/{world.other_community_id}/network").status_code == 404
    html = client.get(f"/communities/{world.community_id}/network").get_data(as_text=True)
    assert "Network widening per round" in html and "10th percentile" in html
    # This community has fewer than five members: its rounds show no figures at all.
    assert "Fewer than 5 members: not shown" in html
    for name in ("Cora Circle", "Milo Mate", "Mona Member", "Cal Candidate"):
        assert name not in html


def test_facilitator_sees_a_link_to_the_network_figures(client: FlaskClient,
                                                        auth: AuthActions,
                                                        world: World) -> None:
    url = f"/communities/{world.community_id}/network"
    log_in_as(auth, world, "facilitator")
    assert url in client.get(f"/communities/{world.community_id}").get_data(as_text=True)
    auth.logout()
    log_in_as(auth, world, "member")
    assert url not in client.get(f"/communities/{world.community_id}").get_data(as_text=True)



def test_cytoscape_is_served_from_node_modules(client: FlaskClient) -> None:
    with client.get("/vendor/cytoscape.min.js") as response:  # closes the file it streams
        assert response.status_code == 200
        assert response.mimetype in ("text/javascript", "application/javascript")
        assert b"cytoscape" in response.get_data()[:2000]
