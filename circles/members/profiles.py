"""Member profiles: what a member brings, what they are working on, and when they are free."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from circles.errors import InvalidInput, NotFound
from circles.languages import LANGUAGES
from circles.members import blocks
from circles.members.topics import canonical_topic
from circles.models import (
    Availability,
    Boundary,
    LearningGoal,
    Membership,
    Question,
    Strength,
    SuccessCriterion,
    User,
)
from circles.models.profiles import LEVELS

BACKGROUND_FIELDS = {
    "career_path": _l("Career path (e.g. career changer, first in family at university)"),
    "cultural_background": _l("Cultural background"),
    "gender": _l("Gender"),
    "age_band": _l("Age band"),
}
ITEM_KINDS: dict[str, Any] = {
    "strength": Strength,
    "question": Question,
    "learning_goal": LearningGoal,
    "boundary": Boundary,
    "success_criterion": SuccessCriterion,
    "availability": Availability,
}
#: English, as a roster's CSV names the days (circles/onboarding reads them); DAY_NAMES are
#: the same days as the reader says them.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
             _l("Saturday"), _l("Sunday"))


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def all_timezones() -> list[str]:
    return sorted(_known_timezones())


def check_timezone(name: str) -> None:
    """Only names of the tz database we offer in the menu (no file paths, no "posixrules")."""
    if not name:
        raise InvalidInput.field("timezone", _("Choose your time zone from the list."))
    if name not in _known_timezones():
        raise InvalidInput.field("timezone", _("%(name)s is not a time zone we know.",
                                                   name=repr(name)))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput.field("timezone", _("%(name)s is not a time zone we know.",
                                                   name=repr(name))) from exc


NAME_MISSING = _l("Tell us the name your circle should see.")


def _text(errors: dict[str, str], field: str, value: str | None, limit: int, *,
          missing: str = "") -> str:
    """The text stripped; with ``missing``, an empty one is a problem said in those words."""
    value = (value or "").strip()
    if missing and not value:
        errors[field] = missing
    elif len(value) > limit:
        errors[field] = _("Keep this under %(limit)s characters (it has %(length)s).",
                           limit=limit, length=len(value))
    return value


def update_profile(db: Session, user: User, fields: dict[str, Any]) -> User:
    """Replace the profile's single-valued fields; nothing changes unless all are valid."""
    errors: dict[str, str] = {}
    name = " ".join(_text(errors, "display_name", fields.get("display_name"), 80,
                          missing=str(NAME_MISSING)).split())
    organisation = _text(errors, "organisation", fields.get("organisation"), 120)
    department = _text(errors, "department", fields.get("department"), 120)
    bio = _text(errors, "bio", fields.get("bio"), 2000)
    timezone = str(fields.get("timezone") or "")
    try:
        check_timezone(timezone)
    except InvalidInput as exc:
        errors.update(exc.errors)
    language = str(fields.get("language") or "") if "language" in fields else user.language
    if language and language not in LANGUAGES:
        errors["language"] = _("Choose a language from the list.")
    consent = bool(fields.get("background_consent"))
    # Without consent nothing self-described is kept (nor checked): it is used only to
    # make circles diverse, and only with the member's say-so.
    background = (
        {key: _text(errors, key, fields.get(key), 80) for key in BACKGROUND_FIELDS} if consent else {}
    )
    if errors:
        raise InvalidInput(errors)
    user.display_name, user.organisation, user.department = name, organisation, department
    user.bio, user.timezone, user.language = bio, timezone, language
    user.background_consent = consent
    user.background = {k: v for k, v in background.items() if v}
    return user


def _next_position(items: list[Any]) -> int:
    return max((item.position for item in items), default=-1) + 1


def _topic(db: Session, user: User, errors: dict[str, str], raw: str,
           existing: list[Any] | None = None, duplicate: str = "") -> tuple[str, str]:
    """``(label, key)`` of a topic entry, or a problem under ``errors["topic"]``; with
    ``existing`` a topic already on that list is a duplicate, however it was spelled, said
    in the words ``duplicate`` (with a ``%(topic)s`` placeholder)."""
    try:
        label, key = canonical_topic(db, user.id, raw)
    except InvalidInput as exc:
        errors.update(exc.errors)
        return "", ""
    same = next((item for item in existing or [] if item.topic_key == key), None)
    if same is not None:
        errors["topic"] = duplicate % {"topic": same.topic}
    return label, key


def add_strength(db: Session, user: User, *, topic: str, offer: str = "", level: str = "practised") -> Strength:
    errors: dict[str, str] = {}
    label, key = _topic(db, user, errors, topic, user.strengths,
                        _("%(topic)s is already one of your strengths."))
    offer = _text(errors, "offer", offer, 500)
    if level not in LEVELS:
        errors["level"] = _("Choose one of: %(levels)s.", levels=", ".join(LEVELS))
    if errors:
        raise InvalidInput(errors)
    item = Strength(topic=label, topic_key=key, offer=offer, level=level,
                    position=_next_position(user.strengths))
    user.strengths.append(item)
    return item


