"""Profile columns in a members CSV: strengths, questions, learning goals, weekly availability
and time zone, each checked cell by cell with the line and column named, imported only into
new accounts (an existing account's own profile stands), all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.communities.community import create_community
from circles.errors import InvalidInput
from circles.members.topics import add_topic
from circles.models import Availability, Question, Strength, User
from circles.onboarding import roster
from circles.onboarding.profile_columns import read_profile

HEADER = "name,email,strengths,questions,goals,availability,time zone\n"


@pytest.mark.parametrize(("cells", "expected"), [
    ({"strengths": "public speaking; Negotiation;Public Speaking"},
     {"strengths": ["Public speaking", "Negotiation"]}),
    ({"questions": "Negotiation: How do I ask for a raise? | How do I say no: politely?"},
     {"questions": [("Negotiation", "How do I ask for a raise?"),
                    ("How do I say no", "politely?")]}),
    ({"questions": "How do I say no?"}, {"questions": [("", "How do I say no?")]}),
    ({"availability": "Tue-Thu 12:00-13:30; fri 9.00–10.00"},
     {"windows": [(1, 720, 810), (2, 720, 810), (3, 720, 810), (4, 540, 600)]}),
    ({"timezone": "Asia/Kathmandu"}, {"timezone": "Asia/Kathmandu"}),
])
def test_profile_cells_are_read(cells: dict[str, str], expected: dict[str, Any]) -> None:
    profile, problems = read_profile(cells)
    assert problems == {}
    for name, value in expected.items():
        assert getattr(profile, name) == value


@pytest.mark.parametrize(("body", "message"), [
    ("Ann,ann@example.org,,,,Tue noon,\n",
     "line 2, availability: 'Tue noon' is not a weekly window like 'Tue 12:00-13:30'"),
    ("Ann,ann@example.org,,,,Tue 14:00-13:00,\n",
     "line 2, availability: 'Tue 14:00-13:00' ends before it starts"),
    ("Ann,ann@example.org,,,,Tue 12:00-14:00; Tue 13:00-15:00,\n",
     "line 2, availability: two windows overlap on Tuesday"),
    ("Ann,ann@example.org,,,,,Mars/Olympus\n",
     "line 2, time zone: 'Mars/Olympus' is not a time zone"),
    ("Ann,ann@example.org," + "x" * 81 + ",,,,\n",
     "line 2, strengths: '" + "x" * 81 + "': Keep a topic under 80 characters."),
    ("Ann,ann@example.org,,Topic: " + "q" * 501 + ",,,\n",
     "line 2, questions: a question of 501 characters is too long (at most 500)"),
])
def test_each_bad_profile_cell_is_reported_with_its_line_and_column(body: str,
                                                                   message: str) -> None:
    found = roster.parse_members_csv(HEADER + body).problems
    assert len(found) == 1 and found[0].startswith(message), found


@pytest.fixture
def community(db: Session) -> Any:
    lead = User(email="lead@example.org", display_name="Lead", timezone="UTC")
    db.add(lead)
    db.flush()
    made = create_community(db, lead, name="Programme")
    add_topic(db, made.id, "Public speaking")
    return made


def test_new_accounts_get_their_profile_in_the_vocabularys_spelling(db: Session,
                                                                   community: Any) -> None:
    text = (HEADER + "Ana Silva,ana@example.org,public SPEAKING;Budgets,"
            '"Public speaking: How do I open a talk? | Budgets: Where do I start?",'
            "Negotiation,Tue 12:00-13:30,Europe/Berlin\n")
    roster.import_members(db, community, text)
    ana = db.scalars(select(User).where(User.email == "ana@example.org")).one()
    assert ana.timezone == "Europe/Berlin"
    assert [s.topic for s in ana.strengths] == ["Public speaking", "Budgets"]
    assert [(q.topic, q.text) for q in ana.questions] == [
        ("Public speaking", "How do I open a talk?"), ("Budgets", "Where do I start?")]
    assert [g.topic for g in ana.learning_goals] == ["Negotiation"]
    assert [(w.weekday, w.start_minute, w.end_minute) for w in ana.availability] == [
        (1, 720, 810)]


def test_an_existing_account_keeps_its_own_profile(db: Session, community: Any) -> None:
    db.add(User(email="bo@example.org", display_name="Bo", timezone="UTC", strengths=[],
                questions=[], learning_goals=[], boundaries=[], success_criteria=[],
                availability=[]))
    db.flush()
    text = HEADER + "Bo Chen,bo@example.org,Python,,,Mon 09:00-10:00,Asia/Tokyo\n"
    preview = roster.check_import(db, community, text)
    assert preview.members.rows[0].status == roster.OK  # nothing tells the account exists
    roster.import_members(db, community, text)
    bo = db.scalars(select(User).where(User.email == "bo@example.org")).one()
    assert (bo.timezone, bo.strengths, bo.availability) == ("UTC", [], [])


def test_a_bad_profile_cell_imports_nothing(db: Session, community: Any) -> None:
    text = (HEADER + "Ana,ana@example.org,Python,,,Tue 12:00-13:00,\n"
            "Bo,bo@example.org,Python,,,Tue 12:00,\n")
    with pytest.raises(InvalidInput, match="line 3, availability"):
        roster.import_members(db, community, text)
    db.rollback()
    for model in (User, Strength, Question, Availability):
        assert db.scalar(select(func.count()).select_from(model).where(
            *([model.email.in_(["ana@example.org", "bo@example.org"])] if model is User
              else []))) in (0, None)


def test_the_cli_reports_every_problem_and_imports_nothing(app: Any, runner: Any,
                                                           tmp_path: Any) -> None:
    with app.app_context():
        from circles.extensions import orm

        db = orm.session()
        lead = User(email="lead@example.org", display_name="Lead", timezone="UTC")
        db.add(lead)
        db.flush()
        community_id = create_community(db, lead, name="Programme").id
        db.commit()
    bad = tmp_path / "members.csv"
    bad.write_text(HEADER + "Ana,ana@example.org,,,,Tue 9-10,\nBo,bo@,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["members", "import", str(community_id), str(bad)])
    assert result.exit_code == 1
    assert "members file: line 2, availability: 'Tue 9-10' is not a weekly window" in result.output
    assert "members file: line 3, email: 'bo@' is not a valid e-mail address" in result.output
    assert "Nothing was imported" in result.output

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "Ana,ana@example.org,Python,,,Tue 09:00-10:00,Europe/Paris\n"
                    "Bo,bo@example.org,,,,,\n", encoding="utf-8")
    dry = runner.invoke(args=["members", "import", str(community_id), str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 rows: 2 to add or invite (1 with a profile, used for new accounts)" in dry.output
    assert "Dry run: nothing was imported." in dry.output
    links = tmp_path / "links.csv"
    done = runner.invoke(args=["members", "import", str(community_id), str(good),
                               "--claim-links", str(links)])
    assert done.exit_code == 0, done.output
    assert "2 members added (2 new accounts)" in done.output
    rows = links.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "name,email,link" and len(rows) == 3 and "/claim/" in rows[1]
    assert "/claim/" not in done.output  # links go to the file, not the terminal
    with app.app_context():
        ana = orm.session.scalars(select(User).where(User.email == "ana@example.org")).one()
        assert ana.timezone == "Europe/Paris" and [s.topic for s in ana.strengths] == ["Python"]
    missing = runner.invoke(args=["members", "import", "999", str(good)])
    assert missing.exit_code == 1 and "There is no community 999." in missing.output
