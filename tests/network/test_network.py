"""A member's network: ties from every source, history by round, privacy, external contacts,
exports. Runs on SQLite and PostgreSQL (the ``db`` fixture is parametrized through ``app``)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from circles.errors import InvalidInput, NotFound
from circles.members import profiles
from circles.models import (
    Circle,
    CircleMember,
    ExternalContact,
    Interaction,
    Tie,
    User,
)
from circles.network.contacts import system
from circles.network.ego import (
    add_external,
    ego_network,
    export_graphml,
    export_json,
    external_contacts,
    member_rounds,
    my_network,
    neighbours,
    remove_external,
    update_external,
)
from circles.network.ties import ordered
from tests.support.meetings import met_at

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # before any circle
R1 = T0 + timedelta(days=30)  # round 1 placement
R2 = T0 + timedelta(days=60)  # round 2 placement


def tie(db: Session, a: int, b: int, source: str, at: datetime) -> None:
    low, high = ordered(a, b)
    db.add(Tie(low_id=low, high_id=high, source=source, created_at=at))
    db.commit()


def interaction(db: Session, a: int, b: int, kind: str, at: datetime) -> None:
    low, high = ordered(a, b)
    db.add(Interaction(low_id=low, high_id=high, kind=kind, at=at))
    db.commit()


def circle_at(db: Session, make_circle: Any, community: Any, people: list[User],
              at: datetime) -> int:
    """A circle formed by hand, moved back in time to ``at`` (seats too), whose members met
    in a session at once (a circle's ties count once its members have met)."""
    circle = make_circle(community, people)
    db.execute(update(Circle).where(Circle.id == circle.id).values(created_at=at))
    db.execute(update(CircleMember).where(CircleMember.circle_id == circle.id)
               .values(joined_at=at))
    met_at(db, circle.id, [p.id for p in people], at)
    db.commit()
    return int(circle.id)


@pytest.fixture
def people(make_user: Any, make_community: Any) -> dict[str, Any]:
    ego = make_user(display_name="Ada Ego", organisation="Acme", department="Sales")
    others = {name: make_user(display_name=name, organisation=org, department=dept)
              for name, org, dept in [("Ben", "Acme", "Legal"), ("Cai", "Initech", "Ops"),
                                      ("Dee", "Globex", ""), ("Eve", "Acme", "Sales"),
                                      ("Fay", "Umbrella", "R&D")]}
    stranger = make_user(display_name="Gus Elsewhere", organisation="Hooli")
    community = make_community(ego, members=list(others.values()))
    make_community(stranger, name="Other cohort", members=[others["Ben"]])
    return {"ego": ego, **others, "Gus": stranger, "community": community}


def test_ties_from_each_source_with_their_strengths(db: Session, people: dict[str, Any],
                                                    make_circle: Any) -> None:
    ego, ids = people["ego"].id, {k: v.id for k, v in people.items() if k != "community"}
    tie(db, ego, ids["Ben"], "declared", T0)  # strong from the start: 3
    tie(db, ego, ids["Cai"], "imported", T0)  # 3
    tie(db, ego, ids["Eve"], "introduction", T0)  # an introduction starts weak: 1
    circle_at(db, make_circle, people["community"], [people["ego"], people["Dee"]], R1)
    interaction(db, ego, ids["Dee"], "session", R1 + timedelta(days=14))  # and one at R1
    interaction(db, ego, ids["Dee"], "feedback", R1 + timedelta(days=14))  # 1 + 2 + 1 = 4
    interaction(db, ego, ids["Fay"], "feedback", R1)  # feedback alone: 1
    tie(db, ids["Ben"], ids["Cai"], "declared", T0)  # between two alters
    tie(db, ego, ids["Gus"], "declared", T0)  # shares no community with the ego: left out

    net = ego_network(db, ego)
    g = net.graph
    expected = {ids["Ben"]: 3.0, ids["Cai"]: 3.0, ids["Eve"]: 1.0, ids["Dee"]: 4.0,
                ids["Fay"]: 1.0}
    assert {v: g.adj[ego][v]["strength"] for v in g.adj[ego]} == expected
    assert neighbours(db, ego) == expected
    assert ids["Gus"] not in g
    assert g.has_edge(ids["Ben"], ids["Cai"]) and g.number_of_edges() == 6
    assert g.nodes[ids["Cai"]]["system"] == "Initech / Ops"
    assert g.nodes[ids["Dee"]]["system"] == "Globex"
    assert g.nodes[ego]["ring"] == 0 and g.nodes[ids["Ben"]]["ring"] == 1
    assert "shared a circle; 2 sessions together; 1 feedback exchange" in \
        g.adj[ego][ids["Dee"]]["how"].lower()
    # Ben also knows Gus, but only through a community the ego is not in: no second ring.
    tie(db, ids["Ben"], ids["Gus"], "declared", T0)
    tie(db, ids["Cai"], ids["Fay"], "imported", T0)
    ring = ego_network(db, ego, second_ring=True).graph
    assert ids["Gus"] not in ring
    assert ring.nodes[ids["Fay"]]["ring"] == 1  # an alter stays an alter


def test_second_ring_reaches_friends_of_friends(db: Session, people: dict[str, Any]) -> None:
    ego, ben, cai = people["ego"].id, people["Ben"].id, people["Cai"].id
    tie(db, ego, ben, "declared", T0)
    tie(db, ben, cai, "declared", T0)
    assert cai not in ego_network(db, ego).graph
    ring = ego_network(db, ego, second_ring=True).graph
    assert ring.nodes[cai]["ring"] == 2 and ring.has_edge(ben, cai)
    assert not ring.has_edge(ego, cai)
    assert my_network(db, ego)["metrics"]["size"]["value"] == 1


def test_history_rebuilds_each_round(db: Session, people: dict[str, Any],
                                     make_circle: Any) -> None:
    ego, ben, cai, dee = (people[k].id for k in ("ego", "Ben", "Cai", "Dee"))
    community = people["community"]
    tie(db, ego, dee, "declared", T0)
    circle_at(db, make_circle, community, [people["ego"], people["Ben"]], R1)
    circle_at(db, make_circle, community, [people["ego"], people["Cai"]], R2)

    rounds = member_rounds(db, ego)
    # Circles formed by hand belong to no formation round: each point is named by its circle.
    assert [(r.number, r.label) for r in rounds] == [
        (0, "Before Circles"), (1, "Ada & Ben"), (2, "Ada & Cai (now)")]
    assert rounds[1].at == R1 and rounds[1].until == R2 and rounds[2].until is None

    before = ego_network(db, ego, as_of=R1 - timedelta(days=1)).graph
    assert set(before.adj[ego]) == {dee} and not before.nodes[dee]["new"]
    first = ego_network(db, ego, as_of=R2 - timedelta(seconds=1)).graph
    assert set(first.adj[ego]) == {dee, ben}  # Cai, met in round 2, is absent
    assert first.nodes[ben]["new"] and first.adj[ego][ben]["new"]
    assert not first.nodes[dee]["new"]
    now = ego_network(db, ego).graph
    assert set(now.adj[ego]) == {dee, ben, cai}
    assert now.nodes[cai]["new"] and now.adj[ego][cai]["new"]
    assert not now.nodes[ben]["new"]  # new in round 1, not any more

    data = my_network(db, ego)
    growth = [(p["label"], p["size"], p["range"], p["new_ties"], p["new_systems"])
              for p in data["growth"]]
    assert growth == [("Before Circles", 1, 1, 0, []),
                      ("Ada & Ben", 2, 2, 1, ["Acme / Legal"]),
                      ("Ada & Cai (now)", 3, 3, 1, ["Initech / Ops"])]
    # Cai was the only circle-mate of round 2 and was new: novelty 100 %.
    assert data["novelty"]["value"] == 1.0 and data["novelty"]["circle_mates"] == 1
    # Dee strong alone; + Ben weak is half strong (still traditional); 3 systems: opportunistic.
    assert [p["hk_type"] for p in data["growth"]] == [
        "traditional", "traditional", "opportunistic"]
    assert {n["id"] for n in data["nodes"] if n["new"]} == {str(cai)}


def test_my_network_explains_every_metric(db: Session, people: dict[str, Any]) -> None:
    ego, ids = people["ego"].id, {k: v.id for k, v in people.items() if k != "community"}
    for other in ("Ben", "Cai", "Dee", "Eve"):
        tie(db, ego, ids[other], "declared", T0)
    tie(db, ids["Ben"], ids["Cai"], "declared", T0)
    user = db.get_one(User, ego)
    profiles.add_question(db, user, text="How do I negotiate my salary?", topic="Negotiation")
    profiles.add_learning_goal(db, user, topic="Public speaking")
    profiles.add_strength(db, db.get_one(User, ids["Cai"]), topic="Negotiation")
    db.commit()

    data = my_network(db, ego)
    metrics = data["metrics"]
    assert set(metrics) == {"size", "new_ties", "novelty", "range", "blau", "strong_share",
                            "effective_size", "efficiency", "constraint", "coverage", "hk_type"}
    assert all(m["explanation"] and m["label"] for m in metrics.values())
    # 4 alters, one tie among them: effective size 4 − 2·1/4 = 3.5.
    assert metrics["effective_size"]["value"] == pytest.approx(3.5)
    assert metrics["effective_size"]["explanation"].startswith("Effective size 3.5: about four")
    assert metrics["coverage"]["value"] == 0.5
    assert data["coverage"]["topics"] == [{"topic": "Negotiation", "covered_by": ["Cai"]},
                                          {"topic": "Public speaking", "covered_by": []}]
    assert metrics["range"]["value"] == 4 and data["hk"]["type"] == "entrepreneurial"
    json.dumps(data)  # JSON-able as it is


def test_external_contacts_are_private_to_their_owner(db: Session, people: dict[str, Any]) -> None:
    ego, ben = db.get_one(User, people["ego"].id), db.get_one(User, people["Ben"].id)
    tie(db, ego.id, ben.id, "declared", T0)
    contact = add_external(db, ego, name=" Grace  Hopper ", context="former_employer",
                           context_name="Initech", support=["role_model", "career"],
                           note="Monthly call")
    db.commit()
    assert (contact.name, contact.support) == ("Grace Hopper", ["career", "role_model"])

    mine = ego_network(db, ego.id).graph
    node = f"x{contact.id}"
    assert mine.nodes[node]["kind"] == "external"
    assert mine.nodes[node]["system"] == "Former employer: Initech"
    assert ego_network(db, ego.id, include_external=False).graph.number_of_nodes() == 2
    assert node not in ego_network(db, ben.id).graph
    assert "Grace" not in json.dumps(my_network(db, ben.id))
    assert "Monthly call" in json.dumps(my_network(db, ego.id))

    with pytest.raises(NotFound):
        update_external(db, ben, contact.id, name="X", context="school", support=["career"])
    with pytest.raises(NotFound):
        remove_external(db, ben, contact.id)
    assert external_contacts(db, ben.id) == []
    update_external(db, ego, contact.id, name="Grace H.", context="community",
                    support=["psychosocial"])
    db.commit()
    assert system(db.get_one(ExternalContact, contact.id)) == "Community"
    remove_external(db, ego, contact.id)
    db.commit()
    assert external_contacts(db, ego.id) == []


VALID = {"name": "Grace", "context": "school", "context_name": "MIT", "support": ["career"],
         "note": ""}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "  ", "Give their name"),
    ("name", "x" * 121, "under 120"),
    ("context", "family", "Choose one of"),
    ("context_name", "y" * 121, "under 120"),
    ("support", [], "at least one"),
    ("support", ["career", "money"], "money is not a kind of support"),
    ("note", "z" * 501, "under 500"),
])
def test_external_contact_fields_are_checked(db: Session, people: dict[str, Any], field: str,
                                             value: Any, message: str) -> None:
    ego = db.get_one(User, people["ego"].id)
    with pytest.raises(InvalidInput, match=message) as caught:
        add_external(db, ego, **{**VALID, field: value})
    assert set(caught.value.errors) == {field}
    contact = add_external(db, ego, **VALID)
    with pytest.raises(InvalidInput, match=message):
        update_external(db, ego, contact.id, **{**VALID, field: value})
    assert db.get_one(ExternalContact, contact.id).name == "Grace"  # unchanged
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ExternalContact)) == 0


