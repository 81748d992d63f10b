"""Why a circle was formed, in words for its facilitator: new ties, whose strength answers
whose question, and how far it spreads across departments and organisations."""

from __future__ import annotations

import itertools

from flask_babel import gettext as _
from flask_babel import ngettext

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
    new = int(sum(util.met[i, j] == 0 for i, j in itertools.combinations(idx, 2)))
    reasons.append(ngettext("%(num)d new tie", "%(num)d new ties", new))
    if new < len(idx) * (len(idx) - 1) // 2:
        known = len(idx) * (len(idx) - 1) // 2 - new
        reasons.append(ngettext("%(num)d pair already know each other",
                                "%(num)d pairs already know each other", known))
    reasons.extend(_answers(members, names))
    departments = len({m.department_key for m in members if m.department})
    organisations = len({m.organisation for m in members if m.organisation})
    spread = [ngettext("%(num)d department", "%(num)d departments", departments)] \
        if departments else []
    if organisations:
        spread.append(ngettext("%(num)d organisation", "%(num)d organisations", organisations))
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
                found.append(_("%(giver)s's strength in %(topic)s answers %(asker)s's question "
                               "%(question)s", giver=names[giver.id], topic=giver.strengths[key],
                               asker=names[asker.id], question=_quote(text)))
                break
        if len(found) == ANSWERS_SHOWN:
            return found
    for asker in members:
        for key, label in asker.goals.items():
            giver = next((m for m in members if m is not asker and key in m.strengths), None)
            if giver is not None and len(found) < ANSWERS_SHOWN:
                found.append(_("%(giver)s's strength in %(topic)s meets %(asker)s's learning "
                               "goal %(goal)s", giver=names[giver.id], topic=giver.strengths[key],
                               asker=names[asker.id], goal=label))
                break
    return found
