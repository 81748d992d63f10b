"""How many circles to form and how large each may be."""

from __future__ import annotations

from graph.errors import InfeasibleError

__all__ = ["group_bounds"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _span(lo: int, hi: int) -> str:
    return f"exactly {lo}" if lo == hi else f"{lo}–{hi}"


def _feasible(n: int, lo: int, hi: int) -> bool:
    """Whether some number of groups with sizes in [lo, hi] holds exactly n people."""
    return n >= lo and -(-n // hi) <= n // lo


def _suggestion(n: int, lo: int, hi: int) -> tuple[int, int, int]:
    """The nearest size range that works for n, and how many members to add instead."""
    low, high = next(
        (a, b)
        for a, b in ((lo, hi + 1), (lo - 1, hi), (lo - 1, hi + 1), (lo - 2, hi + 1), (1, n))
        if a >= 1 and _feasible(n, a, b)
    )
    add = next(m for m in range(1, lo + 1) if _feasible(n + m, lo, hi))
    return low, high, add


def group_bounds(n: int, *, min_size: int, max_size: int) -> list[tuple[int, int]]:
    """Per-group size bounds that cover exactly ``n`` people with sizes in the allowed range.

    Uses the fewest groups that can hold everyone (so circles are as large as the range
    allows) and balances them: every group gets ``(floor(n/G), ceil(n/G))`` clipped to
    ``[min_size, max_size]``.

    Parameters
    ----------
    n : int
        Number of people to place.
    min_size, max_size : int
        Smallest and largest allowed group size (equal for "groups of exactly k").

    Returns
    -------
    list of (int, int)
        One ``(lo, hi)`` pair per group; its length is the number of groups.

    Raises
    ------
    InfeasibleError
        When there is nobody to place, the range is empty, or no number of groups fits.

    Examples
    --------
    >>> group_bounds(25, min_size=4, max_size=6)
    [(5, 5), (5, 5), (5, 5), (5, 5), (5, 5)]
    >>> group_bounds(26, min_size=4, max_size=6)
    [(5, 6), (5, 6), (5, 6), (5, 6), (5, 6)]
    >>> group_bounds(25, min_size=4, max_size=4)
    Traceback (most recent call last):
    ...
    graph.errors.InfeasibleError: 25 members cannot form groups of exactly 4: use 4–5 or add 3 members

    Notes
    -----
    O(G) time and memory for G groups.
    """
    _check(n, min_size, max_size)
    count = -(-n // max_size)
    lo, hi = max(min_size, n // count), min(max_size, -(-n // count))
    return [(lo, hi)] * count


def _check(n: int, min_size: int, max_size: int) -> None:
    """Raise, with a way out, unless some number of groups of the allowed sizes holds n."""
    sizes = {"min_size": min_size, "max_size": max_size}
    if n <= 0:
        raise InfeasibleError(f"{n} members: nothing to form", "no_members", n=n)
    if min_size < 1:
        raise InfeasibleError(f"group size must be at least 1, not {min_size}",
                              "size_below_one", **sizes)
    if min_size > max_size:
        raise InfeasibleError(
            f"minimum group size {min_size} is larger than maximum group size {max_size}",
            "min_above_max", **sizes)
    if n < min_size:
        kind = "exactly" if min_size == max_size else "at least"
        raise InfeasibleError(
            f"{_plural(n, 'member')} cannot form a group of {kind} {min_size}: "
            f"add {_plural(min_size - n, 'member')} or use a smaller size",
            "too_few", n=n, add=min_size - n, **sizes)
    if not _feasible(n, min_size, max_size):
        low, high, add = _suggestion(n, min_size, max_size)
        raise InfeasibleError(
            f"{n} members cannot form groups of {_span(min_size, max_size)}: "
            f"use {low}–{high} or add {_plural(add, 'member')}",
            "no_split", n=n, add=add, low=low, high=high, **sizes)
