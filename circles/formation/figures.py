"""What a plan achieves, in figures and in words, beside a random grouping of the same sizes."""

from __future__ import annotations

import itertools
import random
from typing import Any

from circles.formation.pair_utility import MemberFacts, Utilities
from circles.members.availability import always, meeting_starts

Rounds = list[list[list[int]]]  # round -> circle -> user ids
FIGURES = ("new_tie_ratio", "complementarity_coverage", "questions_answered", "mean_departments",
           "repeated_pairs", "members_without_new_tie", "circles_without_shared_hour")
ANSWERS_SHOWN = 2
COUNTS = ("pairs", "new", "repeated", "asked", "answered", "needs", "met_needs", "departments",
          "circles", "members", "no_new_tie", "no_hour")


def round_counts(circles: list[list[int]], util: Utilities,
                 planned: set[frozenset[int]]) -> dict[str, int]:
    """What one round achieves, as counts (``planned``: pairs met in earlier rounds of the
    plan; ``util.met`` and ``util.shared_circle`` already count what happened before it)."""
    counts = dict.fromkeys(COUNTS, 0)
    for circle in circles:
        members = [util.members[util.index[uid]] for uid in circle]
        counts["circles"] += 1
        counts["departments"] += len({m.department_key for m in members if m.department})
        new_for: set[int] = set()
        for a, b in itertools.combinations(circle, 2):
            i, j, pair = util.index[a], util.index[b], frozenset((a, b))
            counts["pairs"] += 1
            if util.met[i, j] == 0 and pair not in planned:
                counts["new"] += 1
                new_for |= {a, b}
            counts["repeated"] += bool(util.shared_circle[i, j]) or pair in planned
        counts["members"] += len(circle)
        counts["no_new_tie"] += len(circle) - len(new_for)
        counts["no_hour"] += not shares_an_hour(members)
        for member in members:
            given = {key for mate in members if mate is not member for key in mate.strengths}
            if member.top_topic:
                counts["asked"] += 1
                counts["answered"] += member.top_topic in given
            counts["needs"] += len(member.needs)
            counts["met_needs"] += len(member.needs & given)
    return counts


def shares_an_hour(members: list[MemberFacts]) -> bool:
    """Whether the members share an hour a week (those who gave no hours are free)."""
    starts = always()
    for member in members:
        if member.has_availability:
            starts = starts & meeting_starts(member.mask)
    return bool(starts.any())


def from_counts(counts: dict[str, int]) -> dict[str, Any]:
    """The figures of a round or of a plan (sum the rounds' counts first).

    - ``new_tie_ratio``: share of within-circle pairs with no tie who had not met before
      (in an earlier circle or an earlier round of this plan);
    - ``complementarity_coverage``: share of members whose top (first) question has a topic
      that is a strength of a circle-mate (members whose top question has no topic are left
      out of the denominator);
    - ``questions_answered``: the same for every question and learning goal with a topic;
    - ``mean_departments``: distinct departments per circle, averaged;
    - ``repeated_pairs``: within-circle pairs who already shared a circle, or met in an
      earlier round of this plan;
    - ``members_without_new_tie``: members whose circle holds nobody new to them;
    - ``circles_without_shared_hour``: circles whose members share no hour a week.
    """
    def share(part: str, whole: str) -> float:
        return round(counts[part] / counts[whole], 4) if counts[whole] else 0.0

    return {
        "new_tie_ratio": share("new", "pairs"),
        "complementarity_coverage": share("answered", "asked"),
        "questions_answered": share("met_needs", "needs"),
        "mean_departments": round(counts["departments"] / counts["circles"], 2)
        if counts["circles"] else 0.0,
        "repeated_pairs": counts["repeated"],
        "members_without_new_tie": counts["no_new_tie"],
        "circles_without_shared_hour": counts["no_hour"],
    }


def counts_by_round(rounds: Rounds, util: Utilities) -> list[dict[str, int]]:
    """Each round's counts; pairs of earlier rounds in ``rounds`` count as met."""
    planned: set[frozenset[int]] = set()
    found = []
    for circles in rounds:
        found.append(round_counts(circles, util, planned))
        planned |= {frozenset(p) for c in circles for p in itertools.combinations(c, 2)}
    return found


def total(rows: list[dict[str, int]]) -> dict[str, int]:
    return {key: sum(row[key] for row in rows) for key in COUNTS}


def random_rounds(rounds: Rounds, *, seed: int | None) -> Rounds:
    """The baseline: each round's members shuffled (seeded) into circles of the same sizes."""
    rng = random.Random(seed)
    baseline: Rounds = []
    for circles in rounds:
        pool = [uid for circle in circles for uid in circle]
        rng.shuffle(pool)
        cut = list(itertools.accumulate(len(c) for c in circles))
        baseline.append([pool[a:b] for a, b in zip([0, *cut[:-1]], cut, strict=True)])
    return baseline


def _names(members: list[MemberFacts]) -> dict[int, str]:
    """First names, or full names where two in the circle share a first name."""
    firsts = [m.first_name for m in members]
    return {m.id: m.first_name if firsts.count(m.first_name) == 1 else m.name for m in members}


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


def circle_reasons(circle: list[int], util: Utilities) -> list[str]:
    """Why this circle, in words: new ties, whose strength answers whose question, spread."""
    members = [util.members[util.index[uid]] for uid in circle]
    names = _names(members)
    reasons: list[str] = []
    idx = [util.index[uid] for uid in circle]
    new = sum(util.met[i, j] == 0 for i, j in itertools.combinations(idx, 2))
    reasons.append(f"{new} new tie{'s' if new != 1 else ''}")
    if new < len(idx) * (len(idx) - 1) // 2:
        known = len(idx) * (len(idx) - 1) // 2 - new
        reasons.append(f"{known} pair{'s' if known != 1 else ''} already know each other")
    reasons.extend(_answers(members, names))
    departments = len({m.department_key for m in members if m.department})
    organisations = len({m.organisation for m in members if m.organisation})
    spread = [f"{departments} department{'s' if departments != 1 else ''}"] if departments else []
    if organisations:
        spread.append(f"{organisations} organisation{'s' if organisations != 1 else ''}")
    if spread:
        reasons.append(" · ".join(spread))
    return reasons


def _answers(members: list[MemberFacts], names: dict[int, str]) -> list[str]:
    """Top questions answered first, then other questions, then learning goals."""
    found: list[str] = []
    for asker in members:
        for key, label, text in asker.questions:
            giver = next((m for m in members if m is not asker and key and key in m.strengths), None)
            if giver is not None:
                found.append(f"{names[giver.id]}'s strength in {giver.strengths[key]} answers "
                             f"{names[asker.id]}'s question {_quote(text)}")
                break
        if len(found) == ANSWERS_SHOWN:
            return found
    for asker in members:
        for key, label in asker.goals.items():
            giver = next((m for m in members if m is not asker and key in m.strengths), None)
            if giver is not None and len(found) < ANSWERS_SHOWN:
                found.append(f"{names[giver.id]}'s strength in {giver.strengths[key]} meets "
                             f"{names[asker.id]}'s learning goal {label}")
                break
    return found
