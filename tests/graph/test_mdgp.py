"""The MDGP solvers: exact optima on MDGPLIB, and the local search's promises as properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import InfeasibleError
from graph.mdgp import Grouping, objective, solve_exact, solve_groups
from graph.mdgp.mdgplib import read_instance, reference_optima
from tests.graph.mdgplib_files import instance_path, require_mdgplib

# Hand-checked: pairs (0,1) and (2,3) weigh 5, every other pair 1.
TWO_CLIQUES = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)


def test_objective_sums_pairs_inside_groups() -> None:
    assert objective(TWO_CLIQUES, [[0, 1], [2, 3]]) == 10.0
    assert objective(TWO_CLIQUES, [[0, 2], [1, 3]]) == 2.0
    assert objective(TWO_CLIQUES, [[0, 1, 2, 3]]) == 14.0
    assert objective(TWO_CLIQUES, [[0], [1], [2, 3]]) == 5.0


def _optima() -> dict[str, float]:
    return reference_optima((require_mdgplib() / "REFERENCE.md").read_text())


def test_exact_solver_matches_all_120_reference_optima() -> None:
    root = require_mdgplib()
    wrong = {}
    for name, value in _optima().items():
        instance = read_instance(instance_path(root, name))
        result = solve_exact(instance.weights, instance.bounds)
        _assert_valid(result, instance.n, instance.bounds)
        if result.objective != pytest.approx(value, abs=1e-6):
            wrong[name] = (result.objective, value)
    assert wrong == {}


@pytest.mark.parametrize(
    "name",
    ["RanReal_n010_ss_01", "RanInt_n010_ds_05", "Geo_n012_ss_04", "Geo_n012_ds_10",
     "RanReal_n012_ds_07", "RanInt_n012_ss_09"],
)
def test_local_search_reaches_the_optimum(name: str) -> None:
    instance = read_instance(instance_path(require_mdgplib(), name))
    result = solve_groups(instance.weights, instance.bounds, seed=0, time_limit=60)
    _assert_valid(result, instance.n, instance.bounds)
    assert result.objective == pytest.approx(_optima()[name], abs=1e-6)


def test_forbidden_pair_is_kept_apart_at_a_cost() -> None:
    result = solve_groups(TWO_CLIQUES, [(2, 2), (2, 2)], seed=3, forbidden=[(0, 1)])
    assert result.objective == 2.0
    assert not any({0, 1} <= set(group) for group in result.groups)


def test_locked_pair_is_kept_together_at_a_cost() -> None:
    result = solve_groups(TWO_CLIQUES, [(2, 2), (2, 2)], seed=3, locked=[[0, 2]])
    assert sorted(result.groups) == [[0, 2], [1, 3]]


@pytest.mark.parametrize(
    ("bounds", "kwargs", "message"),
    [
        ([(1, 1), (1, 1)], {}, "4 members do not fit 2 groups holding 2–2 members in all"),
        ([(3, 3), (3, 3)], {}, "4 members do not fit"),
        ([], {}, "no groups"),
        ([(4, 4)], {"forbidden": [(0, 3)]}, "members 0 and 3 must not be grouped"),
        ([(2, 2), (2, 2)], {"forbidden": [(0, 1)], "locked": [[0, 1]]},
         "members 0 and 1 are locked together but must not meet"),
        ([(2, 2), (2, 2)], {"locked": [[0, 1, 2]]}, "locked sets cannot be fitted"),
        ([(2, 2), (2, 2)], {"forbidden": [(0, 9)]}, r"forbidden pair \(0, 9\)"),
        ([(2, 2), (2, 2)], {"locked": [[0, 7]]}, "locked member 7"),
    ],
)
def test_impossible_requests_say_why(bounds: list[tuple[int, int]], kwargs: dict[str, object],
                                     message: str) -> None:
    with pytest.raises(InfeasibleError, match=message):
        solve_groups(TWO_CLIQUES, bounds, seed=1, **kwargs)  # type: ignore[arg-type]


def test_empty_pool_is_infeasible() -> None:
    with pytest.raises(InfeasibleError, match="0 members: nothing to form"):
        solve_groups(np.zeros((0, 0)), [(1, 2)])


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    solve_groups(TWO_CLIQUES, [(2, 2), (2, 2)], seed=1, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_initial_grouping_is_a_starting_point() -> None:
    result = solve_groups(TWO_CLIQUES, [(2, 2), (2, 2)], seed=1, initial=[[0, 2], [1, 3]])
    assert sorted(result.groups) == [[0, 1], [2, 3]]


def _assert_valid(result: Grouping, n: int, bounds: list[tuple[int, int]]) -> None:
    assert sorted(itertools.chain.from_iterable(result.groups)) == list(range(n))
    assert len(result.groups) == len(bounds)
    for group, (lo, hi) in zip(result.groups, bounds):
        assert lo <= len(group) <= hi


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, list[tuple[int, int]], list[tuple[int, int]],
                                       list[list[int]]]:
    n = draw(st.integers(2, 9))
    groups = draw(st.integers(1, min(4, n)))
    cuts = sorted(draw(st.lists(st.integers(1, n - 1), min_size=groups - 1,
                                max_size=groups - 1, unique=True)))
    sizes = np.diff([0, *cuts, n])
    bounds = [(max(1, int(s) - draw(st.integers(0, 2))), int(s) + draw(st.integers(0, 2)))
              for s in sizes]
    values = draw(st.lists(st.integers(-5, 10), min_size=n * n, max_size=n * n))
    w = np.array(values, dtype=float).reshape(n, n)
    member = st.integers(0, n - 1)
    forbidden = [p for p in draw(st.lists(st.tuples(member, member), max_size=3)) if p[0] != p[1]]
    locked = draw(st.lists(st.lists(member, min_size=2, max_size=3, unique=True), max_size=1))
    return w + w.T, bounds, forbidden, locked


def _feasible(w: np.ndarray, bounds: list[tuple[int, int]], forbidden: list[tuple[int, int]],
              locked: list[list[int]]) -> bool:
    """Oracle: the exact optimum with ±big weights keeps every lock and every separation."""
    big = 1.0 + 2.0 * float(np.abs(w).sum())
    hard = np.zeros_like(w)
    lock_pairs = [(a, b) for group in locked for a, b in itertools.combinations(group, 2)]
    for a, b in lock_pairs:
        hard[a, b] = hard[b, a] = big
    for a, b in forbidden:
        hard[a, b] = hard[b, a] = -4 * big * (len(lock_pairs) + 1)
    try:
        groups = solve_exact(hard, bounds).groups
    except InfeasibleError:
        return False
    where = {m: g for g, group in enumerate(groups) for m in group}
    return all(where[a] == where[b] for a, b in lock_pairs) and all(
        where[a] != where[b] for a, b in forbidden)


@settings(max_examples=60, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_local_search_keeps_every_promise(problem: tuple, seed: int) -> None:  # type: ignore[type-arg]
    w, bounds, forbidden, locked = problem
    n = len(w)
    if not _feasible(w, bounds, forbidden, locked):
        with pytest.raises(InfeasibleError):
            solve_groups(w, bounds, seed=seed, forbidden=forbidden, locked=locked, iterations=5)
        return
    result = solve_groups(w, bounds, seed=seed, forbidden=forbidden, locked=locked, iterations=5)
    _assert_valid(result, n, bounds)
    where = {m: g for g, group in enumerate(result.groups) for m in group}
    assert all(where[a] != where[b] for a, b in forbidden)
    assert all(len({where[m] for m in group}) == 1 for group in locked)
    assert result.objective == pytest.approx(objective(w, result.groups))
    again = solve_groups(w, bounds, seed=seed, forbidden=forbidden, locked=locked, iterations=5)
    assert again.groups == result.groups


@settings(max_examples=25, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_local_search_matches_exact_on_small_problems(problem: tuple, seed: int) -> None:  # type: ignore[type-arg]
    w, bounds, _, _ = problem
    exact = solve_exact(w, bounds)
    result = solve_groups(w, bounds, seed=seed, time_limit=60)
    assert result.objective == pytest.approx(exact.objective)


@pytest.mark.parametrize("bounds", [[(10, 10)] * 3, [(5, 12), (8, 9), (6, 14)]])
def test_compiled_tabu_steps_keep_gains_value_and_sizes_exact(bounds: list[tuple[int, int]]) -> None:
    """After many compiled tabu steps the kept-up-to-date gains, loads and value equal the
    ones rebuilt from scratch, sizes stay in bounds, and the best value is the best's."""
    from graph.mdgp.kernel import gains_of, tabu_steps
    from graph.mdgp.problem import Problem

    rng = np.random.default_rng(5)
    w = rng.random((30, 30))
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    problem = Problem(w, np.ones(30, dtype=np.int64), bounds)
    state = problem.start(rng)
    assign, load = state.assign.copy(), state.load.copy()
    gain, until, best = gains_of(w, assign, 3), np.zeros(30, dtype=np.int64), assign.copy()
    value, best_value, step, _, stuck = tabu_steps(
        w, problem.wmin2, problem.lo, problem.hi, assign, load, gain, state.value, until, best, state.value,
        0, 0, 10**9, 500, 2, 5, 1e-9, True, 7)
    assert (step, stuck) == (500, False)
    assert np.allclose(gain, gains_of(w, assign, 3))
    assert np.array_equal(load, np.bincount(assign, minlength=3))
    assert all(lo <= size <= hi for size, (lo, hi) in zip(load, bounds))
    assert value == pytest.approx(objective(w, [np.flatnonzero(assign == g) for g in range(3)]))
    assert best_value == pytest.approx(objective(w, [np.flatnonzero(best == g) for g in range(3)]))
    assert best_value >= state.value


@pytest.mark.parametrize("seed", range(6))
def test_pruned_step_takes_the_best_move_a_full_scan_finds(seed: int) -> None:
    """The first tabu step from a random grouping gains exactly the best swap or one-move
    that numpy finds by valuing all of them: the bound skips pairs, never the best one."""
    from graph.mdgp.kernel import gains_of, tabu_steps
    from graph.mdgp.problem import Problem

    rng = np.random.default_rng(seed)
    w = rng.integers(-20, 100, size=(40, 40)).astype(float)
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    problem = Problem(w, np.ones(40, dtype=np.int64), [(3, 6)] * 9)
    state = problem.start(rng)
    best_move = max(problem.move_gains(state).max(), problem.swap_gains(state).max())
    assign, load = state.assign.copy(), state.load.copy()
    value, *_ = tabu_steps(w, problem.wmin2, problem.lo, problem.hi, assign, load,
                           gains_of(w, assign, 9), state.value, np.zeros(40, dtype=np.int64),
                           assign.copy(), state.value, 0, 0, 10, 1, 2, 5, 1e-9, True, 0)
    assert value - state.value == pytest.approx(best_move)
