"""Erasing a member's account: their rows go, their words in shared history become tombstones.

One transaction (the edge commits): the member's own rows are deleted (most by the
database's ``ON DELETE CASCADE`` when the ``User`` row goes), what they wrote into a circle's
shared history is replaced by ``TOMBSTONE`` with the author cleared (shown as "a former
member"), their name and e-mail are taken out of texts the system wrote for others
(notifications, e-mails, circle names), and the live event log of every session of their
circles is dropped (it is a cache of what rooms were told; clients take a snapshot). Their
logins end with the ``User`` row, and ``realtime.revocation`` ends their open sockets after
the commit. ``POLICY`` names what happens to every table with a column pointing at
``user.id``; tests/members/test_erasure.py fails when a new one is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement
from werkzeug.security import check_password_hash

from circles.errors import Conflict, InvalidInput
from circles.models import (
    AgendaItem,
    Attendance,
    Circle,
    CircleGoal,
    CircleMember,
    CircleSession,
    Community,
    ConcernReport,
    Contribution,
    HarvestItem,
    LiveEvent,
    Membership,
    Note,
    Notification,
    OutboxMessage,
    SessionPhase,
    User,
)

FORMER_MEMBER = "a former member"
#: What is left of a member's words in their circles' shared history.
TOMBSTONE = "(removed: written by a former member)"

#: Table → what erasing a member does to their rows in it.
POLICY: dict[str, str] = {
    "user": "deleted",
    "login_session": "deleted (every login ends)",
    "api_token": "deleted (API access ends)",
    "strength": "deleted",
    "question": "deleted (agenda items made from it keep their own text)",
    "learning_goal": "deleted",
    "boundary": "deleted",
    "success_criterion": "deleted, with every check-in on it",
    "availability": "deleted",
    "invitation": "deleted when they were invited; ones they sent as facilitator stay, "
                  "without their name",
    "membership": "deleted; a community whose only member they were is deleted with them",
    "circle_member": "deleted, with the departure reason kept for them",
    "closing_reflection": "deleted",
    "regroup_consent": "deleted (theirs and others' about them)",
    "feedback": "deleted, given and received",
    "commitment": "deleted",
    "goal_checkin": "deleted",
    "pulse": "deleted",
    "external_contact": "deleted",
    "introduction": "deleted when they requested, brokered or were the target",
    "notification": "deleted; others' notifications naming them say 'a former member'",
    "notification_preference": "deleted",
    "tie": "deleted",
    "interaction": "deleted",
    "separation": "deleted",
    "attendance": "deleted (and cleared as who confirmed others' attendance)",
    "presence": "deleted (and their sockets end)",
    "note": "private notes deleted; the shared note stays the circle's, their name taken out",
    "contribution": "tombstone: text replaced, author cleared",
    "agenda_item": "tombstone: title replaced, author cleared",
    "circle_goal": "tombstone: text replaced, author cleared (others' check-ins stay)",
    "live_event": "every session of their circles loses its log (clients take a snapshot)",
    "circle": "kept (the circle's); creator cleared, their first name taken out of its name",
    "circle_session": "kept; creator and who said whether the circle met cleared, their name "
                      "taken out of the title and the room or address",
    "session_series": "kept; creator cleared",
    "session_plan": "deleted (the keys of planning forms they sent; the sessions stay)",
    "session_role": "kept as a vacant role",
    "session_stage": "kept; focus and starter cleared",
    "role_handover": "kept; who handed over cleared",
    "formation_run": "kept (member ids and figures only); creator cleared",
    "harvest_item": "deleted (their own harvest); what they offered others stays in those "
                    "harvests as a tombstone, author cleared",
    "block": "deleted (the ones they made and the ones about them)",
    "concern_report": "deleted when they reported it; one about them stays for the safety "
                      "contacts, with them cleared and their name taken out of its words",
    "renewal_choice": "deleted",
}


def confirm_password(user: User, password: str) -> None:
    """Erasure is asked for again with the password, so a borrowed browser cannot do it."""
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise InvalidInput.field("password", _("That is not your password."))


def handover_needed(db: Session, user: User) -> list[Community]:
    """Communities that would be left without a facilitator: the member is their only one
    and others belong to them. Erasure waits until the member makes someone else one."""
    mine = db.scalars(select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.role == "facilitator")).all()
    blocked = []
    for community_id in mine:
        counts = {role: n for role, n in db.execute(
            select(Membership.role, func.count())
            .where(Membership.community_id == community_id, Membership.user_id != user.id)
            .group_by(Membership.role))}
        if counts and not counts.get("facilitator"):
            community = db.get(Community, community_id)
            assert community is not None
            blocked.append(community)
    return blocked


def erase_account(db: Session, user: User) -> None:
    """Delete ``user`` and everything that is theirs, as described in the module docstring."""
    blocked = handover_needed(db, user)
    if blocked:
        names = ", ".join(c.name for c in blocked)
        raise Conflict(_("You are the only facilitator of %(names)s: make another member a "
                         "facilitator there first, then delete your account.", names=names))
    scrub = _scrubber(user)
    circle_ids = set(db.scalars(select(CircleMember.circle_id).where(
        CircleMember.user_id == user.id)))
    session_ids = set(db.scalars(select(CircleSession.id).where(
        CircleSession.circle_id.in_(circle_ids))))
    session_ids |= set(db.scalars(select(Attendance.session_id).where(
        Attendance.user_id == user.id)))
    _drop_live_logs(db, user, session_ids)
    renamed = _rename_circles(db, user, circle_ids)
    _tombstone(db, user)
    _erase_reports(db, user, scrub)
    _scrub_session_texts(db, session_ids, scrub)
    _scrub_messages(db, user, renamed, scrub)
    _scrub_communities(db, user, scrub)
    _delete_lonely_communities(db, user)
    db.delete(user)  # through the ORM, so realtime.revocation sees it and ends their sockets
    db.flush()


def _scrubber(user: User) -> Callable[[str], str]:
    """Replace the member's full name and e-mail address, as whole words, with "a former
    member" (so "Al" leaves "Also" alone)."""
    words = [w for w in (user.display_name.strip(), user.email) if w]
    pattern = re.compile(_whole_words(words), re.IGNORECASE)
    return lambda text: pattern.sub(FORMER_MEMBER, text)


