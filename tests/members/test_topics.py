"""Topics: free entries are tidied, matched to the member's communities' vocabularies, and
offered for autocomplete; two spellings of one topic are one topic."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.errors import InvalidInput
from circles.extensions import orm
from circles.members.topics import add_topic, tidy_label, topic_key
from circles.models import Community, LearningGoal, Question, Strength, User
from tests.conftest import AuthActions, post_form


@pytest.mark.parametrize(
    ("raw", "label", "key"),
    [
        ("  public   speaking ", "Public speaking", "public speaking"),
        ("SQL tuning", "SQL tuning", "sql tuning"),
        ("iOS.", "iOS", "ios"),
        (" machine   LEARNING ", "machine LEARNING", "machine learning"),
    ],
)
def test_tidy_label_and_key(raw: str, label: str, key: str) -> None:
    assert tidy_label(raw) == label
    assert topic_key(raw) == key


@pytest.mark.parametrize(("raw", "message"), [("  ", "Name a topic."), (" - ", "Name a topic."),
                                              ("x" * 81, "Keep a topic under 80 characters.")])
def test_tidy_label_refuses_empty_and_long(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        tidy_label(raw)


@pytest.fixture
def vocab(app: Flask, make_user: Callable[..., User], make_community: Callable[..., Community],
          auth: AuthActions) -> User:
    """A logged-in member of a community whose vocabulary knows "Machine learning"; another
    community they are not in knows "iOS"."""
    me = make_user()
    mine = make_community(me, name="Mine")
    theirs = make_community(make_user(), name="Theirs")
    with app.app_context():
        add_topic(orm.session(), mine.id, "Machine learning")
        add_topic(orm.session(), mine.id, "Data pipelines")
        add_topic(orm.session(), theirs.id, "iOS")
        orm.session.commit()
    auth.login(me.email)
    return me


def stored(app: Flask, model: type[Strength | LearningGoal | Question]) -> list[tuple[str, str]]:
    with app.app_context():
        rows = orm.session.execute(select(model.topic, model.topic_key).order_by(model.id))
        return [(topic, key) for topic, key in rows]


def test_entry_takes_the_vocabulary_spelling(app: Flask, client: FlaskClient, vocab: User) -> None:
    response = post_form(client, "/profile/strengths",
                         {"strength-topic": " machine   LEARNING ", "strength-level": "practised"},
                         page="/profile")
    assert response.status_code == 302
    assert stored(app, Strength) == [("Machine learning", "machine learning")]


def test_other_communities_vocabulary_does_not_apply(app: Flask, client: FlaskClient, vocab: User) -> None:
    post_form(client, "/profile/learning-goals", {"learning-goal-topic": "ios"}, page="/profile")
    assert stored(app, LearningGoal) == [("Ios", "ios")]


def test_question_topic_is_normalised_too(app: Flask, client: FlaskClient, vocab: User) -> None:
    post_form(client, "/profile/questions",
              {"question-text": "Where do I start?", "question-topic": "data PIPELINES"}, page="/profile")
    assert stored(app, Question) == [("Data pipelines", "data pipelines")]


def test_autocomplete_offers_only_my_communities_topics(client: FlaskClient, vocab: User) -> None:
    page = client.get("/profile").get_data(as_text=True)
    assert '<datalist id="topic-vocabulary">' in page
    assert '<option value="Data pipelines">' in page and '<option value="Machine learning">' in page
    assert "iOS" not in page
    assert 'id="strength-topic"' in page and 'list="topic-vocabulary"' in page


def test_two_spellings_are_one_learning_goal(app: Flask, client: FlaskClient, vocab: User) -> None:
    post_form(client, "/profile/learning-goals", {"learning-goal-topic": "Machine Learning"}, page="/profile")
    response = post_form(client, "/profile/learning-goals", {"learning-goal-topic": "machine-learning."},
                         page="/profile")
    # "machine-learning" is a different key (hyphen inside), so it is a new goal
    assert response.status_code == 302
    response = post_form(client, "/profile/learning-goals", {"learning-goal-topic": " MACHINE learning"},
                         page="/profile")
    assert response.status_code == 422
    assert "Machine learning is already one of your learning goals." in response.get_data(as_text=True)
    assert [topic for topic, _ in stored(app, LearningGoal)] == ["Machine learning", "Machine-learning"]
