"""A formation run after solving: what the facilitator sees before publishing — every circle
still to publish with why it was formed and any rule it breaks, the figures per round and for
the whole plan beside a random and a greedy grouping, and who could not be placed.

Round 1 is published from the draft. After round k is out, round k+1 stays planned on the run.
Which rounds are out is read from the circles themselves (``Circle.formation_run_id``,
``Circle.round_no``). Hand edits live in ``circles.formation.edits``, publishing in
``circles.formation.publish``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.formation.figures import circle_reasons
from circles.formation.repair import changed_ids, describe_changes
from circles.formation.runs import problem_for, run_utilities, set_aside_in
from circles.formation.solve import RULE_WORDS, Break, check
from circles.members.availability import describe_common
from circles.members.meeting_hours import placement_fix
from circles.models import Circle, FormationRun, User

#: Figures in the order shown, with what each one means (the page explains every figure).
FIGURE_LABELS = {
    "new_tie_ratio": "New-tie ratio",
    "complementarity_coverage": "Complementarity coverage",
    "questions_answered": "Questions and goals answered",
    "mean_departments": "Departments per circle",
    "repeated_pairs": "Repeated pairs",
    "members_without_new_tie": "Members without a new tie",
    "circles_without_shared_hour": "Circles without a shared hour",
}
FIGURE_MEANINGS = {
    "new_tie_ratio": "Share of pairs in a circle who had never met (no tie, no earlier circle, "
                     "not in an earlier round of this plan).",
    "complementarity_coverage": "Share of members whose top question a circle-mate's strength "
                                "answers.",
    "questions_answered": "Share of all questions and learning goals with a topic that a "
                          "circle-mate's strength answers.",
    "mean_departments": "Distinct departments in a circle, on average.",
    "repeated_pairs": "Pairs who already shared a circle, or meet in two rounds of this plan.",
    "members_without_new_tie": "Members whose circle holds nobody new to them.",
    "circles_without_shared_hour": "Circles whose members share no hour a week.",
}


def circle_name(round_no: int, index: int) -> str:
    return f"Round {round_no} · Circle {index + 1}"


@dataclass
class CirclePreview:
    round_no: int
    index: int
    name: str
    member_ids: list[int]
    names: list[str]
    reasons: list[str]
    common_time: str  # longest weekly window all share, e.g. "Tue 17:00–18:00 UTC"
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


def planned(run: FormationRun) -> list[list[list[int]]]:
    """A copy of the run's plan, round by round (refuses a run with no plan yet)."""
    rounds = (run.plan or {}).get("rounds")
    if not rounds:
        raise Conflict("This run has no plan yet: run formation first.")
    return copy.deepcopy(rounds)


def planned_ids(rounds: list[list[list[int]]]) -> list[int]:
    return sorted({uid for circles in rounds for circle in circles for uid in circle})


def published_round(db: Session, run: FormationRun) -> int:
    """The last round of ``run`` published as circles (0 when none is)."""
    return db.scalar(select(func.max(Circle.round_no))
                     .where(Circle.formation_run_id == run.id)) or 0


def next_round(db: Session, run: FormationRun) -> int | None:
    """The round ``publish`` would create: 1 for a draft, k+1 once round k is out, None when
    every planned round is out, or the run was discarded or failed."""
    if run.status in ("discarded", "failed"):
        return None
    if run.status == "draft":
        return 1
    upcoming = published_round(db, run) + 1
    return upcoming if upcoming <= len((run.plan or {}).get("rounds") or []) else None


