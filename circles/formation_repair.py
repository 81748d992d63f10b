"""Repairing a planned round before it is published: who left, who joined, who must be
moved away from someone, and regrouping with ``graph.repair`` so that the planned circles
survive where they can; and what changed, in words for the facilitator.

``circles.formation_runs.prepare_next_round`` reads the community and stores the result;
the functions here take plain values (user ids, the utilities and the constraints).
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np

from circles.errors import Conflict
from circles.formation import bounds_for
from circles.formation_constraints import Constraints
from circles.utility import Utilities
from graph.errors import FormationError
from graph.repair import repair

CHANGE_WORDS = (("left", "left"), ("joined", "joined"),
                ("ended", "called it a day and will be placed again"),
                ("moved", "moved away from someone they must not sit with"),
                ("set_aside", "cannot be placed now (see Not placed)"))


def changed_ids(changes: dict[str, Any]) -> set[int]:
    return {uid for key, _ in CHANGE_WORDS for uid in changes.get(key, [])}


def describe_changes(changes: dict[str, Any], names: dict[int, str]) -> str:
    """What preparing a round changed, as a line: "Ana left · Ben joined · 4 circles as
    planned, 1 regrouped" ("" when the round was not prepared)."""
    if not changes:
        return ""
    parts = [f"{', '.join(names.get(uid, 'A former member') for uid in changes[key])} {words}"
             for key, words in CHANGE_WORDS if changes.get(key)]
    kept, regrouped = changes.get("kept", 0), changes.get("regrouped", 0)
    if not parts:
        return f"Nobody joined or left: all {kept} circles as planned"
    circles = "1 circle" if kept == 1 else f"{kept} circles"
    return " · ".join([*parts, f"{circles} as planned, {regrouped} regrouped"])


def _hard(rules: Constraints) -> set[tuple[int, int]]:
    """Pairs that must never share a circle (availability can be softened, these cannot)."""
    return {pair for pair, cause in rules.causes.items() if cause != "time"}


def take_apart(circles: list[list[int]], rules: Constraints, index: dict[int, int]) -> list[int]:
    """Take members out of planned circles (in place) until none holds a pair that must be
    kept apart, the one in most such pairs first; answer who was taken out."""
    hard, moved = _hard(rules), []
    for circle in circles:
        while clashes := Counter(uid for a, b in itertools.combinations(circle, 2)
                                 if tuple(sorted((index[a], index[b]))) in hard for uid in (a, b)):
            worst = max(circle, key=lambda uid: (clashes[uid], uid))
            circle.remove(worst)
            moved.append(worst)
    return sorted(moved)


def regroup(previous: list[list[int]], here: list[int], matrix: np.ndarray, util: Utilities,
             rules: Constraints, params: dict[str, Any], round_no: int,
             time_limit: float) -> list[list[int]]:
    """``graph.repair`` on the utilities' rows; if availability leaves no way, shared time
    becomes a strong preference (as when the run was first solved). Circles come back in
    the order of the planned circles they keep."""
    rows = [util.index[uid] for uid in here]
    old = [[util.index[uid] for uid in circle] for circle in previous if circle]
    try:
        bounds = bounds_for(len(rows), params["min_size"], params["max_size"])
    except FormationError as exc:
        raise Conflict(f"Round {round_no} cannot be formed now: {exc}.") from exc
    options: dict[str, Any] = {"time_limit": time_limit, "seed": params.get("seed", 0)}
    soft = rules.forbidden - _hard(rules)
    try:
        groups = repair(old, rows, matrix, bounds, forbidden=rules.forbidden, **options).groups
    except FormationError as exc:
        if not soft:
            raise Conflict(f"Separations and ended circles leave no way to form round {round_no} "
                           "in circles of these sizes.") from exc
        penalised = matrix.copy()
        penalty = max(params["weights"]["new_tie"], 1.0)
        for a, b in soft:
            penalised[a, b] = penalised[b, a] = -penalty
        try:
            groups = repair(old, rows, penalised, bounds, forbidden=_hard(rules), **options).groups
        except FormationError as again:
            raise Conflict(f"Separations and ended circles leave no way to form round "
                           f"{round_no} in circles of these sizes.") from again
    home = {uid: i for i, circle in enumerate(previous) for uid in circle}
    circles = [sorted(util.members[i].id for i in group) for group in groups]
    return sorted(circles, key=lambda c: (min((home[u] for u in c if u in home),
                                              default=len(previous)), c))


def as_planned(circle: list[int], previous: list[list[int]]) -> bool:
    """Whether ``circle`` is a planned circle (at least two of it left) plus newcomers only."""
    mine = set(circle)
    touched = [set(p) for p in previous if mine & set(p)]
    return len(touched) == 1 and len(touched[0]) >= 2 and touched[0] <= mine
