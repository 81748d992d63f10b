"""The facilitator's network report: correct aggregates on a hand-built community, and
nothing individual in it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from circles.models import Circle, CircleMember, Membership, Tie, User
from circles.network.community import community_report, spread
from circles.network.ego import add_external
from tests.support.meetings import met_at

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
R1 = T0 + timedelta(days=30)
R2 = T0 + timedelta(days=60)


@pytest.fixture
def cohort(db: Session, make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    """Five members (the facilitator is not counted), a tie known before Circles, round 1 on
    one day with two circles, round 2 with one.

    ====  ===============  ==========================  =======================
    who   system           round 1 (R1)                round 2 (R2)
    ====  ===============  ==========================  =======================
    A     Acme / Sales     circle with C               circle with D and E
    B     Acme / Legal     circle with D               —
    C     Initech / Ops    (with A)                    —
    D     Initech / Ops    (with B)                    (with A, E)
    E     Globex           —                           (with A, D)
    ====  ===============  ==========================  =======================

    Before Circles A and B declared a tie (strong: 3); every circle tie is weak (1).
    """
    facilitator = make_user(display_name="Fran Facilitator", organisation="Acme")
    spec = {"A": ("Acme", "Sales"), "B": ("Acme", "Legal"), "C": ("Initech", "Ops"),
            "D": ("Initech", "Ops"), "E": ("Globex", "")}
    people = {key: make_user(display_name=f"Person {key}", organisation=org, department=dept)
              for key, (org, dept) in spec.items()}
    community = make_community(facilitator, members=list(people.values()))
    db.execute(update(Membership).where(Membership.community_id == community.id)
               .values(joined_at=T0 - timedelta(days=1)))
    a, b = sorted((people["A"].id, people["B"].id))
    db.add(Tie(low_id=a, high_id=b, source="declared", created_at=T0))
    db.commit()
    for names, at in [("AC", R1), ("BD", R1 + timedelta(hours=2)), ("ADE", R2)]:
        circle = make_circle(community, [people[n] for n in names])
        db.execute(update(Circle).where(Circle.id == circle.id).values(created_at=at))
        db.execute(update(CircleMember).where(CircleMember.circle_id == circle.id)
                   .values(joined_at=at))
        met_at(db, circle.id, [people[n].id for n in names], at)  # ties count once met
        db.commit()  # make_circle writes through its own session
    # A private contact of A's must never reach the report.
    add_external(db, db.get_one(User, people["A"].id), name="Secret Mentor", context="school",
                 support=["career"])
    db.commit()
    return {"community": community, "people": people, "facilitator": facilitator}


def test_report_figures_on_a_hand_built_community(db: Session, cohort: dict[str, Any]) -> None:
    report = community_report(db, cohort["community"].id)
    assert report["members"] == 5
    first, second = report["rounds"]
    # Circles formed by hand belong to no formation round: their days are named, not numbered.
    assert (first["label"], second["label"]) == (f"Formed by hand, {R1:%d %b}",
                                                 f"Formed by hand, {R2:%d %b} (now)")
    assert first["members"] == second["members"] == 5

    # Round 1: A–C and B–D are new; new ties per member A1 B1 C1 D1 E0.
    # Range before → after: A 1→2 (+C's Initech / Ops), B 1→2, C 0→1, D 0→1, E 0→0.
    assert first["new_ties"] == {"mean": pytest.approx(0.8), "p10": 0.0}
    assert first["range_growth"] == {"mean": pytest.approx(0.8), "p10": 0.0}
    assert first["no_new_tie"] == 1 and first["ties_created"] == 2
    assert first["cross_org_ties"] == 2  # Acme–Initech twice
    # End of round 1: A (B strong, C weak: range 2, half strong) and B are traditional;
    # C, D (one weak tie) and E (no tie) are receptive.
    assert first["hk_types"] == {"receptive": 3, "traditional": 2, "opportunistic": 0,
                                 "entrepreneurial": 0}

    # Round 2: A–D, A–E, D–E are new: A2 B0 C0 D2 E2 → mean 6/5.
    # Range: A 2→3 (+Globex; D's Initech / Ops is not new), D 1→3, E 0→2, B and C unchanged.
    assert second["new_ties"] == {"mean": pytest.approx(1.2), "p10": 0.0}
    assert second["range_growth"] == {"mean": pytest.approx(1.0), "p10": 0.0}
    assert second["no_new_tie"] == 2 and second["ties_created"] == 3
    assert second["cross_org_ties"] == 3
    # Now: A reaches 3 systems with 1 strong tie of 4 (opportunistic), B 2 systems half
    # strong (traditional), C receptive, D 3 systems all weak (opportunistic), E receptive.
    assert second["hk_types"] == report["hk_types"] == {
        "receptive": 2, "traditional": 1, "opportunistic": 2, "entrepreneurial": 0}


def test_report_holds_aggregates_only(db: Session, cohort: dict[str, Any]) -> None:
    report = community_report(db, cohort["community"].id)
    text = json.dumps(report)
    for person in [*cohort["people"].values(), cohort["facilitator"]]:
        assert person.display_name not in text and person.email not in text
    assert "Secret Mentor" not in text
    assert set(report) == {"community_id", "members", "rounds", "hk_types", "hk_suppressed",
                           "percentile", "min_reported"}
    for entry in report["rounds"]:
        assert set(entry) == {"round", "label", "at", "until", "members", "suppressed",
                              "new_ties", "range_growth", "no_new_tie", "ties_created",
                              "cross_org_ties", "hk_types", "met_early"}
        assert set(entry["met_early"]) == {"circles", "met", "share", "settled"}  # circles only
        assert all(isinstance(v, int | float) for v in entry["new_ties"].values())


def test_a_member_who_joined_later_is_not_counted_in_earlier_rounds(
        db: Session, cohort: dict[str, Any]) -> None:
    late = cohort["people"]["E"].id
    db.execute(update(Membership).where(Membership.user_id == late)
               .values(joined_at=R2 + timedelta(days=1)))
    db.commit()
    report = community_report(db, cohort["community"].id)
    first, second = report["rounds"]
    assert (first["members"], second["members"]) == (4, 5)
    # Four members are too few to report on without pointing at individuals: the round
    # shows its member count only; round 2 (five) is reported in full.
    assert first == {"round": 1, "label": f"Formed by hand, {R1:%d %b}", "at": first["at"],
                     "until": first["until"], "members": 4, "suppressed": True,
                     "met_early": first["met_early"]}
    assert second["suppressed"] is False and second["no_new_tie"] == 2
    assert report["hk_suppressed"] is False


def test_a_round_of_fewer_than_five_members_shows_no_figures(
        db: Session, cohort: dict[str, Any]) -> None:
    db.execute(update(Membership).where(Membership.user_id == cohort["people"]["E"].id)
               .values(role="facilitator"))
    db.commit()
    report = community_report(db, cohort["community"].id)
    assert [r["suppressed"] for r in report["rounds"]] == [True, True]
    assert report["hk_suppressed"] is True
    assert set(report["hk_types"].values()) == {0}


def test_empty_community_has_no_rounds(db: Session, make_user: Any, make_community: Any) -> None:
    community = make_community(make_user())
    report = community_report(db, community.id)
    assert report["rounds"] == [] and report["members"] == 0


def test_spread_uses_a_value_some_member_has() -> None:
    # The lowest tenth of ten members is the single lowest value.
    assert spread([5, 1, 2, 3, 4, 6, 7, 8, 9, 10]) == {"mean": 5.5, "p10": 1.0}
    assert spread([]) == {"mean": 0.0, "p10": 0.0}
