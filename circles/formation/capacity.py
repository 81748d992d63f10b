"""What the rules leave possible, before solving: how many rounds a cohort can meet only new
people, who is short of new people, and how many top questions any plan could answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _

from circles.formation.constraints import Constraints, pair_codes
from circles.formation.pair_utility import Utilities


def _may_meet(rules: Constraints, n: int, rows: list[int]) -> np.ndarray:
    """Rows × rows (of ``rows``): True where two members may still share a circle."""
    may = pair_codes(rules, n) == 0
    for a, b in rules.met:
        may[a, b] = may[b, a] = False
    sub: np.ndarray = may[np.ix_(rows, rows)]
    np.fill_diagonal(sub, False)
    return sub


def cohort_rounds(rules: Constraints, n: int, rows: list[int], smallest: int) -> int:
    """How many rounds the cohort could meet only new people in circles of at least
    ``smallest``: each round takes ``smallest - 1`` new people from everyone a member may
    still meet; the bound is the count of the member at the first quartile (members below it
    are named separately by ``short_of_new_people``).

    >>> rules = Constraints()
    >>> cohort_rounds(rules, 60, list(range(60)), 6)
    11
    """
    if smallest < 2 or len(rows) < 2:
        return 0
    allowed = _may_meet(rules, n, rows).sum(axis=1)
    return int(np.percentile(allowed, 25)) // (smallest - 1)


def short_of_new_people(rules: Constraints, n: int, rows: list[int], smallest: int,
                        rounds: int) -> dict[int, int]:
    """Rows who cannot meet only new people in every one of ``rounds`` rounds (too few
    people they share an hour with and have not met), with how many rounds they can."""
    if smallest < 2 or len(rows) < 2:
        return {}
    allowed = _may_meet(rules, n, rows).sum(axis=1)
    return {rows[k]: int(c) // (smallest - 1) for k, c in enumerate(allowed)
            if int(c) // (smallest - 1) < rounds}


@dataclass(frozen=True)
class Ceiling:
    """How many top questions any plan could answer without anyone meeting again."""

    plan: float  # share of the askers' rounds over the whole plan
    round: float  # share of the askers in any one round
    short: dict[str, int] = field(default_factory=dict)  # askers with too few givers, by topic
    nobody: dict[str, int] = field(default_factory=dict)  # askers with no giver, by topic


def answerable(rules: Constraints, util: Utilities, rows: list[int], rounds: int) -> Ceiling:
    """The most top questions a plan of ``rounds`` rounds could answer without anyone meeting
    again: a member whose top topic is a strength of ``g`` people they may meet (who share an
    hour with them and have not met them) is answered in at most ``min(rounds, g)`` rounds,
    and in no round when ``g`` is 0. The askers who fall short are counted by topic label."""
    if not rows or rounds < 1:
        return Ceiling(1.0, 1.0)
    may = _may_meet(rules, len(util.members), rows)
    members = [util.members[row] for row in rows]
    reach = asked = answerable_ever = 0
    short: dict[str, int] = {}
    nobody: dict[str, int] = {}
    for k, member in enumerate(members):
        topic = member.top_topic
        if not topic:
            continue
        givers = sum(1 for j in np.flatnonzero(may[k]) if topic in members[j].strengths)
        asked += 1
        reach += min(rounds, givers)
        answerable_ever += givers > 0
        label = member.questions[0][1]
        if givers < rounds:
            short[label] = short.get(label, 0) + 1
        if givers == 0:
            nobody[label] = nobody.get(label, 0) + 1
    if not asked:
        return Ceiling(1.0, 1.0)
    return Ceiling(round(reach / (asked * rounds), 4), round(answerable_ever / asked, 4),
                   short, nobody)


def _by_topic(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} ({count})" for label, count
                     in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5])


def ceiling_note(ceiling: Ceiling, rounds: int) -> list[str]:
    """In words: why no plan can answer every top question in every round, and (over
    several rounds) why not even in one."""
    notes: list[str] = []
    if ceiling.short and rounds > 1:
        notes.append(_("With everyone seated, at most %(ceiling)s of top questions can be "
                       "answered in these rounds: %(asking)s members ask about a topic that "
                       "fewer than %(rounds)s people they can meet offer as a strength — "
                       "%(topics)s.", ceiling=f"{ceiling.plan:.0%}",
                       asking=sum(ceiling.short.values()), rounds=rounds,
                       topics=_by_topic(ceiling.short)))
    if ceiling.nobody and rounds > 1:
        notes.append(_("In any one round, at most %(ceiling)s of top questions can be "
                       "answered: %(asking)s members ask about a topic that nobody they can "
                       "meet offers as a strength — %(topics)s.", ceiling=f"{ceiling.round:.0%}",
                       asking=sum(ceiling.nobody.values()), topics=_by_topic(ceiling.nobody)))
    if ceiling.short and rounds == 1:
        notes.append(_("With everyone seated, at most %(ceiling)s of top questions can be "
                       "answered in this round: %(asking)s members ask about a topic that "
                       "nobody they can meet offers as a strength — %(topics)s.",
                       ceiling=f"{ceiling.plan:.0%}", asking=sum(ceiling.short.values()),
                       topics=_by_topic(ceiling.short)))
    return notes
