"""What formation says in words reaches each reader in their language, even when it was
written where no reader was (the runner) and kept with the run: why a member was set aside,
the run's notes, why a run failed, and why the sizes cannot hold the members — which the
solver library (``graph``, English only) names by case (circles.kept, circles.formation.infeasible).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from circles.errors import InvalidInput
from circles.formation import recovery
from circles.formation.infeasible import infeasible
from circles.formation.plan import compute_run
from circles.formation.preview import preview
from circles.formation.publish import publish
from circles.formation.start import start_run
from circles.kept import Said, english, in_every_language, keep, recall, shown
from circles.models import Membership, Notification
from circles.views import formation_runner
from graph.errors import InfeasibleError
from graph.sizes import group_bounds
from tests.support.formation_world import MONDAY_1700_UTC, community_with, person

FAST = {"time_limit": 0.3, "seed": 1}
SLOTS = [(1, 12 * 60, 13 * 60 + 30), (2, 12 * 60, 13 * 60 + 30)]


def refusal(n: int, low: int, high: int) -> InfeasibleError | None:
    try:
        group_bounds(n, min_size=low, max_size=high)
    except InfeasibleError as exc:
        return exc
    return None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only app
@given(n=st.integers(0, 60), low=st.integers(0, 9), high=st.integers(0, 9))
def test_in_english_circles_says_what_the_library_says_and_in_spanish_its_own(
        app: Any, n: int, low: int, high: int) -> None:
    """Every refusal of the sizes is a case the library names; Circles' English is the
    library's word for word, and its Spanish has the same numbers and no English."""
    exc = refusal(n, low, high)
    if exc is None:
        return
    assert exc.reason, f"an unnamed case: {exc}"
    with app.test_request_context(), force_locale("en"):
        assert infeasible(exc) == str(exc)
    with app.test_request_context(), force_locale("es"):
        spanish = infeasible(exc)
    assert spanish != str(exc)
    assert not {"members", "groups", "cannot", "add", "exactly"} & set(spanish.split())
    assert sorted(re.findall(r"\d+", spanish)) == sorted(re.findall(r"\d+", str(exc)))


def test_a_case_the_library_does_not_name_is_said_in_english_or_in_general_words(
        app: Any) -> None:
    exc = InfeasibleError("group 2 cannot reach 4 members: everyone who could join it is pinned")
    with app.test_request_context(), force_locale("en"):
        assert infeasible(exc) == str(exc)
    with app.test_request_context(), force_locale("es"):
        assert infeasible(exc) == ("los tamaños y las reglas de esta formación no pueden "
                                   "acoger a sus miembros")


def test_the_form_refuses_sizes_in_the_facilitators_language(db: Any) -> None:
    community, lead = community_with(db)
    for i in range(3):
        person(db, community, f"P{i} X", windows=MONDAY_1700_UTC)
    with force_locale("es"), pytest.raises(InvalidInput) as caught:
        start_run(db, community, lead, min_size=4, max_size=4)
    assert caught.value.errors == {"min_size": (
        "3 miembros no pueden formar un grupo de exactamente 4: añade 1 miembro o usa un "
        "tamaño menor.")}


def test_kept_words_are_shown_in_the_readers_language_and_read_in_english(app: Any) -> None:
    with app.test_request_context():
        said = in_every_language(lambda: str(recovery.LOST))
        assert isinstance(said, Said) and said == str(recovery.LOST)  # the str is English
        stored = keep(said)
        assert set(stored) == {"en", "es"} and stored["es"] != stored["en"]
        with force_locale("es"):
            assert shown(stored) == shown(said) == stored["es"]
        assert shown(stored) == english(stored) == stored["en"]
        assert recall(stored) == stored["en"] and shown(recall(stored)) == stored["en"]
        # Words kept before (plain English) are shown as they are.
        assert shown("An older note.") == english("An older note.") == "An older note."
        assert shown(None) == english(None) == ""


def test_a_member_left_out_is_told_why_in_their_language_and_the_facilitator_in_theirs(
        db: Any) -> None:
    """Written by the runner, kept with the run, read later: the facilitator reads the reason
    and the notes in Spanish or in English, and the member, who chose Spanish, gets a notice
    with no English in it."""
    community, lead = community_with(db)
    for i in range(4):
        person(db, community, f"Regular{i} Member", tz="Europe/London", windows=SLOTS)
    person(db, community, "Free Member", tz="Europe/London")  # no hours: a note says so
    newcomer = person(db, community, "Nia Nueva", tz="America/Mexico_City",
                      windows=[(5, 20 * 60, 21 * 60)], language="es")
    run = compute_run(db, start_run(db, community, lead, min_size=4, max_size=5).id, **FAST)
    with force_locale("es"):
        seen = preview(db, run)
    row = next(r for r in seen.excluded if r["user_id"] == newcomer.id)
    assert row["reason"].startswith("Ninguna hora a la semana en la que otras 3 personas")
    assert row["fix"].startswith("Añade")
    assert any(note.startswith("1 miembro no indicó") for note in seen.notes), seen.notes
    english_row = next(r for r in preview(db, run).excluded if r["user_id"] == newcomer.id)
    assert english_row["reason"].startswith("No hour a week when 3 others are free")
    assert "1 member gave no weekly availability and count as free at any time." in \
        preview(db, run).notes
    publish(db, run)
    note = db.scalar(select(Notification).where(Notification.user_id == newcomer.id,
                                                Notification.kind == "not_placed"))
    assert note is not None
    assert ": ninguna hora a la semana en la que otras 3 personas" in note.text
    assert not {"weekly", "hour", "others", "placed", "members"} & set(note.text.split())


def test_a_failed_run_keeps_why_in_every_language(db: Any, app: Any) -> None:
    community, lead = community_with(db)
    for i in range(4):
        person(db, community, f"P{i} X", windows=MONDAY_1700_UTC)
    run = start_run(db, community, lead, min_size=4, max_size=4)
    recovery.fail(run, recovery.LOST)
    lost = str(recovery.LOST)
    assert set(run.params["error"]) == {"en", "es"}
    with force_locale("es"):
        assert shown(run.params["error"]) == run.params["error"]["es"] != lost
    assert english(run.params["error"]) == lost


def test_a_facilitator_watching_a_run_fail_is_told_why_in_their_language(
        db: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner has no request to take a language from: the message on the facilitator's
    socket that their run failed is in their language, as the page shows it (it went out in
    English)."""
    community, lead = community_with(db)
    lead.language = "es"
    people = [person(db, community, f"P{i} X", windows=MONDAY_1700_UTC) for i in range(4)]
    run = start_run(db, community, lead, min_size=4, max_size=4)
    db.execute(delete(Membership).where(Membership.user_id == people[0].id))  # leaves: 3 of 4
    run_id, lead_id = run.id, lead.id
    db.commit()  # and nothing read until the runner is done: SQLite's writer lock is one
    told: list[dict[str, Any]] = []
    monkeypatch.setattr(formation_runner.broadcast, "formation_progress",
                        lambda user_id, run_id, fraction, **sent: told.append(sent))
    formation_runner.compute(app, run_id, lead_id, time_limit=0.3)
    kept = run.params["error"]
    assert told[-1]["done"] and told[-1]["error"] == kept["es"] != kept["en"]
