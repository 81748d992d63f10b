"""Coverage inputs of a plan: who needs and who gives each topic, and the diminishing returns
of further givers, encoded as the flat arrays the compiled steps read."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["GIVES", "HEAVIEST", "diminishing_returns", "entry_kinds", "topic_givers",
           "topic_lists"]

#: Bits of an entry's kind (:func:`entry_kinds`): the member gives the topic; it is the
#: member's heaviest need.
GIVES, HEAVIEST = 1, 2


def topic_lists(n: int, needs: Sequence[Mapping[Hashable, float]] | None,
                gives: Sequence[Iterable[Hashable]] | None) -> tuple[np.ndarray, ...]:
    """Per-member topic lists (CSR): topic index, whether they give it, their need weight.

    Topics that nobody both needs and gives cannot count, and are left out.

    Parameters
    ----------
    n : int
        Number of members.
    needs : sequence of mappings topic → float, optional
        Each member's needs and their weights (finite, not negative); None: no needs.
    gives : sequence of iterables of topics, optional
        The topics each member gives; None: nobody gives anything.

    Returns
    -------
    tuple of ndarray
        ``(ptr, topic, gives, weight, count)``: member i's entries are
        ``ptr[i]:ptr[i + 1]`` of the next three arrays; ``count`` (a 0-d array) is the
        number of topics kept. Topics are numbered in the order of their ``repr``.

    Raises
    ------
    ValueError
        When ``needs`` or ``gives`` has the wrong length, or a need weight is negative or
        not finite.

    Examples
    --------
    >>> ptr, topic, gives, weight, count = topic_lists(2, [{"sql": 2.0}, {}], [set(), {"sql"}])
    >>> ptr.tolist(), topic.tolist(), gives.tolist(), weight.tolist(), int(count)
    ([0, 1, 2], [0, 0], [False, True], [2.0, 0.0], 1)

    Notes
    -----
    O(total needs and gives, plus T log T to number T topics).
    """
    needs = list(needs) if needs is not None else [{}] * n
    gives = [set(g) for g in gives] if gives is not None else [set()] * n
    if len(needs) != n or len(gives) != n:
        raise ValueError(f"needs and gives must have one entry per member ({n})")
    givers: dict[Hashable, int] = {}
    for offered in gives:
        for topic in offered:
            givers[topic] = givers.get(topic, 0) + 1
    useful = {t for member in needs for t in member if givers.get(t, 0)}
    index = {t: k for k, t in enumerate(sorted(useful, key=repr))}
    ptr, tt, ts, tc = [0], [], [], []
    for i in range(n):
        for topic in sorted({t for t in (*needs[i], *gives[i]) if t in index},
                            key=lambda t: index[t]):
            weight = float(needs[i].get(topic, 0.0))
            if not np.isfinite(weight) or weight < 0:
                raise ValueError(f"need weights must be finite and not negative, got {weight}")
            tt.append(index[topic])
            ts.append(topic in gives[i])
            tc.append(weight)
        ptr.append(len(tt))
    return (np.array(ptr, dtype=np.int64), np.array(tt, dtype=np.int64),
            np.array(ts, dtype=np.bool_), np.array(tc, dtype=float),
            np.array(len(index), dtype=np.int64))


def entry_kinds(tp: np.ndarray, ts: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """Each entry of :func:`topic_lists` as the compiled steps read it: ``GIVES`` when the
    member gives the topic, plus ``HEAVIEST`` when it is the member's heaviest need (the first entry of the
    largest weight, when that weight is positive).

    Parameters
    ----------
    tp, ts, tc : ndarray
        ``ptr``, ``gives`` and ``weight`` from :func:`topic_lists`.

    Returns
    -------
    ndarray of int8
        One kind per entry; at most one heaviest need per member.

    Examples
    --------
    >>> ptr, _, gives, weight, _ = topic_lists(2, [{"a": 0.3, "b": 1.0}, {}], [set(), {"a", "b"}])
    >>> entry_kinds(ptr, gives, weight).tolist()
    [0, 2, 1, 1]

    Notes
    -----
    O(entries).
    """
    kinds = ts.astype(np.int8)
    for i in range(len(tp) - 1):
        if tp[i + 1] > tp[i] and tc[tp[i]:tp[i + 1]].max() > 0:
            kinds[tp[i] + int(np.argmax(tc[tp[i]:tp[i + 1]]))] += HEAVIEST
    return kinds


def topic_givers(tp: np.ndarray, tt: np.ndarray, ts: np.ndarray,
                 topics: int) -> tuple[np.ndarray, np.ndarray]:
    """Who gives each topic, as CSR: the givers of topic t are ``idx[ptr[t]:ptr[t + 1]]``.

    Parameters
    ----------
    tp, tt, ts : ndarray
        ``ptr``, ``topic`` and ``gives`` from :func:`topic_lists`.
    topics : int
        Number of topics.

    Returns
    -------
    (ndarray, ndarray)
        ``ptr`` (length ``topics + 1``) and ``idx``, members in increasing order per topic.

    Examples
    --------
    >>> lists = topic_lists(3, [{"sql": 1.0}, {}, {}], [set(), {"sql"}, {"sql"}])
    >>> [a.tolist() for a in topic_givers(*lists[:3], int(lists[4]))]
    [[0, 2], [1, 2]]

    Notes
    -----
    O(E log E) for E list entries.
    """
    owners = np.repeat(np.arange(len(tp) - 1), np.diff(tp))
    mine = ts.astype(bool)
    order = np.argsort(tt[mine], kind="stable")
    idx = owners[mine][order].astype(np.int64)
    ptr = np.zeros(topics + 1, dtype=np.int64)
    np.add.at(ptr, tt[mine] + 1, 1)
    return np.cumsum(ptr), idx


def diminishing_returns(returns: float, size: int) -> np.ndarray:
    """What k givers of one topic are worth: ``1 + r + … + r^(k−1)``, for k = 0 … size + 1.

    Parameters
    ----------
    returns : float
        The share r each further giver adds (1: every giver counts fully).
    size : int
        The largest group size.

    Returns
    -------
    ndarray
        ``size + 2`` values, starting at 0 for no giver.

    Examples
    --------
    >>> diminishing_returns(0.5, 2).tolist()
    [0.0, 1.0, 1.5, 1.75]
    >>> diminishing_returns(1.0, 1).tolist()
    [0.0, 1.0, 2.0]

    Notes
    -----
    O(size).
    """
    return np.array([(1 - returns**k) / (1 - returns) if returns != 1 else float(k)
                     for k in range(size + 2)])
