"""Why a circle was formed, in words for its facilitator: new ties, whose strength answers
whose question, and how far it spreads across departments and organisations."""

from __future__ import annotations

import itertools

from circles.formation.facts import MemberFacts
from circles.formation.pair_utility import Utilities

ANSWERS_SHOWN = 2


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