def _whole_words(words: Iterable[str]) -> str:
    return "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words)


def _drop_live_logs(db: Session, user: User, session_ids: set[int]) -> None:
    """Drop the logs, and skip a version in running sessions: a client's next change then
    shows a gap, the log cannot fill it, and the client takes a snapshot without him."""
    for session in db.scalars(select(CircleSession).where(
            CircleSession.id.in_(session_ids), CircleSession.status == "live")):
        session.version += 1
    db.execute(delete(LiveEvent).where(or_(LiveEvent.session_id.in_(session_ids),
                                           LiveEvent.author_id == user.id))
               .execution_options(synchronize_session=False))
    db.execute(delete(Note).where(Note.private.is_(True),
                                  or_(Note.slot == user.id, Note.author_id == user.id))
               .execution_options(synchronize_session=False))


def _rename_circles(db: Session, user: User, circle_ids: set[int]) -> dict[str, str]:
    """Take the member's name out of their circles' names ("Ana & Ben" was made from first
    names); returns old name → new name, to mend the messages that quoted them."""
    words = [w for w in (user.display_name, *user.display_name.split()[:1]) if w.strip()]
    if not words or not circle_ids:
        return {}
    pattern = re.compile(_whole_words(words))
    renamed: dict[str, str] = {}
    for circle in db.scalars(select(Circle).where(Circle.id.in_(circle_ids))):
        new = pattern.sub(FORMER_MEMBER, circle.name)[:120]
        if new != circle.name:
            renamed[circle.name] = new
            circle.name = new
    return renamed


def _tombstone(db: Session, user: User) -> None:
    for contribution in db.scalars(select(Contribution).where(Contribution.author_id == user.id)):
        contribution.text, contribution.author_id = TOMBSTONE, None
    for item in db.scalars(select(AgendaItem).where(AgendaItem.author_id == user.id)):
        item.title, item.author_id = TOMBSTONE, None
    for goal in db.scalars(select(CircleGoal).where(CircleGoal.author_id == user.id)):
        goal.text, goal.author_id = TOMBSTONE, None
    for offered in db.scalars(select(HarvestItem).where(HarvestItem.author_id == user.id)):
        offered.text, offered.author_id = TOMBSTONE, None


def _erase_reports(db: Session, user: User, scrub: Callable[[str], str]) -> None:
    """Reports they made go; ones about them stay for the safety contacts, name taken out."""
    db.execute(delete(ConcernReport).where(ConcernReport.reporter_id == user.id)
               .execution_options(synchronize_session=False))
    for report in db.scalars(select(ConcernReport).where(ConcernReport.subject_id == user.id)):
        report.text, report.subject_id = scrub(report.text), None


def _scrub_session_texts(db: Session, session_ids: set[int],
                         scrub: Callable[[str], str]) -> None:
    if not session_ids:
        return
    for session in db.scalars(select(CircleSession).where(CircleSession.id.in_(session_ids))):
        session.title = scrub(session.title)[:120]
        session.location = scrub(session.location)[:200]
    for phase in db.scalars(select(SessionPhase).where(SessionPhase.session_id.in_(session_ids))):
        phase.prompt = scrub(phase.prompt)[:200]
    for note in db.scalars(select(Note).where(Note.session_id.in_(session_ids),
                                              Note.private.is_(False))):
        note.body = scrub(note.body)


def _mentioning(column: InstrumentedAttribute[str], needles: Iterable[str]
                ) -> ColumnElement[bool]:
    return or_(*(column.contains(n, autoescape=True) for n in needles))


def _scrub_messages(db: Session, user: User, renamed: dict[str, str],
                    scrub: Callable[[str], str]) -> None:
    """Others' notifications and e-mails that name the member or quote a renamed circle."""
    db.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to) == user.email.lower())
               .execution_options(synchronize_session=False))

    def mend(text: str) -> str:
        for old, new in renamed.items():
            text = text.replace(old, new)
        return scrub(text)

    needles = [n for n in (user.display_name, user.email, *renamed) if n]
    for note in db.scalars(select(Notification).where(
            Notification.user_id != user.id, _mentioning(Notification.text, needles))):
        note.text = mend(note.text)[:300]
    for mail in db.scalars(select(OutboxMessage).where(or_(
            _mentioning(OutboxMessage.subject, needles),
            _mentioning(OutboxMessage.body, needles)))):
        mail.subject, mail.body = mend(mail.subject)[:200], mend(mail.body)


def _scrub_communities(db: Session, user: User, scrub: Callable[[str], str]) -> None:
    for community in db.scalars(select(Community).join(Membership).where(
            Membership.user_id == user.id)):
        community.description = scrub(community.description)


def _delete_lonely_communities(db: Session, user: User) -> None:
    """A community whose only member they are has nobody left to keep it for."""
    for community in db.scalars(select(Community).join(Membership).where(
            Membership.user_id == user.id)).all():
        others = db.scalar(select(func.count()).where(Membership.community_id == community.id,
                                                      Membership.user_id != user.id))
        if not others:
            db.delete(community)
