"""Forms for planning sessions, and what the circle page shows of them to one viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from circles.languages import number, term
from circles.models import Circle, CircleSession, SessionRole, User, as_utc, utcnow
from circles.models.sessions import FORMAT_NAMES, WRITEUP_MAX
from circles.sessions import meetings, plans, roles, scheduling
from circles.views.dates import local
from circles.views.forms import PlainForm, WholeNumberField, ZoneField

REPEATS = [SelectChoice("", _l("Does not repeat")), SelectChoice("weekly", _l("Every week")),
           SelectChoice("fortnightly", _l("Every two weeks")), SelectChoice("monthly", _l("Every month"))]
FORMATS = [SelectChoice(key, _l(name)) for key, name in FORMAT_NAMES.items()]


class _WhenForm(PlainForm):
    # Typed as text so that the domain explains a bad date or time in words.
    date = StringField(_l("Date"), render_kw={"type": "date"}, description=_l("YYYY-MM-DD"))
    time = StringField(_l("Start time"), render_kw={"type": "time"},
                       description=_l("HH:MM, 24-hour, in the time zone below"))
    timezone = ZoneField(_l("Time zone"))
    duration_minutes = WholeNumberField(_l("Length (minutes)"), default=90,
                                        render_kw={"type": "number", "min": 15, "max": 480},
                                        description=_l("15 minutes to 8 hours."))

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.timezone.data:
            self.timezone.data = zone


class _PlaceForm(_WhenForm):
    # Typed as text too: the domain says in words what a link must look like.
    video_url = StringField(_l("Video-call link (optional)"),
                            render_kw={"inputmode": "url"},
                            description=_l("e.g. https://meet.example.org/our-circle"))
    create_room = BooleanField(_l("Create a video room for us"),
                               description=_l("A private link on this site's video service."))
    location = StringField(_l("Room or address (optional)"),
                           description=_l("e.g. “Room 4.12, Main Street 5” or “by phone”"))


class ScheduleForm(_PlaceForm):
    # One key per showing of the form: sending it twice plans once (circles/sessions/plans.py).
    form_key = HiddenField(default=plans.new_key)
    title = StringField(_l("Title (optional)"), description=_l("e.g. “Kick-off” or “Mid-point review”"))
    cadence = SelectField(_l("Repeat"), choices=REPEATS, default="", validate_choice=False)
    count = WholeNumberField(_l("How many sessions"), default=1,
                             render_kw={"type": "number", "min": 1, "max": 26},
                             description=_l("For a repeating series: 2 to 26 sessions."))
    format = SelectField(_l("Format"), choices=FORMATS, default="circle", validate_choice=False,
                         description=_l("Wise Crowds, Troika and action learning give everyone "
                                        "a round as client; a clearness committee helps one "
                                        "focus person with open questions only."))


class WriteupForm(PlainForm):
    writeup = TextAreaField(_l("Your write-up for the circle"), render_kw={"rows": 5},
                            description=_l("What you bring, in up to %(n)s characters. "
                                           "The circle reads it here and in the room.",
                                           n=number(WRITEUP_MAX)))


class RescheduleForm(_PlaceForm):
    @classmethod
    def of(cls, session: CircleSession, zone: str) -> RescheduleForm:
        local = as_utc(session.starts_at).astimezone(ZoneInfo(zone))
        form = cls(zone=zone, data={"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}",
                                    "timezone": zone,
                                    "duration_minutes": session.duration_minutes,
                                    "video_url": session.video_url,
                                    "location": session.location})
        return form



@dataclass
class SessionsPanel:
    """The sessions section of a circle page, for one viewer."""

    member: bool
    zone: str
    upcoming: list[CircleSession]
    past: list[CircleSession]
    # per role id held by the viewer: the roles of others they may propose to swap with
    swap_choices: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    incoming: list[SessionRole] = field(default_factory=list)  # proposals asking the viewer
    outgoing: dict[int, SessionRole] = field(default_factory=dict)  # viewer's role id → target
    now: datetime = field(default_factory=utcnow)
    # confirmed meetings among the past sessions: session id → who was there
    attended: dict[int, list[User]] = field(default_factory=dict)
    # A closed circle plans nothing more: what was still ahead when it closed was called off.
    closed_at: datetime | None = None
    called_off: list[CircleSession] = field(default_factory=list)

    def awaiting(self, session: CircleSession) -> bool:
        """Over, not run in the live room, and nobody has said yet whether the circle met."""
        return meetings.awaiting(session, self.now)

    def confirmed(self, session: CircleSession) -> bool:
        return meetings.confirmed(session)

    def changeable(self, session: CircleSession) -> bool:
        return scheduling.is_changeable(session, self.now)

    def format_name(self, session: CircleSession) -> str:
        return FORMAT_NAMES.get(session.format, session.format)

    def writeup_form(self) -> WriteupForm:
        return WriteupForm()

    def role_name(self, role: SessionRole) -> str:
        return term(role.role)

    def ordered_roles(self, session: CircleSession) -> list[SessionRole]:
        return roles.in_order(session)

    def when(self, session: CircleSession) -> str:
        return local(session.starts_at, "session", zone=self.zone)

    def label(self, role: SessionRole) -> str:
        """``Ben — timekeeper, Thu 03 Dec 2026, 18:00``"""
        holder = role.user.display_name if role.user else _("vacant")
        return f"{holder} — {term(role.role)}, {self.when(role.session)}"


def sessions_panel(db: Session, circle: Circle, viewer: User) -> SessionsPanel:
    member = any(seat.user_id == viewer.id for seat in circle.current_seats)
    now = utcnow()
    panel = SessionsPanel(member=member, zone=viewer.timezone or "UTC",
                          upcoming=scheduling.upcoming(db, circle, now),
                          past=scheduling.past(db, circle, now), now=now,
                          closed_at=circle.closed_at)
    if member:
        names = {seat.user_id: seat.user for seat in circle.seats}
        panel.attended = {s.id: [names[uid] for uid in meetings.attendee_ids(db, s)
                                 if uid in names]
                          for s in panel.past if meetings.confirmed(s)}
    if circle.closed_at is not None:
        panel.called_off = [s for s in panel.upcoming if s.status == "cancelled"]
        panel.upcoming = [s for s in panel.upcoming if s.status == "live"]
    elif member:
        open_roles = [r for s in panel.upcoming if panel.changeable(s) for r in s.roles]
        theirs = [r for r in open_roles if r.user is not None and r.user_id != viewer.id]
        panel.swap_choices = {
            mine.id: [(r.id, panel.label(r)) for r in theirs if roles.swap_allowed(mine, r)]
            for mine in open_roles if mine.user_id == viewer.id
        }
        pending = [r for r in open_roles
                   if r.swap_with is not None and r.user_id == r.swap_proposed_by_id]
        panel.incoming = [r for r in pending if r.swap_with and r.swap_with.user_id == viewer.id]
        panel.outgoing = {r.id: r.swap_with for r in pending
                          if r.swap_with and r.user_id == viewer.id}
    return panel
