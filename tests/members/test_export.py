"""Export: a member downloads everything of theirs as JSON, and nothing that is another's.

Zed's world (tests/support/privacy_world.py) holds his words in every table; Ann and Bob's private
words carry ``OTHERS``. Every table with a column pointing at ``user.id`` is either exported
or listed with a reason in ``circles.members.export`` — a new table fails here until it is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.members import export
from circles.models import Base
from tests.conftest import AuthActions
from tests.support.privacy_world import MARK, OTHERS, PrivacyWorld, build_privacy_world


def user_fk_tables() -> set[str]:
    return {table.name for table in Base.metadata.sorted_tables
            if any(fk.column.table.name == "user" for fk in table.foreign_keys)} | {"user"}


@pytest.fixture
def world(app: Flask, make_user: Any) -> PrivacyWorld:
    return build_privacy_world(app, make_user)


def download(app: Flask, email: str) -> tuple[dict[str, Any], str]:
    client: FlaskClient = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    return json.loads(text), text


def test_every_table_holding_a_member_is_exported_or_says_why_not() -> None:
    exported, skipped = set(export.EXPORTED), set(export.NOT_EXPORTED)
    assert exported & skipped == set()
    assert user_fk_tables() - exported - skipped == set(), "decide: export it, or say why not"
    assert (exported | skipped) - user_fk_tables() == set(), "a table that is gone"
    assert all(reason.strip() for reason in export.NOT_EXPORTED.values())


def test_the_export_holds_everything_zed_wrote_and_received(app: Flask,
                                                            world: PrivacyWorld) -> None:
    data, text = download(app, world.zed_email)
    assert data["format"] == export.FORMAT and data["exported_at"]
    assert data["member"]["email"] == world.zed_email
    for words in ("bio", "org", "dept", "offer", "question", "note", "criterion", "agenda",
                  "story", "gave", "suggest", "commit", "reflection", "private", "goal",
                  "checkin", "goal line", "pulse", "Contact", "Employer", "contact note",
                  "reason", "broker", "notice", "subject", "body", "learned", "appreciated",
                  "departure", "left", "token", "agent", "Sandbox", "harvest", "concern"):
        assert f"{words} {MARK}" in text, words
    assert data["feedback_received"][0]["giver"]["name"] == "Ann Example"
    assert data["notes"]["private"][0]["body"] == f"private {MARK}"
    assert data["notes"]["shared_last_edited"][0]["session_id"] == world.session_id
    assert "will send slides" not in text  # the shared note is the circle's, not his
    assert {t["with_"]["name"] for t in data["ties"]} == {"Ann Example"}
    live = next(s for s in data["sessions"] if s["id"] == world.session_id)
    assert live["roles"] == ["facilitator"] and live["turns_in_focus"] == 1
    assert live["attended"] is True and live["created_by_me"] is True
    assert {f["strength"] for f in data["feedback_received"]} == {
        "Ann to Zed", "Ann to Zed, last week"}
    assert {c["id"] for c in data["circles"]} == {world.circle_id, world.pair_id}
    assert [(h["text"], h["offered_by"]["name"]) for h in data["harvest"]] == [
        (f"harvest {MARK}", "Ann Example")]  # his own harvest only: not what he offered Ann
    assert [b["blocked"]["name"] for b in data["blocks"]] == ["Cy Elsewhere"]
    assert [r["subject_id"] for r in data["concerns_reported"]] == [world.bob]
    assert "Ann worries" not in text  # a report about him is the safety contacts' record
    assert [c["choice"] for c in data["renewal_choices"]] == ["renew"]
    assert OTHERS not in text
    assert "token_hash" not in text and "password" not in text.replace("has_password", "")


def test_others_see_their_own_and_never_zeds_private_words(app: Flask,
                                                           world: PrivacyWorld) -> None:
    _data, text = download(app, world.email(app, world.ann))
    assert f"Ann's private {OTHERS}" in text and f"Ann to Bob {OTHERS}" in text
    assert f"gave {MARK}" in text  # Zed's feedback to Ann is Ann's to read
    assert f"offered {MARK}" in text  # what Zed offered in Ann's round is her harvest
    for secret in ("private", "pulse", "contact note", "checkin", "departure", "learned",
                   "harvest", "concern"):
        assert f"{secret} {MARK}" not in text, secret
    # Bob was named as the target, but the broker (Ann) has not agreed: no trace for him.
    bob, bob_text = download(app, world.email(app, world.bob))
    assert bob["introductions"] == [] and f"reason {MARK}" not in bob_text
    assert f"Ann's private {OTHERS}" not in bob_text and f"gave {MARK}" not in bob_text


def test_export_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/account/export")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
