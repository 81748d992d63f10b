"""Range, diversity and strength of an ego network, its developmental-network type, and
what a member's alters or circle-mates bring: coverage of needs and novelty."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

from graph.network.ego import alters, system

__all__ = [
    "RANGE_CUT",
    "STRONG",
    "STRONG_CUT",
    "blau_index",
    "complementarity_coverage",
    "higgins_kram",
    "network_range",
    "novelty",
    "strong_share",
]

STRONG = 3.0
"""A tie with ``strength`` ≥ STRONG is strong (a declared or imported tie starts at 3)."""
RANGE_CUT = 3
"""Reaching at least this many distinct social systems is a high-range network."""
STRONG_CUT = 0.5
"""At least this share of strong ties is a strong-tie network."""


def blau_index(labels: Iterable[str]) -> float:
    """Blau's index of heterogeneity, 1 − Σ p², of the categories in ``labels``.

    Parameters
    ----------
    labels : iterable of str
        One category per person (here: the social system of each alter).

    Returns
    -------
    float
        0 when everyone shares one category (or there is nobody), approaching 1 as people
        spread evenly over many categories; at most 1 − 1/k with k categories.

    Examples
    --------
    Two people in Sales and one in Finance: p = 2/3 and 1/3, so 1 − (4/9 + 1/9) = 4/9.

    >>> round(blau_index(["Sales", "Sales", "Finance"]), 4)
    0.4444
    >>> blau_index([])
    0.0

    Notes
    -----
    O(len(labels)).
    """
    counts = Counter(labels)
    total = sum(counts.values())
    if total == 0:
        return 0.0
    return 1.0 - sum((c / total) ** 2 for c in counts.values())


def network_range(g: nx.Graph, ego: Hashable) -> int:
    """Range: the number of distinct social systems among the ego's alters.

    Parameters
    ----------
    g : nx.Graph
        Nodes carry ``"system"``; nodes without one reach no system.
    ego : node

    Returns
    -------
    int

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c")])
    >>> nx.set_node_attributes(g, {"a": "Sales", "b": "Sales", "c": "Finance"}, "system")
    >>> network_range(g, "me")
    2

    Notes
    -----
    O(size).
    """
    return len({s for v in alters(g, ego) if (s := system(g, v)) is not None})


def strong_share(g: nx.Graph, ego: Hashable, threshold: float = STRONG) -> float:
    """Share of the ego's ties whose ``strength`` is at least ``threshold`` (0 with no ties).

    Parameters
    ----------
    g : nx.Graph
    ego : node
    threshold : float
        Strength from which a tie counts as strong (missing strength is 1, weak).

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_edge("me", "a", strength=3.0)
    >>> g.add_edge("me", "b", strength=1.0)
    >>> strong_share(g, "me")
    0.5

    Notes
    -----
    O(size).
    """
    others = alters(g, ego)
    if not others:
        return 0.0
    nbrs = g.adj[ego]
    return sum(1 for v in others if nbrs[v].get("strength", 1) >= threshold) / len(others)


def higgins_kram(range_value: int, strong: float, *, range_cut: int = RANGE_CUT,
                 strong_cut: float = STRONG_CUT) -> str:
    """Higgins & Kram's (2001) developmental-network type from range and tie strength.

    Range is high at ``range_cut`` (3) systems or more; ties are strong when at least
    ``strong_cut`` (half) of them are strong. The cut-offs are ours: Higgins & Kram define
    the two dimensions (diversity of social systems, strength of ties), not thresholds.

    ============  ===============  ===============
    range \\ ties  weak             strong
    ============  ===============  ===============
    low           receptive        traditional
    high          opportunistic    entrepreneurial
    ============  ===============  ===============

    Parameters
    ----------
    range_value : int
        Distinct social systems reached (:func:`network_range`).
    strong : float
        Share of strong ties (:func:`strong_share`).
    range_cut, strong_cut : keyword-only
        Where "high" begins on each dimension.

    Returns
    -------
    str
        One of ``"receptive"``, ``"traditional"``, ``"opportunistic"``,
        ``"entrepreneurial"``.

    Examples
    --------
    >>> higgins_kram(1, 0.2), higgins_kram(2, 0.5), higgins_kram(3, 0.0), higgins_kram(5, 0.9)
    ('receptive', 'traditional', 'opportunistic', 'entrepreneurial')

    Notes
    -----
    O(1).
    """
    high, strong_ties = range_value >= range_cut, strong >= strong_cut
    if high:
        return "entrepreneurial" if strong_ties else "opportunistic"
    return "traditional" if strong_ties else "receptive"


def complementarity_coverage(needs: Iterable[str],
                             offers_by_alter: Mapping[Any, Iterable[str]]) -> float:
    """Share of my distinct needs that at least one alter offers as a strength.

    Parameters
    ----------
    needs : iterable of str
        Topic keys of my open questions and learning goals (duplicates count once).
    offers_by_alter : mapping of alter to iterable of str
        Each alter's strength topic keys (matched exactly: pass normalised keys).

    Returns
    -------
    float
        In [0, 1]; 0.0 when I have no needs: there is nothing to cover, and the metric
        should not claim full coverage for an empty profile.

    Examples
    --------
    >>> complementarity_coverage(["sql", "pitching", "sql"], {"a": ["sql"], "b": ["excel"]})
    0.5
    >>> complementarity_coverage([], {"a": ["sql"]})
    0.0

    Notes
    -----
    O(total topics).
    """
    wanted = set(needs)
    if not wanted:
        return 0.0
    offered = {t for topics in offers_by_alter.values() for t in topics}
    return len(wanted & offered) / len(wanted)


def novelty(circle_mates: Iterable[Hashable], known_before: Iterable[Hashable]) -> float:
    """Share of distinct circle-mates whom the member did not know before (0 with none).

    Parameters
    ----------
    circle_mates : iterable of node
        The people the member sat with (this round).
    known_before : iterable of node
        The member's alters before the round.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> novelty([1, 2, 3, 4], known_before=[2, 9])
    0.75

    Notes
    -----
    O(len(circle_mates) + len(known_before)).
    """
    mates = set(circle_mates)
    if not mates:
        return 0.0
    return len(mates - set(known_before)) / len(mates)
