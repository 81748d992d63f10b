"""The preview of a run for its facilitator: each round's circles with why they were formed,
the figures beside random and greedy groupings (each explained), the rules the plan breaks
as named exceptions to accept, and who is not placed with what would place them.

Hand edits live in ``circles.formation.edits``, publishing in ``circles.formation.publish``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from circles.communities.rounds import round_offset
from circles.formation.changes import changed_ids, describe_changes
from circles.formation.figures import FIGURE_LABELS
from circles.formation.plan import problem_for, run_utilities
from circles.formation.problem import RULE_WORDS, Break
from circles.formation.reasons import circle_reasons
from circles.formation.report import set_aside_in
from circles.formation.solve import check
from circles.formation.stored import (
    circle_name,
    names_of,
    planned,
    planned_ids,
    published_round,
)
from circles.kept import english
from circles.kept import shown as in_readers
from circles.members.availability import describe_common
from circles.members.meeting_hours import placement_fix
from circles.models import FormationRun, User


@dataclass
class CirclePreview:
    round_no: int
    index: int
    name: str
    member_ids: list[int]
    names: list[str]
    reasons: list[str]
    common_time: str  # longest weekly window all share, e.g. "Tue 17:00–18:00 (UTC)"
    breaks: list[str] = field(default_factory=list)  # rules it breaks, in words


@dataclass
class RunPreview:
    run: FormationRun
    circles: list[CirclePreview]  # the rounds not yet published
    figures: dict[str, Any]
    baseline: dict[str, Any]
    excluded: list[dict[str, Any]]  # {user_id, name, reason}
    notes: list[str]
    published: int = 0  # the last round out as circles (0: none yet)
    total: int = 0  # rounds planned
    changes: str = ""  # what preparing the next round changed, in words
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # {key, text, acceptable}
    greedy: dict[str, Any] = field(default_factory=dict)  # the greedy baseline's figures
    by_round: list[dict[str, Any]] = field(default_factory=list)  # each round's figures

    @property
    def next_round(self) -> int | None:
        if self.run.status in ("discarded", "failed") or self.published >= self.total:
            return None
        return self.published + 1

    def figure_rows(self) -> list[tuple[str, Any, Any]]:
        """(label, this plan, random baseline) per figure, in display order."""
        return [(label, self.figures.get(key), self.baseline.get(key))
                for key, label in FIGURE_LABELS.items()]


def break_words(item: Break, names: dict[int, str], offset: int = 0) -> str:
    """A rule break as a sentence: "Round 1 · Circle 8: its members share no hour a week"
    (the community's round number: the run's plus ``offset``)."""
    where = circle_name(item.round_no, item.circle, offset)
    if item.rule == "window":
        return str(_("%(where)s: %(rule)s.", where=where, rule=RULE_WORDS["window"]))
    former = _("a former member")
    first, second = (names.get(uid, former) for uid in item.members)
    if item.rule == "repeat":
        return str(_("%(where)s: %(name)s and %(other)s already shared a circle and would meet "
                     "again.", where=where, name=first, other=second))
    return str(_("%(where)s: %(name)s and %(other)s must not share a circle (separated by a "
                 "facilitator, or one called it a day in a circle with the other).", where=where,
                 name=first, other=second))


def current_breaks(db: Session, run: FormationRun, rounds: list[list[list[int]]],
                   done: int) -> list[Break]:
    """The rules the rounds still to publish break now, checked against the community as it
    is (a separation, an ended circle or new hours since the plan was made count)."""
    ids = planned_ids(rounds[done:])
    if not ids:
        return []
    return check(problem_for(db, run, ids, exclude=False), rounds[done:], first_round=done + 1)


def exceptions(run: FormationRun, breaks: list[Break], names: dict[int, str],
               offset: int = 0) -> list[dict[str, Any]]:
    """Rule breaks as exceptions the facilitator may accept before publishing (a pair that
    must be kept apart never may); repeats are accepted already when the run was started
    with "let people meet again"."""
    allow = bool(run.params.get("allow_repeats"))
    return [{"key": b.key, "text": break_words(b, names, offset), "acceptable": b.acceptable,
             "round": b.round_no, "accepted": allow and b.rule == "repeat"} for b in breaks]


def preview(db: Session, run: FormationRun, zone: str = "UTC") -> RunPreview:
    """Every circle still to publish with why it was formed, and the figures beside the
    baseline; weekly hours are told in ``zone`` (the reader's)."""
    rounds = planned(run)
    done = published_round(db, run)
    ids = planned_ids(rounds[done:])
    breaks = current_breaks(db, run, rounds, done)
    names = names_of(db, set(ids) | {uid for b in breaks for uid in b.members}
                     | {row["user_id"] for row in run.excluded})
    offset = round_offset(db, run)
    circles = _circles(db, run, rounds, done, ids, breaks, names, zone, offset)
    changes = run.figures.get("changes") or {}
    if changes.get("round") != done + 1:
        changes = {}
    names.update(names_of(db, changed_ids(changes) - set(names)))
    shown = [row for r in range(done + 1, len(rounds) + 1) for row in set_aside_in(run, r)
             if "round" in row] + list(run.excluded)
    names.update(names_of(db, {row["user_id"] for row in shown} - set(names)))
    excluded = [{**row, "name": names.get(row["user_id"], _("A former member")),
                 "reason": in_readers(row["reason"]), "fix": _fix(db, run, row)}
                for row in shown]
    return RunPreview(run, circles, run.figures.get("plan", {}), run.figures.get("baseline", {}),
                      excluded, [in_readers(note) for note in run.figures.get("notes", [])],
                      done, len(rounds),
                      describe_changes(changes, names),
                      exceptions(run, breaks, names, offset),
                      run.figures.get("greedy", {}), list(run.figures.get("rounds", [])))


def _fix(db: Session, run: FormationRun, row: dict[str, Any]) -> str:
    """What would place this member next time, as they will be told it."""
    user = db.get(User, row["user_id"])
    return placement_fix(db, run.community_id, user, english(row["reason"])) if user else ""


def _circles(db: Session, run: FormationRun, rounds: list[list[list[int]]], done: int,
             ids: list[int], breaks: list[Break], names: dict[int, str],
             zone: str, offset: int) -> list[CirclePreview]:
    if not ids:
        return []
    _, util = run_utilities(db, run, ids)
    broken: dict[tuple[int, int], list[str]] = {}
    for item in breaks:
        broken.setdefault((item.round_no, item.circle), []).append(
            break_words(item, names, offset))
    return [
        CirclePreview(round_no, index, circle_name(round_no, index, offset), circle,
                      [util.members[util.index[uid]].name for uid in circle],
                      circle_reasons(circle, util),
                      describe_common((util.members[util.index[uid]].mask for uid in circle),
                                      zone),
                      broken.get((round_no, index), []))
        for round_no, plan in enumerate(rounds[done:], start=done + 1)
        for index, circle in enumerate(plan)
    ]


def changes_line(db: Session, changes: dict[str, Any]) -> str:
    """``describe_changes`` with the members' names looked up."""
    return describe_changes(changes, names_of(db, changed_ids(changes)))
