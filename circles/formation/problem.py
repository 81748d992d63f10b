"""What a solve takes and gives: the problem (utilities, rules, who can be placed, pins), the
solution, the rule breaks it names, the circle sizes a cohort allows, and the time cap."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from circles.formation.constraints import Constraints
from circles.formation.pair_utility import Utilities
from graph.sizes import group_bounds

Rounds = list[list[list[int]]]  # round -> circle -> user ids
#: Seconds a first plan may search: about 10 s for 60 members, growing to 30 s at 2,000. The
#: search normally ends earlier, after its fixed number of steps (so a seed gives one plan).
MIN_SECONDS, MAX_SECONDS = 10.0, 30.0


#: Steps of a first plan: per member and round, and at most ``steps_per_second(n)`` for each
#: second of ``BUDGET_SHARE`` of the time cap — a count, not a time, so a seed gives one plan.
#: The steps before the rules' ramp ends run at about ``steps_per_second``, those after it up
#: to twice as fast (graph.plan.chains), so with the final descent (a tenth more steps) the
#: search ends at 60–90 % of its cap on the project's machine, short of the 90 % past which
#: the clock would pace it.
STEPS_PER_MEMBER = 50_000
BUDGET_SHARE = 0.75


def steps_per_second(members: int) -> int:
    """Steps a chain makes per second on the project's machine before the rules' ramp ends
    (on a slow day for it: a pure-Python calibration of 0.34 s, ``bench.machine``), slower as
    the pair matrix outgrows the caches.

    >>> steps_per_second(60), steps_per_second(2000)
    (752000, 400000)
    """
    return int(800_000 * max(0.5, 1 - members / 1000))


#: Kept with the run (``figures["set_aside"]``) in every language (``circles.kept``); its
#: English is read by ``placement_fix``.
SET_ASIDE = _l("Could not be placed in round %(round_no)s: every circle that shares an hour a "
               "week with them already holds someone they met, or is full.")


RULE_WORDS = {
    "forbidden": _l("two members who must be kept apart share it"),
    "repeat": _l("people who already shared a circle meet again"),
    "window": _l("its members share no hour a week"),
}


def time_cap(members: int) -> float:
    """Seconds a plan for ``members`` may take at most: it grows fastest among mid-sized
    cohorts, whose chains step slower than a small one's and still need about as many steps
    per member.

    >>> time_cap(60), time_cap(150), time_cap(400), time_cap(2000), time_cap(5000)
    (10.0, 14.3, 18.4, 30.0, 30.0)
    """
    share = min(1.0, max(0.0, (members - 60) / (2000 - 60)))
    return round(MIN_SECONDS + math.sqrt(share) * (MAX_SECONDS - MIN_SECONDS), 1)


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
