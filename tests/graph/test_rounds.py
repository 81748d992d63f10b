"""Joint multi-round planning beats round-by-round; repair keeps circles intact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import InfeasibleError
from graph.mdgp import Grouping
from graph.repair import repair
from graph.rounds import plan_round_by_round, plan_rounds


def repeats(plan: list[Grouping], n: int) -> int:
    meets = np.zeros((n, n), dtype=int)
    for grouping in plan:
        for group in grouping.groups:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    meets[min(a, b), max(a, b)] += 1
    return int(np.maximum(meets - 1, 0).sum())


def test_joint_planning_reaches_nine_repeat_free_rounds_where_round_by_round_cannot() -> None:
    # 32 people in fours: 9 repeat-free rounds exist (10 is the maximum, see REFERENCE.md).
    w, bounds = np.ones((32, 32)), [(4, 4)] * 8
    joint = plan_rounds(w, bounds, 9, time_limit=4, seed=0)
    myopic = plan_round_by_round(w, bounds, 9, time_limit=4, seed=0)
    assert repeats(joint, 32) == 0
    assert repeats(myopic, 32) > 0
    assert all(sorted(len(g) for g in r.groups) == [4] * 8 for r in joint)


def test_pairs_plan_is_a_round_robin_when_weights_are_uniform() -> None:
    plan = plan_rounds(np.ones((10, 10)), [(2, 2)] * 5, 9, time_limit=3, seed=1)
    assert repeats(plan, 10) == 0


def test_prior_meetings_are_avoided() -> None:
    # 0 and 1 have met twice already; with 4 people in pairs for 1 round they stay apart.
    plan = plan_rounds(np.ones((4, 4)), [(2, 2), (2, 2)], 1, met={(0, 1): 2.0}, seed=0,
                       time_limit=1)
    assert [0, 1] not in plan[0].groups


def test_utility_still_counts_across_rounds() -> None:
    # 0–1 and 2–3 are worth meeting once; with a small penalty they meet in round 1 only.
    w = np.zeros((4, 4))
    w[0, 1] = w[1, 0] = w[2, 3] = w[3, 2] = 1.0
    plan = plan_rounds(w, [(2, 2), (2, 2)], 2, seed=0, time_limit=1, repeat_penalty=2.0)
    assert sum(g.objective for g in plan) == 2.0
    assert repeats(plan, 4) == 0


@settings(max_examples=12, deadline=None)
@given(n=st.integers(4, 14), rounds=st.integers(1, 4), seed=st.integers(0, 100))
def test_plans_place_everyone_once_per_round_within_bounds(n: int, rounds: int,
                                                          seed: int) -> None:
    w = np.random.default_rng(seed).random((n, n))
    bounds = [(2, 3)] * max(1, -(-n // 3))
    forbidden = [(0, 1)]
    plan = plan_rounds(w + w.T, bounds, rounds, seed=seed, time_limit=1, forbidden=forbidden)
    assert len(plan) == rounds
    for grouping in plan:
        assert sorted(m for g in grouping.groups for m in g) == list(range(n))
        assert all(lo <= len(g) <= hi for g, (lo, hi) in zip(grouping.groups, bounds))
        assert not any(0 in g and 1 in g for g in grouping.groups)


def test_rounds_below_one_are_rejected() -> None:
    with pytest.raises(InfeasibleError, match="at least 1"):
        plan_rounds(np.ones((4, 4)), [(2, 2)] * 2, 0)


def test_repair_keeps_untouched_circles_and_fills_the_gap_with_the_newcomer() -> None:
    previous = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    w = np.random.default_rng(0).random((10, 10))
    present = [0, 1, 2, 3, 5, 6, 7, 8, 9]  # 4 left, 9 joined
    result = repair(previous, present, w + w.T, [(3, 3)] * 3, seed=0)
    assert sorted(result.groups) == [[0, 1, 2], [3, 5, 9], [6, 7, 8]]


def test_repair_dissolves_only_the_smallest_remnant_when_a_circle_must_go() -> None:
    previous = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    present = [0, 1, 2, 3, 4, 5, 6, 7, 8]  # 9, 10, 11 left: 9 people, groups of 4–5
    result = repair(previous, present, np.ones((12, 12)), [(4, 5), (4, 5)], seed=0)
    kept = [g for g in result.groups if set(g) >= {0, 1, 2, 3} or set(g) >= {4, 5, 6, 7}]
    assert len(kept) == 2 and sorted(m for g in result.groups for m in g) == present


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), leave=st.sets(st.integers(0, 11), max_size=3),
       join=st.integers(0, 3))
def test_repair_places_every_present_member_once(seed: int, leave: set[int],
                                                 join: int) -> None:
    previous = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    present = [m for m in range(12) if m not in leave] + list(range(12, 12 + join))
    n = len(present)
    groups = -(-n // 5)
    bounds = [(3, 5)] * groups
    w = np.random.default_rng(seed).random((16, 16))
    result = repair(previous, present, w + w.T, bounds, seed=seed)
    assert sorted(m for g in result.groups for m in g) == sorted(present)
    assert all(3 <= len(g) <= 5 for g in result.groups)
    intact = [c for c in previous if not set(c) & leave]
    for circle in intact[:groups]:
        assert any(set(circle) <= set(g) for g in result.groups)


def test_repair_fits_kept_circles_to_the_sizes_that_hold_them() -> None:
    # The 5-circle only fits the (5, 5) slot, listed last; the newcomer fills the 3-slot.
    previous = [[0, 1, 2, 3, 4], [5, 6]]
    result = repair(previous, [0, 1, 2, 3, 4, 5, 6, 7], np.ones((8, 8)), [(3, 3), (5, 5)],
                    seed=0)
    assert result.groups == [[5, 6, 7], [0, 1, 2, 3, 4]]
