"""Social golfer schedules: valid rounds, and zero repeats at the smaller known maxima."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.designs import affine_plane, binary_spread, kirkman_rotational, round_robin
from graph.errors import InfeasibleError
from graph.golfers import golfers


def repeats(schedule: list[list[list[int]]], n: int) -> int:
    meets = np.zeros((n, n), dtype=int)
    for round_groups in schedule:
        assert sorted(p for g in round_groups for p in g) == list(range(n))
        for group in round_groups:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    meets[min(a, b), max(a, b)] += 1
    return int(np.maximum(meets - 1, 0).sum())


@pytest.mark.parametrize(("groups", "size", "rounds"), [
    (5, 3, 7),   # Kirkman's schoolgirls: 15 in triples, 7 rounds (the maximum)
    (4, 4, 5),   # 16 in fours, 5 rounds: affine plane AG(2, 4)
    (7, 3, 10),  # 21 in triples, 10 rounds: KTS(21) with a cyclic automorphism of order 7
    (8, 4, 9),   # 32 in fours, 9 rounds: partial spread of 9 planes in GF(2)^5
    (3, 3, 4),   # AG(2, 3)
    (5, 5, 6),   # AG(2, 5)
])
def test_known_maxima_are_repeat_free(groups: int, size: int, rounds: int) -> None:
    schedule, repeated = golfers(groups, size, rounds, time_limit=30, seed=1)
    assert repeated == 0
    assert len(schedule) == rounds
    assert all(len(g) == size for r in schedule for g in r)
    assert repeats(schedule, groups * size) == 0


@pytest.mark.parametrize("n", [2, 4, 10, 16, 30])
def test_even_n_in_pairs_for_n_minus_one_rounds(n: int) -> None:
    schedule, repeated = golfers(n // 2, 2, n - 1, seed=0)
    assert repeated == 0 and repeats(schedule, n) == 0 and len(schedule) == n - 1


def test_beyond_the_maximum_repeats_are_counted_honestly() -> None:
    # 4 people in pairs can meet everyone in 3 rounds; a 4th round must repeat 2 pairs.
    schedule, repeated = golfers(2, 2, 4, time_limit=2, seed=0)
    assert repeated == repeats(schedule, 4) == 2


@settings(max_examples=15, deadline=None)
@given(groups=st.integers(1, 5), size=st.integers(1, 4), rounds=st.integers(1, 5),
       seed=st.integers(0, 10))
def test_every_player_once_per_round_and_same_seed_same_schedule(
        groups: int, size: int, rounds: int, seed: int) -> None:
    budget = {"time_limit": 60, "seed": seed, "restarts": 2, "iterations": 200}
    first = golfers(groups, size, rounds, **budget)
    schedule, repeated = first
    assert len(schedule) == rounds
    assert all(len(g) == size for r in schedule for g in r)
    assert repeats(schedule, groups * size) == repeated
    assert golfers(groups, size, rounds, **budget) == first


def test_constructions_are_what_they_claim() -> None:
    assert round_robin(4, 3) == [[[0, 3], [1, 2]], [[1, 3], [2, 0]], [[2, 3], [0, 1]]]
    assert affine_plane(6, 2) is None  # no field of order 6
    assert binary_spread(5, 2, 10) is None  # PG(4, 2) has no 10 disjoint lines
    plane = affine_plane(4, 5)
    assert plane is not None and repeats(plane, 16) == 0
    kirkman = kirkman_rotational(27, 13)  # 27 in triples, the full 13 rounds
    assert kirkman is not None and repeats(kirkman, 27) == 0
    assert kirkman_rotational(21, 10) is None  # no 1-rotational KTS(21) of this shape


@pytest.mark.parametrize("args", [(0, 3, 2), (3, 0, 2), (3, 3, 0)])
def test_counts_below_one_are_rejected(args: tuple[int, int, int]) -> None:
    with pytest.raises(InfeasibleError, match="at least 1"):
        golfers(*args)
