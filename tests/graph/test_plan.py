"""The formation engine (graph.plan): coverage as a set function, hard rules that hold, members
who sit a round out rather than break one, pins, seeds; and the compiled steps' bookkeeping
checked against a recomputation from scratch on random instances (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import InfeasibleError
from graph.plan import breaks, columns, greedy_plan, plan_circles
from graph.plan.coverage import entry_kinds, topic_givers, topic_lists
from graph.plan.kernel import anneal, build, score
from graph.plan.rules import pair_matrix, pin_table
from graph.plan.start import starting_plan


def pairs_in(plan: list[list[list[int]]]) -> list[frozenset[int]]:
    return [frozenset(p) for circles in plan for c in circles for p in itertools.combinations(c, 2)]


def hours(*spans: tuple[int, int], slots: int = 24) -> np.ndarray:
    """Start slots (one per hour of a day) from ``(first, last)`` hour spans."""
    row = np.zeros(slots, dtype=bool)
    for first, last in spans:
        row[first:last] = True
    return row


def test_coverage_pays_for_an_answer_nobody_else_gives_not_a_second_one() -> None:
    # 0 and 1 ask about Python; 2 and 3 both give it. Pair utilities are all equal, so only
    # coverage decides: one giver per asker answers both questions; two givers with one
    # asker would leave the other asker unanswered.
    needs = [{"python": 1.0}, {"python": 1.0}, {}, {}]
    gives = [set(), set(), {"python"}, {"python"}]
    plan = plan_circles(np.zeros((4, 4)), [(2, 2), (2, 2)], needs=needs, gives=gives, seed=0)
    assert sorted(len(set(c) & {2, 3}) for c in plan.rounds[0]) == [1, 1]
    assert plan.coverage == 2.0


def test_a_boundary_style_own_strength_never_answers_ones_own_need() -> None:
    # Member 0 asks about and gives Python: only someone else's strength counts.
    needs = [{"python": 1.0}, {}, {}, {}]
    gives = [{"python"}, {"python"}, set(), set()]
    plan = plan_circles(np.zeros((4, 4)), [(2, 2), (2, 2)], needs=needs, gives=gives, seed=1)
    assert [0, 1] in plan.rounds[0]


def test_no_pair_meets_twice_across_rounds_and_never_again_after_met() -> None:
    n = 12
    met = [(0, 1), (2, 3), (4, 5)]
    plan = plan_circles(np.ones((n, n)), [(3, 3)] * 4, 4, met=met, seed=3)
    seen = pairs_in(plan.rounds)
    assert len(seen) == len(set(seen)) and not {frozenset(p) for p in met} & set(seen)
    assert plan.breaks == []


def test_forbidden_pairs_are_kept_apart_even_against_strong_utility() -> None:
    w = np.ones((6, 6))
    w[0, 1] = w[1, 0] = 1000.0
    plan = plan_circles(w, [(3, 3), (3, 3)], forbidden=[(0, 1)], seed=0)
    assert frozenset((0, 1)) not in pairs_in(plan.rounds)


def test_every_group_shares_a_window_where_only_a_swap_finds_one() -> None:
    # A∩B = 10–11, A∩C = 9–10, B∩C = 11–12: every pair shares an hour, the trio none.
    windows = np.array([hours((9, 11)), hours((10, 12)), hours((9, 10), (11, 12)),
                        hours((9, 12)), hours((9, 12)), hours((9, 12))])
    plan = plan_circles(np.zeros((6, 6)), [(3, 3), (3, 3)], windows=windows, seed=0,
                        initial=[[[0, 1, 2], [3, 4, 5]]])
    cols = columns(windows)
    assert all(cols[group].all(axis=0).any() for group in plan.rounds[0])
    assert plan.breaks == []


def test_a_member_who_fits_no_group_sits_the_round_out_instead_of_breaking_a_rule() -> None:
    # Member 4 shares no hour with anyone: placed, their group could not meet.
    windows = np.array([hours((9, 12))] * 4 + [hours((20, 21))] * 1)
    plan = plan_circles(np.ones((5, 5)), [(2, 3), (2, 3)], windows=windows, seed=0,
                        set_aside=2)
    assert plan.aside == [[4]] and plan.breaks == []
    unchecked = plan_circles(np.ones((5, 5)), [(2, 3), (2, 3)], windows=windows, seed=0)
    assert [b[0] for b in unchecked.breaks] == ["window"]  # without set_aside it is named


def test_a_small_group_with_hours_of_its_own_sits_later_rounds_out_rather_than_meet_again(
) -> None:
    """Four members free only late in the evening make the one circle that can meet then; at
    its smallest size, no single move can take one of them out. Rather than meet again in
    rounds 2 and 3, that circle is taken apart and they sit those rounds out."""
    windows = np.array([hours((9, 12))] * 16 + [hours((20, 21))] * 4)
    plan = plan_circles(np.ones((20, 20)), [(4, 4)] * 5, 3, windows=windows, seed=1,
                        set_aside=4)
    assert plan.breaks == []
    assert len(set(pairs_in(plan.rounds))) == len(pairs_in(plan.rounds))  # nobody meets twice
    assert all(len(c) in (0, 4) for circles in plan.rounds for c in circles)
    night = {16, 17, 18, 19}
    assert sum(night <= set(out) for out in plan.aside) == 2
    for circles, out in zip(plan.rounds, plan.aside, strict=True):
        assert sorted([*out, *(m for c in circles for m in c)]) == list(range(20))


@settings(max_examples=25, deadline=None)
@given(st.integers(8, 24), st.integers(1, 3), st.integers(0, 2**16))
def test_where_members_may_sit_out_no_plan_breaks_a_rule(n: int, rounds: int,
                                                           seed: int) -> None:
    """Odd hours (some members free at one evening hour only), pairs who met before and few
    steps: whatever the search leaves, a plan that may set members aside meets nobody again
    and holds no circle without a shared hour — but in a round's only circle, which is named
    for the facilitator rather than emptying the round — and every member is placed or set
    aside."""
    rng = np.random.default_rng(seed)
    spans = [(9, 12), (10, 14), (20, 21), (6, 7)]
    windows = np.array([hours(spans[int(k)]) for k in rng.choice(4, n, p=[.5, .3, .15, .05])])
    met = {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(n // 2)}
    bounds = [(3, 4)] * -(-n // 4)
    plan = plan_circles(rng.normal(size=(n, n)), bounds, rounds, windows=windows, met=met,
                        set_aside=3, seed=seed, steps=20_000)
    alone = {r for r, circles in enumerate(plan.rounds) if sum(map(bool, circles)) == 1}
    assert [b for b in plan.breaks if b[0] in ("repeat", "window") and b[1] not in alone] == []
    for circles, out in zip(plan.rounds, plan.aside, strict=True):
        assert sorted([*out, *(m for c in circles for m in c)]) == list(range(n))
        assert all(len(c) <= 4 for c in circles)


def test_pins_hold_and_sizes_stay_within_bounds() -> None:
    rng = np.random.default_rng(5)
    w = rng.normal(size=(13, 13))
    bounds = [(4, 5)] * 3
    plan = plan_circles(w, bounds, 2, pinned={(0, 0): 2, (1, 0): 1, (1, 7): 1}, seed=2)
    assert 0 in plan.rounds[0][2] and {0, 7} <= set(plan.rounds[1][1])
    for circles in plan.rounds:
        assert sorted(m for c in circles for m in c) == list(range(13))
        assert all(4 <= len(c) <= 5 for c in circles)


def test_the_same_seed_gives_the_same_plan() -> None:
    rng = np.random.default_rng(9)
    w = rng.normal(size=(20, 20))
    needs = [{int(rng.integers(5)): 1.0} for _ in range(20)]
    gives = [{int(rng.integers(5)), int(rng.integers(5))} for _ in range(20)]
    first = plan_circles(w, [(5, 5)] * 4, 2, needs=needs, gives=gives, seed=11, steps=50_000)
    again = plan_circles(w, [(5, 5)] * 4, 2, needs=needs, gives=gives, seed=11, steps=50_000)
    assert first.rounds == again.rounds


def test_a_search_cut_short_by_the_clock_still_ends_cooled_and_within_the_rules() -> None:
    """A busy machine: the steps asked for cannot fit before the time limit. The schedule is
    paced by the clock, so the search still cools and ends with the rules strict — not hot
    and random where the time ran out."""
    rng = np.random.default_rng(5)
    w = rng.uniform(0, 1, size=(24, 24))
    w = (w + w.T) / 2
    bounds = [(4, 4)] * 6
    settled = plan_circles(w, bounds, 3, seed=3, steps=300_000)
    rushed = plan_circles(w, bounds, 3, seed=3, steps=400_000_000, time_limit=1.0)
    assert settled.complete and not rushed.complete
    assert rushed.seconds < 15  # not the minutes 400 million steps take
    assert rushed.breaks == [] and settled.breaks == []
    assert rushed.utility >= 0.9 * settled.utility


def test_bad_input_is_refused_in_words() -> None:
    with pytest.raises(InfeasibleError, match="do not fit"):
        plan_circles(np.zeros((5, 5)), [(2, 2), (2, 2)])
    with pytest.raises(InfeasibleError, match="not a pair of distinct members"):
        plan_circles(np.zeros((4, 4)), [(2, 2), (2, 2)], forbidden=[(1, 1)])
    with pytest.raises(InfeasibleError, match="out of range"):
        plan_circles(np.zeros((4, 4)), [(2, 2), (2, 2)], pinned={(0, 9): 0})
    with pytest.raises(ValueError, match="finite"):
        plan_circles(np.full((4, 4), np.nan), [(2, 2), (2, 2)])


def test_greedy_keeps_the_rules_it_can() -> None:
    plan = greedy_plan(np.zeros((8, 8)), [(4, 4), (4, 4)], 1, forbidden=[(0, 1)],
                       met=[(2, 3)], seed=0)
    seen = pairs_in(plan)
    assert frozenset((0, 1)) not in seen and frozenset((2, 3)) not in seen


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(8, 30), st.integers(1, 3), st.booleans())
def test_the_compiled_steps_keep_their_sums_exact(seed: int, n: int, rounds: int,
                                                   aside: bool) -> None:
    """After thousands of steps the kernel's running value, topic sums, window counts and
    meetings equal a recomputation from scratch, sizes stay in bounds and pins hold."""
    rng = np.random.default_rng(seed)
    groups = max(2, n // 5)
    lo, hi = n // groups, -(-n // groups)
    bounds = [(max(2, lo - 1), hi + 1)] * groups
    w = rng.normal(size=(n, n))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0)
    words = list("abcdefg")
    needs = [{t: float(rng.choice([1, 0.3, 0.09])) for t in rng.choice(words, rng.integers(0, 4),
                                                                        replace=False)}
             for _ in range(n)]
    gives = [set(rng.choice(words, rng.integers(0, 4), replace=False)) for _ in range(n)]
    tp, tt, ts, tc, topics = topic_lists(n, needs, gives)
    kind = entry_kinds(tp, ts, tc)
    ret = np.array([(1 - 0.25**k) / 0.75 for k in range(12)])
    cols = columns(rng.random((n, 40)) < 0.6)
    hard = pair_matrix(n, [tuple(rng.choice(n, 2, replace=False)) for _ in range(4)], "f")
    prior = pair_matrix(n, [tuple(rng.choice(n, 2, replace=False)) for _ in range(6)], "m")
    prior = prior.astype(np.int32)
    pins = pin_table(n, rounds, groups, {(0, 0): 0, (rounds - 1, 1): 1})
    assign = starting_plan(n, bounds, rounds, pins, None, rng)
    home = assign.copy()
    low = np.minimum(np.array([b[0] for b in bounds]), 2 if aside else 99)
    high = np.array([b[1] for b in bounds])
    state = build(assign, groups, int(high.max()) + 1, int(topics), tp, tt, kind, tc, ret, cols,
                  prior)
    pen = np.array([50.0, 3.0, 7.0, float(rng.choice([4.0, -2.0])), 0.4])

    def value(a: np.ndarray) -> float:
        s = score(a, groups, w, hard, prior, tp, tt, kind, tc, ret, int(topics), cols)
        return float(s[0] + 2.5 * s[1] - pen[4] * s[6] - pen[0] * s[2] - pen[1] * s[3]
                     - pen[2] * s[4]
                     - pen[3] * s[5] + 0.7 * (a == home).sum())

    before = value(assign)
    movable = np.zeros((rounds, n), dtype=np.int64)
    nfree = np.zeros(rounds, dtype=np.int64)
    for r in range(rounds):
        free = np.flatnonzero(pins[r] < 0)
        movable[r, :len(free)], nfree[r] = free, len(free)
    gp, gi = topic_givers(tp, tt, ts, int(topics))
    tracked = anneal(assign, pins, low, high, *state, w, hard, tp, tt, kind, tc, ret, cols, 2.5,
                     pen, movable, nfree, home, 0.7, 0.0, 0, 5000, 5000, 5.0, 0.01, seed, 0.0,
                     0.5, gp, gi, aside)
    assert tracked == pytest.approx(value(assign) - before, rel=1e-9, abs=1e-6)
    fresh = build(assign, groups, int(high.max()) + 1, int(topics), tp, tt, kind, tc, ret, cols,
                  prior)
    for kept, recomputed in zip(state[3:], fresh[3:], strict=True):
        assert np.allclose(kept, recomputed)
    for r in range(rounds):
        sizes = np.bincount(assign[r][assign[r] >= 0], minlength=groups)
        assert (sizes >= low[0] if aside else sizes >= bounds[0][0]).all()
        assert (sizes <= high).all()
        assert aside or (assign[r] >= 0).all()
    assert assign[0, 0] == 0 and assign[rounds - 1, 1] == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 16), st.integers(1, 4))
def test_the_balance_squares_each_rounds_unanswered_heaviest_needs(seed: int, n: int,
                                                                     rounds: int) -> None:
    """The score's balance part is Σ_r U_r², where U_r counts the members placed in round r
    whose heaviest need (among topics someone gives; the first of its weight) nobody else in
    their group gives: an answer lowers it most in the round that answers fewest."""
    rng = np.random.default_rng(seed)
    groups = max(1, n // 3)
    words = list("abcde")
    needs = [{str(t): float(rng.choice([1, 0.3, 0.09]))
              for t in rng.choice(words, rng.integers(0, 4), replace=False)} for _ in range(n)]
    gives = [{str(t) for t in rng.choice(words, rng.integers(0, 3), replace=False)}
             for _ in range(n)]
    assign = rng.integers(-1, groups, size=(rounds, n)).astype(np.int64)
    tp, tt, ts, tc, topics = topic_lists(n, needs, gives)
    ret = np.array([(1 - 0.25**k) / 0.75 for k in range(n + 2)])
    parts = score(assign, groups, np.zeros((n, n)), pair_matrix(n, [], "f"),
                  pair_matrix(n, [], "m").astype(np.int32), tp, tt, entry_kinds(tp, ts, tc), tc,
                  ret, int(topics), np.ones((n, 1), dtype=np.uint8))
    offered = set().union(*gives)
    left = []
    for r in range(rounds):
        unanswered = 0
        for i in range(n):
            asked = {t: w for t, w in needs[i].items() if t in offered}
            if assign[r, i] < 0 or not asked:
                continue
            heaviest = max(sorted(asked, key=repr), key=asked.__getitem__)
            mates = [j for j in range(n) if j != i and assign[r, j] == assign[r, i]]
            unanswered += not any(heaviest in gives[j] for j in mates)
        left.append(unanswered)
    assert parts[6] == sum(u * u for u in left)


def test_breaks_name_every_broken_rule() -> None:
    hard = np.zeros((4, 4), dtype=np.int8)
    hard[0, 1] = hard[1, 0] = 1
    cols = np.array([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=np.uint8)
    found = breaks([[[0, 1], [2, 3]], [[0, 2], [1, 3]], [[0, 1], [2, 3]]], hard=hard,
                   prior=np.zeros((4, 4)), cols=cols)
    assert ("forbidden", 0, 0, 1) in found and ("window", 1, 0) in found
    assert ("repeat", 2, 0, 1) in found and ("repeat", 2, 2, 3) in found
