"""Bulk onboarding: check a facilitator's CSV of members (and of existing ties) row by row,
then import all of it or nothing."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circles.communities.invitations import invite
from circles.errors import Conflict, InvalidInput
from circles.members.accounts import normalise_email
from circles.members.profiles import (
    add_availability,
    add_learning_goal,
    add_question,
    add_strength,
    format_clock,
)
from circles.models import Community, Invitation, Membership, Tie, User
from circles.network.ties import ordered
from circles.onboarding.profile_columns import PROFILE_COLUMNS, ProfileCells, read_profile
from circles.onboarding.table import Report, read_table

MAX_MEMBERS = 5_000
MAX_TIES = 20_000
# Everyone in an "existing team" gets a tie with everyone else in it (n·(n-1)/2 ties), which
# only describes people who work closely; bigger groups belong in the department column.
MAX_TEAM = 50
LIMITS = {"name": 80, "organisation": 120, "department": 120, "team": 120}
OK = "ok"
ALREADY_MEMBER = "already a member"

BASIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "display name", "member name"),
    "email": ("email", "e mail", "mail", "email address", "e mail address"),
    "organisation": ("organisation", "organization", "company", "org"),
    "department": ("department", "dept", "division", "unit"),
    "team": ("team", "existing team", "team code", "hr team"),
}
MEMBER_COLUMNS = {**BASIC_COLUMNS, **PROFILE_COLUMNS}
TIE_COLUMNS: dict[str, tuple[str, ...]] = {
    "email_a": ("email a", "email 1", "person", "person a", "member", "from"),
    "email_b": ("email b", "email 2", "knows", "person b", "colleague", "works with", "to"),
}


@dataclass
class MemberRow:
    line: int
    name: str = ""
    email: str = ""
    organisation: str = ""
    department: str = ""
    team: str = ""
    email_valid: bool = False
    problems: list[str] = field(default_factory=list)
    status: str = OK
    profile: ProfileCells = field(default_factory=ProfileCells)

    @property
    def team_key(self) -> tuple[str, str, str]:
        """A team is one within its organisation and department: "FIN-1" in two
        organisations is two teams."""
        return (self.organisation.casefold(), self.department.casefold(), self.team.casefold())


@dataclass
class TieRow:
    line: int
    email_a: str = ""
    email_b: str = ""
    problems: list[str] = field(default_factory=list)
    status: str = OK


class MembersReport(Report[MemberRow]):
    """Every row of a members file with its status or its problems."""


class TiesReport(Report[TieRow]):
    """Every row of a ties file with its status or its problems."""


@dataclass
class ImportPreview:
    """What importing these files would do, or why it cannot be done."""

    members: MembersReport
    ties: TiesReport | None
    team_ties: int = 0

    @property
    def ok(self) -> bool:
        return self.members.ok and (self.ties is None or self.ties.ok)

    @property
    def to_add(self) -> int:
        return sum(row.status != ALREADY_MEMBER for row in self.members.rows)

    def errors(self) -> dict[str, str]:
        """One message per file that has problems, keyed by the upload form's field."""
        errors: dict[str, str] = {}
        for name, report in (("members_csv", self.members), ("ties_csv", self.ties)):
            if report is not None and report.problems:
                more = len(report.problems) - 1
                errors[name] = ngettext("%(problem)s (and %(num)d more)",
                                        "%(problem)s (and %(num)d more)", more,
                                        problem=report.problems[0]) if more \
                    else report.problems[0]
        return errors


@dataclass(frozen=True)
class NewAccount:
    name: str
    email: str
    claim_token: str


@dataclass
class ImportResult:
    new_accounts: list[NewAccount] = field(default_factory=list)
    added_members: int = 0
    already_members: int = 0
    #: People who already had an account: invited, added once they accept.
    invited: int = 0
    #: Ties named with invited people, added when (and if) they accept.
    ties_waiting: int = 0

    @property
    def to_answer(self) -> int:
        """Everyone who got a personal link: new accounts to claim and invitations."""
        return len(self.new_accounts) + self.invited
    ties: int = 0


def _cell(cells: list[str], index: int | None) -> str:
    return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""


