"""Bulk onboarding from CSV: row-by-row checks, all-or-nothing import, claim links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput
from circles.models import Community, Membership, Tie, User
from circles.network.ties import find_tie
from circles.onboarding import roster

HEADER = "name,email,organisation,department,team\n"


def people(n: int, start: int = 1, team: str = "") -> str:
    return "".join(f"Person {i},p{i}@example.org,Acme,Finance,{team}\n" for i in range(start, start + n))


def problems(text: str | bytes) -> list[str]:
    return roster.parse_members_csv(text).problems


# --- checking a members file (no database) ---------------------------------------------------

@pytest.mark.parametrize(("body", "message"), [
    ("Ann,ann@example.org\n,bob@example.org\n", "line 3, name: a name is required"),
    ("Ann,\n", "line 2, email: an e-mail address is required"),
    ("Bob,bob@\n", "line 2, email: 'bob@' is not a valid e-mail address"),
    ("Bob,bob at example.org\n", "line 2, email: 'bob at example.org' is not a valid e-mail address"),
    ("N" * 81 + ",n@example.org\n", "line 2, name: 81 characters is too long (at most 80)"),
    ("Ann,ann@example.org," + "o" * 121 + "\n",
     "line 2, organisation: 121 characters is too long (at most 120)"),
    ("Ann,ann@example.org,Acme," + "d" * 121 + "\n",
     "line 2, department: 121 characters is too long (at most 120)"),
    ("Ann,ann@example.org\n\nBob,bob@example.org\nAnnie,ANN@Example.org\n",
     "line 5, email: 'ann@example.org' is also on line 2"),
    ("Ann,ann@example.org,Acme,Finance,T1,surplus\n",
     "line 2: column 6 holds 'surplus' but the header row gives that column no name"),
    ('Ann,ann@example.org,"Acme\nLtd"\n,bob@example.org\n', "line 4, name: a name is required"),
])
def test_each_bad_row_is_reported_with_its_line(body: str, message: str) -> None:
    assert problems(HEADER + body) == [message]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b" \r\n\r\n", "The file is empty."),
    (b"name,email\r\n", "The file has a header row but no members."),
    (b"name,organisation\nAnn,Acme\n", ("Missing required column: email. The first row must "
     "name the columns, e.g. name,email,organisation,department,team.")),
    (b"name,emial\nAnn,ann@example.org\n", ("Unknown column 'emial'. Accepted columns: name, "
     "email, organisation, department, team, strengths, questions, learning_goals, "
     "availability, timezone; rename or remove the others.")),
    (b"name,email,mail\nAnn,a@example.org,a@example.org\n",
     "The columns 'email' and 'mail' both give the email; keep one of them."),
    (b"Ann,ann@example.org\n", ("The first row looks like data ('ann@example.org'): add a "
     "header row naming the columns, e.g. name,email,organisation,department,team.")),
    ("name,email\nJosé,jose@example.org\n".encode("latin-1"),
     "The file is not UTF-8 text: line 2 holds the byte 0xE9, which UTF-8 does not allow."),
    ("name,email\n".encode("utf-16"), "The file is UTF-16 text, not UTF-8."),
    ((HEADER + people(5001)).encode(),
     "The file has 5,001 members; import at most 5,000 at a time (split it into smaller files)."),
])
def test_problems_of_the_whole_file(data: bytes, message: str) -> None:
    found = problems(data)
    assert any(problem.startswith(message) for problem in found), found


def test_aliases_bom_semicolons_and_spacing_are_accepted() -> None:
    text = "\ufeff Full Name ;E-Mail;Company;Dept;TEAM\r\nÁine  Ní Bhriain;Aine@Example.ORG;Acme;R&D;x\r\n"
    report = roster.parse_members_csv(text.encode())
    assert report.ok, report.problems
    row = report.rows[0]
    assert (row.line, row.name, row.email, row.organisation, row.department, row.team) == (
        2, "Áine Ní Bhriain", "aine@example.org", "Acme", "R&D", "x")


def test_problem_names_the_column_as_the_file_does() -> None:
    assert problems("Display_Name,E-mail\nBob,bob@\n") == [
        "line 2, E-mail: 'bob@' is not a valid e-mail address"]


@pytest.mark.parametrize(("body", "message"), [
    ("a@example.org,b@example.org\nb@example.org,A@example.org\n",
     "line 3: the same two people as line 2"),
    ("a@example.org,a@example.org\n", "line 2: both columns name the same person ('a@example.org')"),
    ("a@example.org,zed@example.org\n",
     "line 2, knows: 'zed@example.org' is neither in the members file nor a member of this community"),
    ("a@,b@example.org\n", "line 2, person: 'a@' is not a valid e-mail address"),
    ("a@example.org,\n", "line 2, knows: an e-mail address is required"),
])
def test_each_bad_tie_is_reported_with_its_line(body: str, message: str) -> None:
    report = roster.parse_ties_csv("person,knows\n" + body, {"a@example.org", "b@example.org"})
    assert report.problems == [message]


def test_ties_file_needs_two_email_columns() -> None:
    report = roster.parse_ties_csv("email_a,name\na@example.org,Ann\n", {"a@example.org"})
    assert report.problems[0] == "Unknown column 'name'. Accepted columns: email_a, email_b; " \
                                 "rename or remove the others."
    assert "Missing required column: email_b." in report.problems[1]


# --- importing (database) -----------------------------------------------------------------------

def counts(db: Session) -> tuple[int, int, int]:
    return tuple(db.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                 for model in (User, Membership, Tie))


@pytest.fixture
def setup(app: Flask, make_user: Callable[..., User], make_community: Callable[..., Community],
          db: Session) -> dict[str, Any]:
    """A facilitator, a member of their community, and an outsider with an account."""
    facilitator = make_user(email="fac@example.org")
    member = make_user(email="member@example.org", display_name="Mia Member")
    outsider = make_user(email="out@example.org", display_name="Otto Outsider",
                         organisation="Own Org", department="Own Dept")
    community = make_community(facilitator, members=[member])
    return {"facilitator": facilitator, "member": member, "outsider": outsider,
            "community": db.get_one(Community, community.id)}


def test_report_tells_new_existing_and_already_members(db: Session, setup: dict[str, Any]) -> None:
    text = HEADER + "New One,new@example.org\nOtto,OUT@example.org\nMia,member@example.org\n"
    preview = roster.check_import(db, setup["community"], text,
                                      "email_a,email_b\nnew@example.org,member@example.org\n")
    # Otto has an account elsewhere on Circles: the preview must not tell (issue 16).
    assert [row.status for row in preview.members.rows] == ["ok", "ok", "already a member"]
    assert preview.ok and preview.to_add == 2


def test_one_bad_row_imports_nothing(db: Session, setup: dict[str, Any]) -> None:
    text = HEADER + people(5, team="T") + "Broken,broken@\n" + people(4, start=6, team="T")
    ties = "email_a,email_b\np1@example.org,p2@example.org\n"
    before = counts(db)
    with pytest.raises(InvalidInput, match=r"line 7, email: 'broken@' is not a valid e-mail"):
        roster.import_members(db, setup["community"], text, ties)
    db.rollback()
    assert counts(db) == before


def test_bad_ties_file_imports_nothing(db: Session, setup: dict[str, Any]) -> None:
    before = counts(db)
    with pytest.raises(InvalidInput, match="out@example.org' is neither in the members file"):
        roster.import_members(db, setup["community"], HEADER + people(3),
                                  "email_a,email_b\np1@example.org,out@example.org\n")
    db.rollback()
    assert counts(db) == before


def test_import_creates_members_ties_and_team_ties(db: Session, setup: dict[str, Any]) -> None:
    community, outsider = setup["community"], setup["outsider"]
    text = (HEADER + "Ana Silva,ana@example.org,Acme,Finance,FIN\nBo Chen,bo@example.org,Acme,"
            "Finance,fin \nCy Dee,cy@example.org,Globex,Research,\n"
            "Otto Renamed,out@example.org,Other,Other,FIN\nMia,member@example.org,,,\n")
    ties = "person,knows\ncy@example.org,member@example.org\nana@example.org,bo@example.org\n"
    result = roster.import_members(db, community, text, ties)
    db.commit()
    assert [a.email for a in result.new_accounts] == ["ana@example.org", "bo@example.org",
                                                      "cy@example.org"]
    # Ana and Bo share team "FIN" in Acme's Finance; Otto's "FIN" is another organisation's.
    # Otto already had an account: he is invited, not added.
    assert (result.added_members, result.already_members, result.ties) == (3, 1, 2)
    assert result.invited == 1
    ana = db.scalars(select(User).where(User.email == "ana@example.org")).one()
    assert (ana.display_name, ana.organisation, ana.department) == ("Ana Silva", "Acme", "Finance")
    assert ana.password_hash is None and ana.claim_token and len(ana.claim_token) >= 43
    otto = db.get_one(User, outsider.id)
    assert (otto.display_name, otto.organisation, otto.department, otto.claim_token) == (
        "Otto Outsider", "Own Org", "Own Dept", None)
    roles = dict(db.execute(select(User.email, Membership.role).join(Membership)
                            .where(Membership.community_id == community.id)).all())
    assert roles == {"fac@example.org": "facilitator", "member@example.org": "member",
                     "ana@example.org": "member",
                     "bo@example.org": "member", "cy@example.org": "member"}
    ids = {u.email: u.id for u in db.scalars(select(User))}
    tied = {frozenset(p) for p in [("cy", "member"), ("ana", "bo")]}
    for pair in tied:
        a, b = (ids[f"{name}@example.org"] for name in pair)
        tie = find_tie(db, a, b)
        assert tie is not None and (tie.source, tie.community_id) == ("imported", community.id)
    assert find_tie(db, ids["ana@example.org"], ids["out@example.org"]) is None
    assert counts(db)[2] == 2

    again = roster.import_members(db, community, text, ties)
    assert (len(again.new_accounts), again.added_members, again.already_members, again.ties) == (
        0, 0, 4, 0)
    assert again.invited == 0  # Otto's invitation is still open: not sent twice
    assert counts(db)[2] == 2
    assert [u.email for u in roster.pending_claims(db, community.id)] == [
        "ana@example.org", "bo@example.org", "cy@example.org"]


def test_oversized_team_is_a_problem(db: Session, setup: dict[str, Any]) -> None:
    preview = roster.check_import(db, setup["community"], HEADER + people(51, team="All"))
    assert preview.members.problems == [(
        "Team 'All' has 51 people; existing-team ties are meant for people who work closely, at "
        "most 50. Put larger groups in the department column instead.")]
