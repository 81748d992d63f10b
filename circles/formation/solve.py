"""One way from a run's members and rules to ``graph.plan`` and back.

Every solve of formation — the first plan, re-optimising after a hand move or a lock, and
preparing a later round — goes through :func:`solve`: the placed members' rows of the pair
utilities, their needs and strengths, their meeting starts, the forbidden pairs and the
pairs who already met, the pins; the plan comes back in user ids with every rule it breaks
named (:class:`Break`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from circles.formation.constraints import Constraints
from circles.formation.pair_utility import Utilities
from graph.plan import breaks, columns, greedy_plan, plan_circles
from graph.sizes import group_bounds

Rounds = list[list[list[int]]]  # round -> circle -> user ids
#: Seconds a first plan may search: about 10 s for 60 members, growing to 30 s at 2,000. The
#: search normally ends earlier, after its fixed number of steps (so a seed gives one plan).
MIN_SECONDS, MAX_SECONDS = 10.0, 30.0
#: Bonus for a member who stays in their circle when a plan is re-optimised, as a share of a
#: typical member's pair utilities in a circle: around a hand edit the rest may improve;
#: preparing a published plan's next round keeps its circles unless a rule moves someone.
KEEP_SHARE = {"edit": 0.2, "prepare": 10.0}
#: Steps (per member and round) when re-optimising around an edit: a second or two at most.
EDIT_STEPS = 600
#: Steps of a first plan: per member and round, and at most ``steps_per_second(n)`` for each
#: second of the time cap — a count, not a time, so a seed gives one plan; on the project's
#: 2-core machine the search then ends at about three quarters of its cap.
STEPS_PER_MEMBER = 50_000


def steps_per_second(members: int) -> int:
    """Steps a chain makes per second on the project's machine, slower as the pair matrix
    outgrows the caches.

    >>> steps_per_second(60), steps_per_second(2000)
    (886500, 450000)
    """
    return int(900_000 * max(0.5, 1 - members / 4000))
SET_ASIDE = ("Could not be placed in round {round_no}: every circle that shares an hour a week "
             "with them already holds someone they met, or is full.")
RULE_WORDS = {
    "forbidden": "two members who must be kept apart share it",
    "repeat": "people who already shared a circle meet again",
    "window": "its members share no hour a week",
}


def time_cap(members: int) -> float:
    """Seconds a plan for ``members`` may take at most.

    >>> time_cap(60), time_cap(2000), time_cap(5000)
    (10.0, 30.0, 30.0)
    """
    share = (members - 60) / (2000 - 60)
    return round(min(MAX_SECONDS, max(MIN_SECONDS, MIN_SECONDS + share * 20.0)), 1)


def bounds_for(n: int, min_size: int, max_size: int, rounds: int = 1,
               circles: int | None = None) -> list[tuple[int, int]]:
    """Group bounds; pairs with an odd count get one trio rather than a refusal; ``circles``
    (a plan being re-formed) keeps its number of circles where the sizes allow.

    For several rounds, circles get smaller (within the range) until there are at least as
    many circles as members in one: a circle of a later round can hold at most one person
    from each circle of an earlier round without anyone meeting again.

    >>> bounds_for(8, 2, 4), bounds_for(8, 2, 4, rounds=2)
    ([(4, 4), (4, 4)], [(2, 3), (2, 3), (2, 3)])
    """
    if min_size == max_size == 2 and n >= 3 and n % 2:
        return [(2, 2)] * (n // 2 - 1) + [(3, 3)]
    if circles and min_size * circles <= n <= max_size * circles:
        return [(max(min_size, n // circles), min(max_size, -(-n // circles)))] * circles
    bounds = group_bounds(n, min_size=min_size, max_size=max_size)
    if rounds < 2:
        return bounds
    count = len(bounds)
    while count < -(-n // count) and n // (count + 1) >= min_size:
        count += 1
    return [(max(min_size, n // count), min(max_size, -(-n // count)))] * count


@dataclass(frozen=True)
class Break:
    """A rule a plan breaks: ``rule`` (forbidden, repeat, window) in circle ``circle`` of round
    ``round_no``, between ``members`` (the pair, or the whole circle for a window)."""

    rule: str
    round_no: int
    circle: int
    members: tuple[int, ...]

    @property
    def key(self) -> str:
        """Names the exception for the facilitator to accept (stable across re-optimising)."""
        return f"{self.rule}:{self.round_no}:{'-'.join(map(str, sorted(self.members)))}"

    @property
    def acceptable(self) -> bool:
        """A separation or an ended circle is never published; the others may be, if agreed."""
        return self.rule != "forbidden"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "round": self.round_no, "circle": self.circle,
                "members": list(self.members)}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Break:
        return cls(row["rule"], row["round"], row["circle"], tuple(row["members"]))


@dataclass(frozen=True)
class Problem:
    """What a solve needs, as plain data: the run's parameters, the members' facts (rows of
    ``util``), the rules, the rows to place, and pins ``(round index, user id) → circle``."""

    run_id: int
    params: dict[str, Any]
    util: Utilities
    rules: Constraints
    placed: list[int]
    pins: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Solved:
    """A plan in user ids, the rules it still breaks, members set aside per round (round
    number → {user id: reason}), and whether the search ran its full course."""

    rounds: Rounds
    breaks: list[Break]
    complete: bool
    set_aside: dict[int, dict[int, str]] = field(default_factory=dict)


def _inputs(problem: Problem, circles: int | None = None) -> dict[str, Any]:
    util, rules, rows = problem.util, problem.rules, problem.placed
    local = {row: k for k, row in enumerate(rows)}

    def pairs(found: set[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(local[a], local[b]) for a, b in found if a in local and b in local]

    members = [util.members[row] for row in rows]
    return {
        "weights": util.matrix[np.ix_(rows, rows)],
        "bounds": bounds_for(len(rows), problem.params["min_size"], problem.params["max_size"],
                             problem.params.get("rounds", 1), circles),
        "needs": [m.weighted_needs for m in members],
        "gives": [set(m.strengths) for m in members],
        "windows": None if rules.starts is None else rules.starts[rows],
        "forbidden": pairs(rules.forbidden),
        "met": pairs(rules.met),
        "cover_weight": float(problem.params["weights"].get("coverage", 0.0)),
    }


def solve(problem: Problem, rounds: int, *, first_round: int = 1, initial: Rounds | None = None,
          seed: int = 0, time_limit: float | None = None, editing: str = "",
          progress: Callable[[float], None] | None = None) -> Solved:
    """Plan ``rounds`` rounds (numbered from ``first_round``) for the placed members.

    ``initial`` (user ids) is where a re-optimisation starts; ``editing`` ("edit" or
    "prepare") keeps members in their circles unless moving them pays (``KEEP_SHARE``), and
    searches for a second or two."""
    inputs = _inputs(problem, max((len(c) for c in initial), default=0) if initial else None)
    rows = problem.placed
    local_of = {problem.util.members[row].id: k for k, row in enumerate(rows)}
    start = None if initial is None else [
        [[local_of[uid] for uid in circle if uid in local_of] for circle in circles]
        for circles in initial]
    pins = {(r, local_of[uid]): g for (r, uid), g in problem.pins.items()
            if uid in local_of and r < rounds}
    n = len(rows)
    keep = (KEEP_SHARE.get(editing, 1.0) * typical_share(inputs["weights"], inputs["bounds"])
            if initial else 0.0)
    cap = time_limit or time_cap(n)
    steps = EDIT_STEPS * n * rounds if editing else min(
        STEPS_PER_MEMBER * n * rounds, int(steps_per_second(n) * cap))
    plan = plan_circles(**inputs, rounds=rounds, pinned=pins, initial=start, keep=keep,
                        set_aside=problem.params["min_size"],
                        relax_repeats=bool(problem.params.get("allow_repeats")),
                        steps=steps, time_limit=cap,
                        seed=seed, progress=progress)
    ids = [problem.util.members[row].id for row in rows]
    found = [Break(str(kind), first_round + int(r), *_where(kind, rest, plan.rounds[int(r)], ids))
             for kind, r, *rest in plan.breaks]
    return Solved([[[ids[k] for k in circle] for circle in circles] for circles in plan.rounds],
                  found, plan.complete,
                  {first_round + r: {ids[k]: SET_ASIDE.format(round_no=first_round + r)
                                     for k in members}
                   for r, members in enumerate(plan.aside) if members})


def _breaks_of(inputs: dict[str, Any], local: list[list[list[int]]]) -> list[tuple[Any, ...]]:
    n = len(inputs["weights"])
    hard = np.zeros((n, n), dtype=np.int8)
    prior = np.zeros((n, n), dtype=np.int32)
    for matrix, found in ((hard, inputs["forbidden"]), (prior, inputs["met"])):
        for a, b in found:
            matrix[a, b] = matrix[b, a] = 1
    cols = None if inputs["windows"] is None else columns(inputs["windows"])
    return breaks(local, hard=hard, prior=prior, cols=cols)


def _where(kind: object, rest: Sequence[object], circles: list[list[int]],
           ids: list[int]) -> tuple[int, tuple[int, ...]]:
    """(circle index, members) of a break from ``graph.plan``'s local rows."""
    if kind == "window":
        g = int(str(rest[0]))
        return g, tuple(sorted(ids[k] for k in circles[g]))
    a, b = (int(str(x)) for x in rest)
    g = next(i for i, circle in enumerate(circles) if a in circle)
    return g, tuple(sorted((ids[a], ids[b])))


