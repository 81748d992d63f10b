"""What the rules leave possible, before solving: how many rounds a cohort can meet only new
people, who is short of new people, and how many top questions any plan could answer."""

from __future__ import annotations

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


def answerable(rules: Constraints, util: Utilities, rows: list[int],
               rounds: int) -> tuple[float, dict[str, int]]:
    """The most top questions a plan of ``rounds`` rounds could answer without anyone meeting
    again: a member whose top topic is a strength of ``g`` people they may meet is answered in
    at most ``min(rounds, g)`` rounds. Returns that share of the askers' rounds, and how many
    askers fall short, by topic label."""
    if not rows or rounds < 1:
        return 1.0, {}
    may = _may_meet(rules, len(util.members), rows)
    members = [util.members[row] for row in rows]
    reach = asked = 0
    short: dict[str, int] = {}
    for k, member in enumerate(members):
        topic = member.top_topic
        if not topic:
            continue
        givers = sum(1 for j in np.flatnonzero(may[k]) if topic in members[j].strengths)
        asked += rounds
        reach += min(rounds, givers)
        if givers < rounds:
            label = member.questions[0][1]
            short[label] = short.get(label, 0) + 1
    return (round(reach / asked, 4) if asked else 1.0), short


def ceiling_note(ceiling: float, short: dict[str, int], rounds: int) -> list[str]:
    """In words: why no plan can answer every top question in every round."""
    if not short:
        return []
    topics = ", ".join(f"{label} ({count})" for label, count
                       in sorted(short.items(), key=lambda item: (-item[1], item[0]))[:5])
    if rounds > 1:
        return [_("With everyone seated, at most %(ceiling)s of top questions can be answered "
                  "in these rounds: %(asking)s members ask about a topic that fewer than "
                  "%(rounds)s people they can meet offer as a strength — %(topics)s.",
                  ceiling=f"{ceiling:.0%}", asking=sum(short.values()), rounds=rounds,
                  topics=topics)]
    return [_("With everyone seated, at most %(ceiling)s of top questions can be answered in "
              "this round: %(asking)s members ask about a topic that nobody they can meet "
              "offers as a strength — %(topics)s.", ceiling=f"{ceiling:.0%}",
              asking=sum(short.values()), topics=topics)]