def add_question(db: Session, user: User, *, text: str, topic: str = "") -> Question:
    errors: dict[str, str] = {}
    text = _text(errors, "text", text, 500, missing=_("Write the question you are working on."))
    label, key = _topic(db, user, errors, topic) if topic.strip() else ("", "")
    if errors:
        raise InvalidInput(errors)
    item = Question(text=text, topic=label, topic_key=key, position=_next_position(user.questions))
    user.questions.append(item)
    return item


def add_learning_goal(db: Session, user: User, *, topic: str, note: str = "") -> LearningGoal:
    errors: dict[str, str] = {}
    label, key = _topic(db, user, errors, topic, user.learning_goals,
                        _("%(topic)s is already one of your learning goals."))
    note = _text(errors, "note", note, 500)
    if errors:
        raise InvalidInput(errors)
    item = LearningGoal(topic=label, topic_key=key, note=note,
                        position=_next_position(user.learning_goals))
    user.learning_goals.append(item)
    return item


def add_boundary(db: Session, user: User, *, topic: str) -> Boundary:
    errors: dict[str, str] = {}
    label, key = _topic(db, user, errors, topic, user.boundaries,
                        _("%(topic)s is already one of your boundaries."))
    if errors:
        raise InvalidInput(errors)
    item = Boundary(topic=label, topic_key=key, position=_next_position(user.boundaries))
    user.boundaries.append(item)
    return item


def check_target_date(errors: dict[str, str], target_date: date | None, today: date) -> None:
    """A goal's "by when": a date after today and within five years (problem in ``errors``)."""
    if target_date is None:
        errors["target_date"] = _("Say by when (a date).")
    elif target_date <= today:
        errors["target_date"] = _("Pick a date after today.")
    elif target_date > today + timedelta(days=5 * 366):
        errors["target_date"] = _("Pick a date within five years.")


def add_success_criterion(
    db: Session, user: User, *, text: str, target_date: date | None, today: date | None = None
) -> SuccessCriterion:
    errors: dict[str, str] = {}
    text = _text(errors, "text", text, 500, missing=_("Say what would make this worthwhile."))
    check_target_date(errors, target_date, today or date.today())
    if errors or target_date is None:
        raise InvalidInput(errors)
    item = SuccessCriterion(text=text, target_date=target_date,
                            position=_next_position(user.success_criteria))
    user.success_criteria.append(item)
    return item


def parse_clock(value: str, field: str) -> int:
    """Minutes after midnight for ``HH:MM`` (``24:00`` allowed as an end).

    >>> parse_clock("09:30", "start")
    570
    """
    try:
        hours, minutes = (int(part) for part in value.strip().split(":"))
    except ValueError as exc:
        raise InvalidInput.field(field, _("Use the form HH:MM, e.g. 09:30.")) from exc
    total = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= total <= 1440):
        raise InvalidInput.field(field, _("Use a time between 00:00 and 24:00."))
    return total


def _clock(errors: dict[str, str], value: str, field: str) -> int:
    try:
        return parse_clock(value, field)
    except InvalidInput as exc:
        errors.update(exc.errors)
        return 0


def add_availability(db: Session, user: User, *, weekday: int, start: str, end: str) -> Availability:
    """Add a weekly window (member's own time zone); overlapping windows are refused."""
    errors: dict[str, str] = {}
    if weekday not in range(7):
        errors["weekday"] = _("Choose a day of the week.")
    start_minute, end_minute = _clock(errors, start, "start"), _clock(errors, end, "end")
    if errors:
        raise InvalidInput(errors)
    if start_minute >= end_minute:
        raise InvalidInput.field("end", _("End after the start."))
    for window in user.availability:
        if window.weekday == weekday and window.start_minute < end_minute and start_minute < window.end_minute:
            raise InvalidInput.field(
                "start", _("Overlaps your %(day)s window %(start)s–%(end)s.", day=DAY_NAMES[weekday],
                           start=format_clock(window.start_minute),
                           end=format_clock(window.end_minute))
            )
    item = Availability(weekday=weekday, start_minute=start_minute, end_minute=end_minute)
    user.availability.append(item)
    return item


def format_clock(minutes: int) -> str:
    """``HH:MM`` for minutes after midnight.

    >>> format_clock(570)
    '09:30'
    """
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def remove_item(db: Session, user: User, kind: str, item_id: int) -> None:
    """Delete one of the user's own profile items; someone else's is simply not found."""
    model = ITEM_KINDS.get(kind)
    item = db.scalar(select(model).where(model.id == item_id, model.user_id == user.id)) if model else None
    if item is None:
        raise NotFound("item")
    db.delete(item)


def visible_member(db: Session, viewer: User, user_id: int) -> User:
    """Another member's profile, for people who share a community with them (or themselves);
    everyone else, and anyone either of the two blocked, is told it was not found."""
    if user_id == viewer.id:
        return viewer
    if blocks.between(db, viewer.id, user_id):
        raise NotFound("member")
    mine, theirs = aliased(Membership), aliased(Membership)
    person = db.scalar(
        select(User)
        .join(theirs, theirs.user_id == User.id)
        .join(mine, mine.community_id == theirs.community_id)
        .where(User.id == user_id, mine.user_id == viewer.id, User.is_active)
        .limit(1)
    )
    if person is None:
        raise NotFound("member")
    return person