def typical_share(weights: np.ndarray, bounds: list[tuple[int, int]]) -> float:
    """A member's typical sum of pair utilities in a circle: mean |utility| × (size − 1)."""
    n = len(weights)
    if n < 2:
        return 0.0
    mean = float(np.abs(weights).sum()) / (n * (n - 1))
    return mean * max(1.0, n / len(bounds) - 1)


def greedy(problem: Problem, rounds: int, *, seed: int) -> Rounds:
    """The greedy baseline on the same inputs, in user ids."""
    inputs = _inputs(problem)
    plan = greedy_plan(**inputs, rounds=rounds, seed=seed)
    ids = [problem.util.members[row].id for row in problem.placed]
    return [[[ids[k] for k in circle] for circle in circles] for circles in plan]


def check(problem: Problem, rounds: Rounds, *, first_round: int = 1) -> list[Break]:
    """The rules ``rounds`` (user ids, numbered from ``first_round``) break under the
    problem's rules; a member not among the placed ones breaks nothing here."""
    inputs = _inputs(problem)
    rows = problem.placed
    local_of = {problem.util.members[row].id: k for k, row in enumerate(rows)}
    ids = [problem.util.members[row].id for row in rows]
    local = [[[local_of[uid] for uid in circle if uid in local_of] for circle in circles]
             for circles in rounds]
    return [Break(str(kind), first_round + int(r), *_where(kind, rest, local[int(r)], ids))
            for kind, r, *rest in _breaks_of(inputs, local)]
