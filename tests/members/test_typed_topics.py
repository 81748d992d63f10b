"""Topics members type outside the community's vocabulary: flagged beside the item on their
profile (with close vocabulary topics), collected for the facilitator, who maps each to a
vocabulary topic or adopts it — and formation then counts it. Domain tests on both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.errors import InvalidInput
from circles.extensions import orm
from circles.formation.plan import run_utilities
from circles.formation.start import start_run
from circles.members.topics import add_topic, adopt_topic, map_topic, typed_topics, unmatched
from circles.models import Topic
from tests.conftest import AuthActions, post_form
from tests.support.formation_world import community_with, person


@pytest.fixture
def typed(db: Any) -> tuple[Any, Any, Any, Any]:
    """A vocabulary with Public speaking and Negotiation; Ana asks about "presenting to the
    board" in her own words; Ben gives Public speaking."""
    community, lead = community_with(db)
    for label in ("Public speaking", "Negotiation"):
        add_topic(db, community.id, label)
    ana = person(db, community, "Ana Alves", questions=[("Public-speaking skills", "How?")])
    ben = person(db, community, "Ben Brown", strengths=["Public speaking"],
                 goals=["public-speaking skills"])
    return community, lead, ana, ben


def test_typed_topics_are_collected_with_who_uses_them_and_close_matches(
        db: Any, typed: Any) -> None:
    community, _, ana, _ = typed
    found = typed_topics(db, community.id)
    assert [(t.label, t.members) for t in found] == [("Public-speaking skills", 2)]
    assert found[0].suggestions[0] == "Public speaking"
    assert list(unmatched(db, ana.id)) == ["public-speaking skills"]


def test_a_mapped_topic_counts_in_formation(db: Any, typed: Any) -> None:
    community, lead, ana, ben = typed
    run = start_run(db, community, lead, min_size=2, max_size=2)
    _, before = run_utilities(db, run)
    assert before.members[before.index[ana.id]].top_topic == "public-speaking skills"
    target = db.scalar(db.query(Topic.id).filter_by(community_id=community.id,
                                                      key="public speaking").statement)
    map_topic(db, community.id, "public-speaking skills", target)
    _, after = run_utilities(db, run)
    assert after.members[after.index[ana.id]].top_topic == "public speaking"
    assert "public speaking" in after.members[after.index[ben.id]].strengths
    assert typed_topics(db, community.id) == [] and unmatched(db, ana.id) == {}


def test_adopting_a_typed_topic_adds_it_to_the_vocabulary(db: Any, typed: Any) -> None:
    community, *_ = typed
    topic = adopt_topic(db, community.id, "public-speaking skills")
    assert topic.label == "Public-speaking skills" and typed_topics(db, community.id) == []


@pytest.mark.parametrize(("key", "topic", "field"), [
    ("public-speaking skills", "other", "topic_id"), ("nobody typed this", "ours", "key")])
def test_mapping_refuses_another_communitys_topic_and_an_unused_key(
        db: Any, typed: Any, key: str, topic: str, field: str) -> None:
    community, *_ = typed
    elsewhere, _ = community_with(db, "Elsewhere")
    other = add_topic(db, elsewhere.id, "Public speaking")
    ours = db.scalar(db.query(Topic.id).filter_by(community_id=community.id,
                                                    key="negotiation").statement)
    with pytest.raises(InvalidInput) as caught:
        map_topic(db, community.id, key, other.id if topic == "other" else ours)
    assert set(caught.value.errors) == {field}


def test_the_member_is_told_beside_the_item_and_the_facilitator_maps_it(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Any,
        make_community: Any) -> None:
    lead, member = make_user(display_name="Lead"), make_user(display_name="Mia Member")
    community = make_community(lead, members=[member])
    with app.app_context():
        add_topic(orm.session(), community.id, "Public speaking")
        orm.session.commit()
    auth.login(member.email)
    added = post_form(client, "/profile/strengths", {"strength-topic": "Speaking in public",
                                                      "strength-level": "practised"},
                      page="/profile")
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "is not a topic your community uses yet" in page
    assert re.search(r'class="hint unknown-topic">[^<]*Close ones: Public speaking', page)
    auth.logout()
    auth.login(lead.email)
    show = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert re.search(r'<th scope="row">Speaking in public</th>\s*<td>1</td>', show)
    with app.app_context():
        target = orm.session.query(Topic).filter_by(community_id=community.id).one().id
    mapped = post_form(client, f"/communities/{community.id}/topics/typed/map",
                       {"key": "speaking in public", "topic_id": target},
                       page=f"/communities/{community.id}")
    assert mapped.status_code == 302
    assert "Every topic members use is in the vocabulary" in client.get(
        f"/communities/{community.id}").get_data(as_text=True)
    auth.logout()
    auth.login(member.email)
    assert "unknown-topic" not in client.get("/profile").get_data(as_text=True)
