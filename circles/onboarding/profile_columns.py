"""The profile columns of a members CSV, cell by cell: strengths, questions, learning goals,
weekly availability and time zone, each read into plain values or a problem in words.

Cells hold several entries separated by ``;`` (questions by ``|``, since a question may
itself hold a semicolon):

- strengths, learning goals: ``Public speaking; Negotiation``
- questions: ``Negotiation: How do I ask for a raise? | How do I say no?`` — the part before
  the first ``:`` is the topic when it is short (up to 80 characters), else it is all text;
- availability: ``Tue-Thu 12:00-13:30; Fri 09:00-10:00`` in the member's own time zone;
- time zone: an IANA name such as ``Europe/London`` (empty: UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from circles.errors import InvalidInput
from circles.members.profiles import DAY_NAMES, WEEKDAYS, check_timezone
from circles.members.topics import MAX_TOPIC, tidy_label

PROFILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "strengths": ("strengths", "strength", "can help with", "offers", "skills"),
    "questions": ("questions", "question", "current questions", "working on"),
    "learning_goals": ("learning goals", "learning goal", "goals", "wants to learn"),
    "availability": ("availability", "weekly availability", "free", "free at", "hours"),
    "timezone": ("timezone", "time zone", "tz", "zone"),
}
MAX_ITEMS = 12
MAX_QUESTION = 500
_DAYS = {name[:3].casefold(): index for index, name in enumerate(WEEKDAYS)}
_WINDOW = re.compile(r"^(?P<days>[A-Za-z]+(?:\s*[-–]\s*[A-Za-z]+)?)\s+"
                     r"(?P<start>\d{1,2}[:.]\d{2})\s*[-–]\s*(?P<end>\d{1,2}[:.]\d{2})$")


@dataclass
class ProfileCells:
    """What the profile columns of one row hold, read into plain values."""

    strengths: list[str] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)  # (topic, text)
    learning_goals: list[str] = field(default_factory=list)
    windows: list[tuple[int, int, int]] = field(default_factory=list)  # weekday, start, end
    timezone: str = "UTC"

    @property
    def empty(self) -> bool:
        return not (self.strengths or self.questions or self.learning_goals or self.windows)


def _entries(cell: str, separator: str) -> list[str]:
    return [part.strip() for part in cell.split(separator) if part.strip()]


def _topics(cell: str, column: str, problems: dict[str, str]) -> list[str]:
    labels: list[str] = []
    for entry in _entries(cell, ";"):
        try:
            label = tidy_label(entry, field=column)
        except InvalidInput as exc:
            problems[column] = f"'{entry}': {next(iter(exc.errors.values()))}"
            continue
        if label.casefold() not in {known.casefold() for known in labels}:
            labels.append(label)
    if len(labels) > MAX_ITEMS:
        problems[column] = ngettext("%(count)s entry; give at most %(max)s",
                                     "%(count)s entries; give at most %(max)s", len(labels),
                                     count=len(labels), max=MAX_ITEMS)
    return labels


def _questions(cell: str, problems: dict[str, str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for entry in _entries(cell, "|"):
        topic, _colon, text = entry.partition(":")
        if not text.strip() or len(topic.strip()) > MAX_TOPIC:
            topic, text = "", entry
        if len(text.strip()) > MAX_QUESTION:
            problems["questions"] = _("a question of %(length)s characters is too long (at "
                                       "most %(max)s)", length=len(text.strip()),
                                       max=MAX_QUESTION)
        found.append((topic.strip(), text.strip()))
    if len(found) > MAX_ITEMS:
        problems["questions"] = ngettext("%(count)s question; give at most %(max)s",
                                          "%(count)s questions; give at most %(max)s",
                                          len(found), count=len(found), max=MAX_ITEMS)
    return found


def _minutes(clock: str) -> int | None:
    hours, minutes = (int(part) for part in re.split(r"[:.]", clock))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _days(text: str) -> list[int] | None:
    names = [part.strip()[:3].casefold() for part in re.split(r"[-–]", text)]
    if any(name not in _DAYS for name in names):
        return None
    first, last = _DAYS[names[0]], _DAYS[names[-1]]
    return list(range(first, last + 1)) if last >= first else None


def _windows(cell: str, problems: dict[str, str]) -> list[tuple[int, int, int]]:
    windows: list[tuple[int, int, int]] = []
    for entry in _entries(cell, ";"):
        match = _WINDOW.match(entry)
        days = _days(match["days"]) if match else None
        start = _minutes(match["start"]) if match else None
        end = _minutes(match["end"]) if match else None
        if match is None or days is None or start is None or end is None:
            problems["availability"] = _("'%(entry)s' is not a weekly window like "
                                          "'Tue 12:00-13:30' or 'Mon-Fri 09:00-10:00'",
                                          entry=entry)
            continue
        if start >= end:
            problems["availability"] = _("'%(entry)s' ends before it starts", entry=entry)
            continue
        windows.extend((day, start, end) for day in days)
    taken: dict[int, list[tuple[int, int]]] = {}
    for day, start, end in windows:
        if any(start < b and a < end for a, b in taken.get(day, [])):
            problems["availability"] = _("two windows overlap on %(day)s", day=DAY_NAMES[day])
        taken.setdefault(day, []).append((start, end))
    return windows


def read_profile(cells: dict[str, str]) -> tuple[ProfileCells, dict[str, str]]:
    """The profile columns of one row (column name → cell), and a problem per column."""
    problems: dict[str, str] = {}
    profile = ProfileCells(
        strengths=_topics(cells.get("strengths", ""), "strengths", problems),
        questions=_questions(cells.get("questions", ""), problems),
        learning_goals=_topics(cells.get("learning_goals", ""), "learning_goals", problems),
        windows=_windows(cells.get("availability", ""), problems),
    )
    zone = cells.get("timezone", "").strip()
    if zone:
        try:
            check_timezone(zone)
            profile.timezone = zone
        except InvalidInput:
            problems["timezone"] = _("'%(zone)s' is not a time zone; use a name like "
                                      "'Europe/London' or 'America/New_York'", zone=zone)
    return profile, problems