def parse_members_csv(text: str | bytes) -> MembersReport:
    """Check a members file row by row; needs no database (see ``check_import`` for that)."""
    report = MembersReport()
    table = read_table(report, text, MEMBER_COLUMNS, required=("name", "email"),
                       max_rows=MAX_MEMBERS, noun="members", example=tuple(BASIC_COLUMNS))
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        name, raw_email, organisation, department, team = (
            _cell(cells, table.columns.get(column)) for column in BASIC_COLUMNS)
        row = MemberRow(line, name, "", organisation, department, team)
        problem = partial(table.flag, row)
        table.flag_stray(row, cells)
        row.profile, profile_problems = read_profile(
            {column: _cell(cells, table.columns.get(column)) for column in PROFILE_COLUMNS})
        for column, message in profile_problems.items():
            problem(column, message)
        if not row.name:
            problem("name", _("a name is required"))
        if not raw_email:
            problem("email", _("an e-mail address is required"))
        else:
            try:
                row.email, row.email_valid = normalise_email(raw_email), True
            except InvalidInput:
                row.email = raw_email
                problem("email", _("'%(email)s' is not a valid e-mail address", email=raw_email))
        for name, limit in LIMITS.items():
            length = len(getattr(row, name))
            if length > limit:
                problem(name, _("%(length)s characters is too long (at most %(max)s)",
                                length=length, max=limit))
        if row.email_valid and row.email in first_line:
            problem("email", _("'%(email)s' is also on line %(line)s", email=row.email,
                               line=first_line[row.email]))
        first_line.setdefault(row.email, line)
        report.rows.append(row)
    return report


def parse_ties_csv(text: str | bytes, known_emails: Iterable[str]) -> TiesReport:
    """Check a ties file: two known, different people per row, each pair once."""
    known = set(known_emails)
    report = TiesReport()
    table = read_table(report, text, TIE_COLUMNS, required=("email_a", "email_b"),
                       max_rows=MAX_TIES, noun="ties")
    first_line: dict[frozenset[str], int] = {}
    for line, cells in table.rows:
        row = TieRow(line)
        problem = partial(table.flag, row)
        table.flag_stray(row, cells)
        valid = True
        for name in ("email_a", "email_b"):
            raw = _cell(cells, table.columns[name])
            try:
                setattr(row, name, normalise_email(raw))
            except InvalidInput:
                setattr(row, name, raw)
                valid = False
                problem(name, _("'%(email)s' is not a valid e-mail address", email=raw) if raw
                        else _("an e-mail address is required"))
                continue
            if getattr(row, name) not in known:
                valid = False
                problem(name, _("'%(email)s' is neither in the members file nor a member "
                                "of this community", email=getattr(row, name)))
        pair = frozenset((row.email_a, row.email_b))
        if valid and len(pair) == 1:
            problem(None, _("both columns name the same person ('%(email)s')", email=row.email_a))
        elif valid and pair in first_line:
            problem(None, _("the same two people as line %(line)s", line=first_line[pair]))
        first_line.setdefault(pair, line)
        report.rows.append(row)
    return report


def _users_by_email(db: Session, emails: Iterable[str]) -> dict[str, User]:
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    return {user.email: user for user in db.scalars(select(User).where(User.email.in_(wanted)))}


def _member_ids(db: Session, community_id: int) -> set[int]:
    return set(db.scalars(select(Membership.user_id).where(Membership.community_id == community_id)))


def _teams(report: MembersReport) -> list[list[MemberRow]]:
    """Rows grouped by existing team (case and spacing ignored); oversized teams are problems."""
    teams: dict[tuple[str, str, str], list[MemberRow]] = defaultdict(list)
    for row in report.rows:
        if row.team:
            teams[row.team_key].append(row)
    for rows in teams.values():
        if len(rows) > MAX_TEAM:
            report.file_problems.append(
                _("Team '%(team)s' has %(count)s people; existing-team ties are meant for "
                  "people who work closely, at most %(max)s. Put larger groups in the "
                  "department column instead.", team=rows[0].team, count=len(rows), max=MAX_TEAM)
            )
    return [rows for rows in teams.values() if len(rows) > 1]


