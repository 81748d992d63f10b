"""Safety in a community: its safety contacts, concerns members report to them, and the code
of conduct new members accept.

A facilitator names safety contacts (members or facilitators, ``Membership.safety_contact``).
A member reports a concern, optionally about another member of the community; the safety
contacts read what was reported and who was involved, and nothing of any session (no
contributions, notes, feedback). A community with a code of conduct (text its facilitator
sets) lets nobody join by invite without accepting it; the acceptance is recorded with its
time on the membership.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.community import membership_of
from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import number
from circles.models import Community, ConcernReport, Membership, User
from circles.models.safety import MAX_CONCERN
from circles.notify.notifications import notify

MAX_CONDUCT = 5000


def safety_contacts(db: Session, community_id: int) -> list[User]:
    """The community's safety contacts, by name."""
    return list(db.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.community_id == community_id, Membership.safety_contact.is_(True),
        User.is_active).order_by(User.display_name, User.id)))


def set_safety_contacts(db: Session, community: Community, user_ids: set[int]) -> list[User]:
    """The facilitator's choice of safety contacts: exactly the members named (anyone not
    in the community is refused)."""
    rows = {m.user_id: m for m in db.scalars(select(Membership).where(
        Membership.community_id == community.id))}
    if not user_ids <= set(rows):
        raise InvalidInput.field("contacts", _("Choose safety contacts among the community's "
                                               "members."))
    for user_id, membership in rows.items():
        membership.safety_contact = user_id in user_ids
    db.flush()
    return safety_contacts(db, community.id)


def set_conduct(db: Session, community: Community, text: str) -> str:
    """The code of conduct members accept on joining; empty asks for none."""
    text = (text or "").strip()
    if len(text) > MAX_CONDUCT:
        raise InvalidInput.field("conduct", _("Keep the code of conduct to %(max)s characters "
                                              "(it has %(length)s).", max=number(MAX_CONDUCT),
                                              length=number(len(text))))
    community.conduct = text
    return text


@dataclass
class Concern:
    """A report as safety contacts read it: its words and who was involved, nothing else."""

    report: ConcernReport
    reporter: User | None
    subject: User | None


def report_concern(db: Session, reporter: User, community_id: int, text: str,
                   subject_id: int | None = None) -> ConcernReport:
    """A member raises a concern with the community's safety contacts, who are told there is
    one (the words only on the reports page)."""
    if membership_of(db, reporter.id, community_id) is None:
        raise NotFound("community")
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Say what happened, in your own words.")
    elif len(text) > MAX_CONCERN:
        errors["text"] = _("Keep it to %(max)s characters (it has %(length)s).",
                           max=number(MAX_CONCERN), length=number(len(text)))
    if subject_id is not None and (subject_id == reporter.id or membership_of(
            db, subject_id, community_id) is None):
        errors["subject_id"] = _("Choose someone from this community, or nobody in particular.")
    if errors:
        raise InvalidInput(errors)
    contacts = [c for c in safety_contacts(db, community_id) if c.id != reporter.id]
    if not contacts:
        raise Conflict(_("This community has no safety contact to read your report yet: "
                         "ask a facilitator to name one."))
    report = ConcernReport(community_id=community_id, reporter_id=reporter.id,
                           subject_id=subject_id, text=text)
    db.add(report)
    db.flush()
    for contact in contacts:
        notify(db, contact.id, "concern", _l("A member reported a concern to you as a safety "
                                             "contact."), f"/communities/{community_id}/concerns",
               key=f"concern:{report.id}")
    return report


def concerns_for(db: Session, viewer: User, community_id: int) -> list[Concern]:
    """The community's reports, newest first, for its safety contacts only (anyone else:
    not found — a facilitator is not a reader unless named a safety contact)."""
    membership = membership_of(db, viewer.id, community_id)
    if membership is None or not membership.safety_contact:
        raise NotFound("page")
    reports = db.scalars(select(ConcernReport).where(ConcernReport.community_id == community_id)
                         .order_by(ConcernReport.created_at.desc(), ConcernReport.id.desc()))
    return [Concern(r, db.get(User, r.reporter_id) if r.reporter_id else None,
                    db.get(User, r.subject_id) if r.subject_id else None) for r in reports]