def names_of(db: Session, ids: list[int] | set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {uid: name for uid, name in db.execute(
        select(User.id, User.display_name).where(User.id.in_(sorted(ids))))}


def break_words(item: Break, names: dict[int, str]) -> str:
    """A rule break as a sentence: "Round 1 · Circle 8: its members share no hour a week"."""
    where = circle_name(item.round_no, item.circle)
    if item.rule == "window":
        return f"{where}: {RULE_WORDS['window']}."
    who = " and ".join(names.get(uid, "a former member") for uid in item.members)
    if item.rule == "repeat":
        return f"{where}: {who} already shared a circle and would meet again."
    return (f"{where}: {who} must not share a circle (separated by a facilitator, or one "
            "called it a day in a circle with the other).")


def stored_breaks(run: FormationRun) -> list[Break]:
    return [Break.from_dict(row) for row in (run.figures or {}).get("breaks", [])]


def current_breaks(db: Session, run: FormationRun, rounds: list[list[list[int]]],
                   done: int) -> list[Break]:
    """The rules the rounds still to publish break now, checked against the community as it
    is (a separation, an ended circle or new hours since the plan was made count)."""
    ids = planned_ids(rounds[done:])
    if not ids:
        return []
    return check(problem_for(db, run, ids, exclude=False), rounds[done:], first_round=done + 1)


def exceptions(run: FormationRun, breaks: list[Break],
               names: dict[int, str]) -> list[dict[str, Any]]:
    """Rule breaks as exceptions the facilitator may accept before publishing (a pair that
    must be kept apart never may); repeats are accepted already when the run was started
    with "let people meet again"."""
    allow = bool(run.params.get("allow_repeats"))
    return [{"key": b.key, "text": break_words(b, names), "acceptable": b.acceptable,
             "round": b.round_no, "accepted": allow and b.rule == "repeat"} for b in breaks]


def preview(db: Session, run: FormationRun) -> RunPreview:
    """Every circle still to publish with why it was formed, and the figures beside the baseline."""
    rounds = planned(run)
    done = published_round(db, run)
    ids = planned_ids(rounds[done:])
    breaks = current_breaks(db, run, rounds, done)
    names = names_of(db, set(ids) | {uid for b in breaks for uid in b.members}
                     | {row["user_id"] for row in run.excluded})
    circles = _circles(db, run, rounds, done, ids, breaks, names)
    changes = run.figures.get("changes") or {}
    if changes.get("round") != done + 1:
        changes = {}
    names.update(names_of(db, changed_ids(changes) - set(names)))
    shown = [row for r in range(done + 1, len(rounds) + 1) for row in set_aside_in(run, r)
             if "round" in row] + list(run.excluded)
    names.update(names_of(db, {row["user_id"] for row in shown} - set(names)))
    excluded = [{**row, "name": names.get(row["user_id"], "A former member"),
                 "fix": _fix(db, run, row)} for row in shown]
    return RunPreview(run, circles, run.figures.get("plan", {}), run.figures.get("baseline", {}),
                      excluded, list(run.figures.get("notes", [])), done, len(rounds),
                      describe_changes(changes, names),
                      exceptions(run, breaks, names),
                      run.figures.get("greedy", {}), list(run.figures.get("rounds", [])))


def _fix(db: Session, run: FormationRun, row: dict[str, Any]) -> str:
    """What would place this member next time, as they will be told it."""
    user = db.get(User, row["user_id"])
    return placement_fix(db, run.community_id, user, row["reason"]) if user else ""


def _circles(db: Session, run: FormationRun, rounds: list[list[list[int]]], done: int,
             ids: list[int], breaks: list[Break], names: dict[int, str]) -> list[CirclePreview]:
    if not ids:
        return []
    _, util = run_utilities(db, run, ids)
    broken: dict[tuple[int, int], list[str]] = {}
    for item in breaks:
        broken.setdefault((item.round_no, item.circle), []).append(break_words(item, names))
    return [
        CirclePreview(round_no, index, circle_name(round_no, index), circle,
                      [util.members[util.index[uid]].name for uid in circle],
                      circle_reasons(circle, util),
                      describe_common(util.members[util.index[uid]].mask for uid in circle),
                      broken.get((round_no, index), []))
        for round_no, plan in enumerate(rounds[done:], start=done + 1)
        for index, circle in enumerate(plan)
    ]


def editable(db: Session, run_id: int) -> tuple[FormationRun, int]:
    """The run and the first round hand edits may change: any of a draft's, or the rounds
    after the last one published."""
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    upcoming = next_round(db, run)
    if upcoming is None:
        raise Conflict(f"This formation run is {run.status}: nothing is left to change."
                       if run.status in ("discarded", "failed")
                       else "Every round of this plan is published: nothing is left to change.")
    return run, upcoming


def changes_line(db: Session, changes: dict[str, Any]) -> str:
    """``describe_changes`` with the members' names looked up."""
    return describe_changes(changes, names_of(db, changed_ids(changes)))
