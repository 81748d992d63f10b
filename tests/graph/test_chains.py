"""How a chain of :mod:`graph.plan` is paced by the clock (``graph.plan.chains.Pacer``), on a
simulated clock: the step budget is what makes a seed give one plan, so the clock may cut it
short only when the steps left really cannot fit, and must always end the chain in time."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from graph.plan.chains import FIRST_BATCH, PACE_MARGIN, Pacer


@dataclass
class Run:
    """What a simulated chain did."""

    ran: int
    skipped: int
    ended: float
    last_batch_cooled: bool


def simulate(*, last: int, ramp_end: int, seconds: float, hot: float, cold: float) -> Run:
    """The loop of ``graph.plan.chains.chain`` with steps taking 1/``hot`` s before the ramp's
    end and 1/``cold`` s after it."""
    pacer = Pacer(0.0, seconds, ramp_end, last)
    now, position, size, final, skipped = 0.0, 0, FIRST_BATCH, False, 0
    while position < last and not final:
        if pacer.ran:
            size, ahead, final = pacer.pace(now, position)
            skipped += ahead - position
            position = ahead
        batch = min(size, last - position)
        hot_part = max(0, min(batch, ramp_end - position))
        now += hot_part / hot + (batch - hot_part) / cold
        position += batch
        pacer.ran += batch
    return Run(pacer.ran, skipped, now, position >= last)


def test_slow_hot_steps_do_not_cut_short_a_budget_that_fits() -> None:
    """The first half of a search takes more moves and runs at half the pace of the second
    (as measured on the cohorts of bench/). Judged by its first steps' pace the budget would
    not fit; it does, so every step runs and the seed gives its one plan."""
    run = simulate(last=6_000_000, ramp_end=2_700_000, seconds=10.0, hot=600_000.0,
                   cold=1_200_000.0)
    assert 6_000_000 / 600_000 > 10.0 * PACE_MARGIN  # what the old rule went by
    assert run.skipped == 0 and run.ran == 6_000_000
    assert run.ended < 10.0 * PACE_MARGIN


def test_a_budget_that_cannot_fit_is_paced_by_the_clock_and_ends_cooled_in_time() -> None:
    run = simulate(last=6_000_000, ramp_end=2_700_000, seconds=10.0, hot=300_000.0,
                   cold=300_000.0)
    assert run.skipped > 0 and run.ran < 6_000_000
    assert run.last_batch_cooled
    assert run.ended <= 10.0 * 1.02  # one small batch past the look at most


@pytest.mark.parametrize("hot", [20_000.0, 100_000.0, 400_000.0])
def test_every_chain_ends_near_its_deadline_whatever_its_pace(hot: float) -> None:
    run = simulate(last=6_000_000, ramp_end=2_700_000, seconds=10.0, hot=hot, cold=hot)
    assert run.last_batch_cooled
    assert run.ended <= 10.0 + 200_000 / hot


def test_a_chain_past_its_deadline_runs_one_last_cooled_batch() -> None:
    pacer = Pacer(0.0, 10.0, 500_000, 1_000_000)
    pacer.ran = FIRST_BATCH
    size, position, final = pacer.pace(11.0, FIRST_BATCH)
    assert final and position == 1_000_000 - size
