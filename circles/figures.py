"""What a plan achieves, in figures and in words, beside a random grouping of the same sizes."""

from __future__ import annotations

import itertools
import random
from typing import Any

from circles.utility import MemberFacts, Utilities

Rounds = list[list[list[int]]]  # round -> circle -> user ids
FIGURES = ("new_tie_ratio", "complementarity_coverage", "mean_departments", "repeated_pairs")
ANSWERS_SHOWN = 2


def plan_figures(rounds: Rounds, util: Utilities) -> dict[str, Any]:
    """The four figures of a plan over all its rounds.

    - ``new_tie_ratio``: share of within-circle pairs with no tie who had not met before
      (in an earlier circle or an earlier round of this plan);
    - ``complementarity_coverage``: share of placements whose member's top (first) question
      has a topic that is a strength of a circle-mate (members whose top question has no
      topic are left out of the denominator);
    - ``mean_departments``: distinct departments per circle, averaged;
    - ``repeated_pairs``: within-circle pairs who already shared a circle before, or in an
      earlier round of this plan.
    """
    pairs = new = repeated = asked = answered = 0
    departments: list[int] = []
    planned: set[frozenset[int]] = set()
    for circles in rounds:
        this_round: set[frozenset[int]] = set()
        for circle in circles:
            members = [util.members[util.index[uid]] for uid in circle]
            departments.append(len({m.department_key for m in members if m.department}))
            for a, b in itertools.combinations(circle, 2):
                i, j, pair = util.index[a], util.index[b], frozenset((a, b))
                pairs += 1
                new += util.met[i, j] == 0 and pair not in planned
                repeated += bool(util.shared_circle[i, j]) or pair in planned
                this_round.add(pair)
            for member in members:
                if member.top_topic:
                    asked += 1
                    answered += any(member.top_topic in mate.strengths
                                    for mate in members if mate is not member)
        planned |= this_round
    return {
        "new_tie_ratio": round(new / pairs, 4) if pairs else 0.0,
        "complementarity_coverage": round(answered / asked, 4) if asked else 0.0,
        "mean_departments": round(sum(departments) / len(departments), 2) if departments else 0.0,
        "repeated_pairs": repeated,
    }


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
