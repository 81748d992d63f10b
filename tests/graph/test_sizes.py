"""Group counts and size bounds, and the messages when sizes cannot cover the members."""

from __future__ import annotations

import pytest

from graph.errors import InfeasibleError
from graph.sizes import group_bounds


@pytest.mark.parametrize(
    ("n", "low", "high", "expected"),
    [
        (12, 4, 4, [(4, 4)] * 3),
        (25, 4, 6, [(5, 5)] * 5),
        (26, 4, 6, [(5, 6)] * 5),
        (11, 2, 3, [(2, 3)] * 4),
        (10, 2, 2, [(2, 2)] * 5),
        (5, 5, 8, [(5, 5)]),
        (7, 1, 100, [(7, 7)]),
    ],
)
def test_bounds_cover_exactly_n(n: int, low: int, high: int, expected: list[tuple[int, int]]) -> None:
    bounds = group_bounds(n, min_size=low, max_size=high)
    assert bounds == expected
    assert sum(lo for lo, _ in bounds) <= n <= sum(hi for _, hi in bounds)


@pytest.mark.parametrize(
    ("n", "low", "high", "message"),
    [
        (25, 4, 4, "25 members cannot form groups of exactly 4: use 4–5 or add 3 members"),
        (9, 2, 2, "9 members cannot form groups of exactly 2: use 2–3 or add 1 member"),
        (7, 4, 5, "7 members cannot form groups of 4–5: use 3–5 or add 1 member"),
        (0, 2, 2, "0 members: nothing to form"),
        (1, 2, 2, "1 member cannot form a group of exactly 2: add 1 member"),
        (3, 4, 6, "3 members cannot form a group of at least 4: add 1 member"),
        (10, 5, 4, "minimum group size 5 is larger than maximum group size 4"),
        (10, 0, 4, "group size must be at least 1, not 0"),
    ],
)
def test_impossible_sizes_say_what_to_do(n: int, low: int, high: int, message: str) -> None:
    with pytest.raises(InfeasibleError, match=message):
        group_bounds(n, min_size=low, max_size=high)


@pytest.mark.parametrize("n", range(1, 60))
@pytest.mark.parametrize(("low", "high"), [(2, 2), (2, 3), (3, 3), (4, 6), (5, 5)])
def test_every_suggestion_works(n: int, low: int, high: int) -> None:
    """Whatever range the message suggests really covers n; adding members works too."""
    try:
        group_bounds(n, min_size=low, max_size=high)
    except InfeasibleError as error:
        text = str(error)
        if "use " in text and "–" in text.split("use ")[1]:
            span = text.split("use ")[1].split(" ")[0]
            a, b = (int(x) for x in span.split("–"))
            assert group_bounds(n, min_size=a, max_size=b)
        if "add " in text:
            extra = int(text.split("add ")[1].split(" ")[0])
            assert group_bounds(n + extra, min_size=low, max_size=high)