def check_import(db: Session, community: Community, members: str | bytes,
                 ties: str | bytes | None = None) -> ImportPreview:
    """The row-by-row report of importing these files into ``community``; saves nothing."""
    report = parse_members_csv(members)
    valid = [row for row in report.rows if row.email_valid]
    users = _users_by_email(db, (row.email for row in valid))
    member_ids = _member_ids(db, community.id)
    for row in report.rows:
        # Only membership of this community shows: whether an address has an account
        # elsewhere on Circles is nobody's business here (docs/security.md).
        user = users.get(row.email) if not row.problems else None
        if user is not None and user.id in member_ids:
            row.status = ALREADY_MEMBER
    tie_report = None
    if ties is not None:
        in_community = db.scalars(
            select(User.email).join(Membership).where(Membership.community_id == community.id)
        )
        tie_report = parse_ties_csv(ties, {row.email for row in valid} | set(in_community))
    team_ties = sum(len(rows) * (len(rows) - 1) // 2 for rows in _teams(report))
    return ImportPreview(report, tie_report, team_ties)


def import_members(db: Session, community: Community, members_text: str,
                   ties_text: str | None = None, *, invited_by: int | None = None) -> ImportResult:
    """Create accounts, memberships and ties for the whole file, or raise and change nothing.

    A row whose address already has an account adds nobody: that person is invited, and
    joins (with the ties the files name) only if they accept."""
    preview = check_import(db, community, members_text, ties_text)
    if not preview.ok:
        raise InvalidInput(preview.errors())
    users = _users_by_email(db, (row.email for row in preview.members.rows))
    invitees = {email: user for email, user in users.items()
                if user.id not in _member_ids(db, community.id)}
    result = ImportResult(already_members=len(users) - len(invitees))
    fresh = _new_accounts(db, community, preview, users, result)
    try:
        db.flush()
    except IntegrityError as exc:
        raise Conflict(_("Someone joined or signed up with one of these e-mails during the "
                         "import. Upload the file again to see who is new.")) from exc
    with db.no_autoflush:
        for user, profile in fresh:
            fill_profile(db, user, profile)
    db.flush()
    pairs = _pairs(preview)
    users.update(_users_by_email(db, {e for pair in pairs for e in pair} - users.keys()))
    for email, user in invitees.items():
        named = {b if a == email else a for a, b in pairs if email in (a, b)}
        if invite(db, community, user, invited_by=invited_by, tie_emails=named) is not None:
            result.invited += 1
    now = {ordered(users[a].id, users[b].id) for a, b in pairs
           if a not in invitees and b not in invitees}
    result.ties = _record_ties(db, community, now)
    result.ties_waiting = len(pairs) - len(now)
    return result


def _new_accounts(db: Session, community: Community, preview: ImportPreview,
                  users: dict[str, User], result: ImportResult) -> list[tuple[User, ProfileCells]]:
    """Accounts (to be claimed) and memberships for the addresses new to Circles."""
    fresh: list[tuple[User, ProfileCells]] = []
    for row in preview.members.rows:
        if row.email in users:
            continue
        user = users[row.email] = User(
            email=row.email, password_hash=None, display_name=row.name,
            organisation=row.organisation, department=row.department,
            timezone=row.profile.timezone, claim_token=secrets.token_urlsafe(32),
            strengths=[], questions=[], learning_goals=[], boundaries=[],
            success_criteria=[], availability=[],
        )
        db.add(user)
        result.new_accounts.append(NewAccount(row.name, row.email, user.claim_token or ""))
        fresh.append((user, row.profile))
        db.add(Membership(community_id=community.id, user=user, role="member"))
        result.added_members += 1
    return fresh


def _pairs(preview: ImportPreview) -> set[tuple[str, str]]:
    """Every tie the files name, as ordered pairs of addresses (ties file and teams)."""
    pairs = {tuple(sorted((t.email_a, t.email_b))) for t in
             (preview.ties.rows if preview.ties else [])}
    for team in _teams(preview.members):
        pairs.update(tuple(sorted((a.email, b.email))) for a, b in combinations(team, 2))
    return pairs  # type: ignore[return-value]


def fill_profile(db: Session, user: User, profile: ProfileCells) -> None:
    """A new account's profile from its row, through the same checks as the profile page
    (topics take the community vocabulary's spelling)."""
    for topic in profile.strengths:
        add_strength(db, user, topic=topic)
    for topic, text in profile.questions:
        add_question(db, user, text=text, topic=topic)
    for topic in profile.learning_goals:
        add_learning_goal(db, user, topic=topic)
    for weekday, start, end in profile.windows:
        add_availability(db, user, weekday=weekday, start=format_clock(start),
                         end=format_clock(end))


def _record_ties(db: Session, community: Community, pairs: set[tuple[int, int]]) -> int:
    """Add the imported ties people do not have yet; returns how many were new.

    One bulk INSERT rather than ``ties.add_tie`` per pair: a file of 5,000 members in teams
    of ten means 22,500 pairs, which took 87 s one by one (a query and a flush each)."""
    ids = sorted({person for pair in pairs for person in pair})
    known = set() if not ids else {(low, high) for low, high in db.execute(
        select(Tie.low_id, Tie.high_id).where(or_(Tie.low_id.in_(ids), Tie.high_id.in_(ids)))
    )}
    new = sorted(pairs - known)
    if new:
        db.execute(insert(Tie), [
            {"low_id": low, "high_id": high, "source": "imported", "community_id": community.id}
            for low, high in new
        ])
    return len(new)


def pending_links(db: Session, community_id: int) -> list[tuple[str, str]]:
    """(address, token) of everyone the community is waiting for: imported accounts not yet
    claimed and invitations not yet answered, alike (one link shape, ``/claim/<token>``)."""
    claims = [(user.email, user.claim_token or "") for user in pending_claims(db, community_id)]
    invitations = db.execute(
        select(User.email, Invitation.token).join(Invitation, Invitation.user_id == User.id)
        .where(Invitation.community_id == community_id, Invitation.answered_at.is_(None)))
    return sorted([*claims, *((email, token) for email, token in invitations)])


def pending_claims(db: Session, community_id: int) -> list[User]:
    """Members of the community who were imported and have not set a password yet."""
    return list(db.scalars(
        select(User).join(Membership)
        .where(Membership.community_id == community_id, User.claim_token.is_not(None))
        .order_by(func.lower(User.display_name), User.email)
    ))