def test_every_bad_field_is_reported_at_once(db: Session, people: dict[str, Any]) -> None:
    ego = db.get_one(User, people["ego"].id)
    with pytest.raises(InvalidInput) as caught:
        add_external(db, ego, name="", context="", context_name="y" * 121, support=[],
                     note="z" * 501)
    assert set(caught.value.errors) == {"name", "context", "context_name", "support", "note"}


def test_exports_parse(db: Session, people: dict[str, Any], make_circle: Any) -> None:
    ego, ben, cai = (people[k].id for k in ("ego", "Ben", "Cai"))
    tie(db, ego, ben, "declared", T0)
    tie(db, ben, cai, "declared", T0)
    circle_at(db, make_circle, people["community"], [people["ego"], people["Cai"]], R1)
    add_external(db, db.get_one(User, ego), name="Grace", context="school", support=["career"])
    db.commit()

    net = ego_network(db, ego)
    parsed = nx.read_graphml(io.BytesIO(export_graphml(net)))
    assert parsed.number_of_nodes() == 4 and parsed.number_of_edges() == 4
    assert parsed.nodes[str(cai)]["system"] == "Initech / Ops"
    assert parsed.edges[str(ego), str(ben)]["strength"] == 3.0
    assert parsed.nodes[str(cai)]["new"] is True

    data = json.loads(json.dumps(export_json(db, ego)))
    assert data["format"] == "circles-network" and data["ego"] == ego
    assert {n["id"] for n in data["nodes"]} == set(parsed.nodes)
    assert len(data["edges"]) == 4 and "metrics" in data


def test_unknown_member_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        ego_network(db, 999_999)
