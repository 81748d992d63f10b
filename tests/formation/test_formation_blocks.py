"""A block is a hard rule of formation: on any community hypothesis draws (dense ties, far-apart
weekly hours, separations, blocks in either direction), no plan and no published round ever
seats two members one of whom blocked the other; a plan that cannot avoid it names the break
and publishing refuses it."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from circles.errors import CirclesError
from circles.formation.constraints import constraints_for
from circles.formation.plan import problem_for
from circles.formation.publish import publish
from circles.members import blocks
from circles.models import Block
from tests.formation.test_formation_properties import PROPERTY, build, plan_of, shape

drawn_blocks = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1,
                        max_size=6)


def blocked_in(db: Any, community_id: int, people: list[Any], pairs: list[tuple[int, int]]
               ) -> set[tuple[int, int]]:
    """Add the drawn blocks (blocker, blocked); returns them as (low id, high id) pairs."""
    size = len(people)
    for a, b in pairs:
        if a % size != b % size:
            blocks.block(db, people[a % size], people[b % size])
    db.flush()
    ids = {p.id for p in people}
    return {(min(x, y), max(x, y)) for x, y in db.execute(
        select(Block.blocker_id, Block.blocked_id).where(Block.blocker_id.in_(ids)))}


def together(circles: list[list[int]], pairs: set[tuple[int, int]]) -> list[tuple[int, int]]:
    return [pair for circle in circles for pair in itertools.combinations(sorted(circle), 2)
            if pair in pairs]


@PROPERTY
@given(drawn=shape, pairs=drawn_blocks)
def test_formation_never_seats_a_blocked_pair_together(db: Any, drawn: dict[str, Any],
                                                       pairs: list[tuple[int, int]]) -> None:
    community, lead, people = build(db, drawn)
    blocked = blocked_in(db, community.id, people, pairs)
    run = plan_of(db, community, lead, drawn)
    if run is None:
        return
    problem = problem_for(db, run, [p.id for p in people], exclude=False)
    index = problem.util.index
    assert {(min(index[a], index[b]), max(index[a], index[b])) for a, b in blocked} <= \
        constraints_for(db, community.id, problem.util).forbidden
    named = {tuple(sorted(row["members"])) for row in run.figures["breaks"]
             if row["rule"] == "forbidden"}
    for circles in run.plan["rounds"]:
        assert set(together(circles, blocked)) <= named  # never silently
    try:
        formed = publish(db, run, round_no=1)
    except CirclesError:
        return  # refused: nothing was seated
    assert together([[s.user_id for s in c.seats] for c in formed], blocked) == []
