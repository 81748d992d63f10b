"""Developmental-network metrics on a member's ego network: size, range, diversity, structure.

Graph convention: an undirected ``nx.Graph`` whose nodes carry a ``"system"`` attribute (the
social system a person belongs to, e.g. ``"Acme / Sales"``; external contacts use their
context, e.g. ``"Former employer: Initech"``) and whose edges carry a ``"strength"`` (float ≥ 1,
missing means 1). A node without a system counts towards size but reaches no system.

The *ego network* is the ego, its alters (neighbours) and the ties among the alters. Every
per-ego function here reads only that: the alters' adjacency is consulted for membership of
other alters, never walked into the wider graph, so the work is proportional to the ego
network even when ``g`` is a whole community. :func:`community_metrics` computes the
structural metrics for every node of a large graph at once from degrees and triangle counts.

References: Burt, *Structural Holes* (1992) for effective size, efficiency and constraint;
Borgatti, "Structural holes: unpacking Burt's redundancy measures", *Connections* 20 (1997)
for the unweighted effective size n − 2t/n; Higgins & Kram, "Reconceptualizing mentoring at
work: a developmental network perspective", *Academy of Management Review* 26 (2001) for
range, tie strength and the four developmental-network types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

STRONG = 3.0
"""A tie with ``strength`` ≥ STRONG is strong (a declared or imported tie starts at 3)."""
RANGE_CUT = 3
"""Reaching at least this many distinct social systems is a high-range network."""
STRONG_CUT = 0.5
"""At least this share of strong ties is a strong-tie network."""

Metrics = dict[str, float | int | str]


def _alters(g: nx.Graph, ego: Hashable) -> list[Hashable]:
    """The ego's neighbours, without a self-loop; NodeNotFound when the ego is absent."""
    if ego not in g:
        raise nx.NodeNotFound(f"ego {ego!r} is not in the graph")
    return [v for v in g.adj[ego] if v != ego]


def _alter_ties(g: nx.Graph, alters: list[Hashable]) -> list[tuple[Hashable, Hashable]]:
    """Each tie between two alters once, scanning the shorter of (alter's adjacency, alters)."""
    index = {a: i for i, a in enumerate(alters)}
    ties: list[tuple[Hashable, Hashable]] = []
    for a in alters:
        nbrs = g.adj[a]
        if len(nbrs) <= len(index):
            found: Iterable[Hashable] = [b for b in nbrs if b in index]
        else:
            found = [b for b in index if b in nbrs]
        ties.extend((a, b) for b in found if index[a] < index[b])
    return ties


def _system(g: nx.Graph, node: Hashable) -> str | None:
    system = g.nodes[node].get("system")
    return str(system) if system is not None and system != "" else None


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
    return len({s for v in _alters(g, ego) if (s := _system(g, v)) is not None})


def effective_size(g: nx.Graph, ego: Hashable) -> float:
    """Burt's effective size (unweighted): n − 2t/n, the non-redundant part of n alters.

    t is the number of ties among the alters; each alter is redundant to the extent that
    it knows the ego's other alters (Borgatti 1997).

    Parameters
    ----------
    g : nx.Graph
    ego : node

    Returns
    -------
    float
        Between 1 (all alters know each other) and n (none do); 0 for an isolated ego.

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    A star of three alters with one tie between two of them: 3 − 2·1/3 = 7/3.

    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c"), ("a", "b")])
    >>> round(effective_size(g, "me"), 4)
    2.3333

    Notes
    -----
    O(Σ over alters of min(degree, size)): only the ego network is read.
    """
    alters = _alters(g, ego)
    n = len(alters)
    return 0.0 if n == 0 else n - 2 * len(_alter_ties(g, alters)) / n


def efficiency(g: nx.Graph, ego: Hashable) -> float:
    """Burt's efficiency: effective size per alter, in [1/n, 1] (0 for an isolated ego).

    Parameters
    ----------
    g : nx.Graph
    ego : node

    Returns
    -------
    float

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c"), ("a", "b")])
    >>> round(efficiency(g, "me"), 4)  # (7/3) / 3
    0.7778

    Notes
    -----
    As :func:`effective_size`.
    """
    n = len(_alters(g, ego))
    return 0.0 if n == 0 else effective_size(g, ego) / n


def constraint(g: nx.Graph, ego: Hashable, weight: str | None = "strength") -> float:
    """Burt's constraint Σ_j (p_ej + Σ_q p_eq p_qj)², computed on the ego network only.

    p_ij is the share of i's tie strength (within the ego network) that goes to j; an alter
    constrains the ego when the ego invests much in it directly or through other alters.
    This equals ``nx.constraint(nx.ego_graph(g, ego), nodes=[ego], weight=weight)[ego]``.

    Parameters
    ----------
    g : nx.Graph
    ego : node
    weight : str or None
        Edge attribute holding tie strength (missing means 1); None treats all ties alike.

    Returns
    -------
    float
        1/n for n alters who do not know each other, 1 for a single alter, higher the more
        the alters are tied to each other; 0 for an isolated ego (nothing constrains it).

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    Three unconnected alters: 3 · (1/3)² = 1/3.

    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c")])
    >>> round(constraint(g, "me"), 4)
    0.3333

    Tie a and b: each then costs (1/3 + 1/3 · 1/2)² = 1/4, c still 1/9, so 11/18.

    >>> g.add_edge("a", "b")
    >>> round(constraint(g, "me"), 4)
    0.6111

    Notes
    -----
    O(Σ over alters of min(degree, size)): only the ego network is read.
    """
    alters = _alters(g, ego)
    return _constraint(g, ego, alters, _alter_ties(g, alters), weight)


def _constraint(g: nx.Graph, ego: Hashable, alters: list[Hashable],
                ties: list[tuple[Hashable, Hashable]], weight: str | None) -> float:
    if not alters:
        return 0.0

    def w(u: Hashable, v: Hashable) -> float:
        return 1.0 if weight is None else float(g.adj[u][v].get(weight, 1))

    to_ego = {a: w(ego, a) for a in alters}
    between = {(a, b): w(a, b) for a, b in ties}
    total = dict(to_ego)  # each alter's strength within the ego network
    for (a, b), s in between.items():
        total[a] += s
        total[b] += s
    ego_total = sum(to_ego.values())
    p_ego = {a: s / ego_total if ego_total else 0.0 for a, s in to_ego.items()}
    indirect = dict.fromkeys(alters, 0.0)
    for (a, b), s in between.items():
        indirect[b] += p_ego[a] * (s / total[a] if total[a] else 0.0)
        indirect[a] += p_ego[b] * (s / total[b] if total[b] else 0.0)
    return sum((p_ego[j] + indirect[j]) ** 2 for j in alters)


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
    alters = _alters(g, ego)
    if not alters:
        return 0.0
    nbrs = g.adj[ego]
    return sum(1 for v in alters if nbrs[v].get("strength", 1) >= threshold) / len(alters)


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


def ego_metrics(g: nx.Graph, ego: Hashable, needs: Iterable[str],
                offers_by_alter: Mapping[Any, Iterable[str]]) -> Metrics:
    """Every per-ego metric at once, for a member's page.

    Parameters
    ----------
    g : nx.Graph
        May hold more than the ego network (a second ring, a whole community): only the
        ego network is read.
    ego : node
    needs : iterable of str
        My question and learning-goal topic keys.
    offers_by_alter : mapping of node to iterable of str
        Strength topic keys; entries for nodes that are not the ego's alters are ignored.

    Returns
    -------
    dict
        ``size``, ``range``, ``blau`` (over the alters' systems), ``strong_share``,
        ``effective_size``, ``efficiency``, ``constraint``, ``coverage``, ``hk_type``.

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_edge("me", "a", strength=3.0)
    >>> g.add_edge("me", "b", strength=1.0)
    >>> nx.set_node_attributes(g, {"a": "Sales", "b": "Finance"}, "system")
    >>> m = ego_metrics(g, "me", ["sql"], {"a": ["sql"], "z": ["pitching"]})
    >>> m["size"], m["range"], m["blau"], m["strong_share"], m["coverage"], m["hk_type"]
    (2, 2, 0.5, 0.5, 1.0, 'traditional')

    Notes
    -----
    O(Σ over alters of min(degree, size) + topics).
    """
    alters = _alters(g, ego)
    ties = _alter_ties(g, alters)  # the costly part, shared by the structural metrics
    systems = [s for v in alters if (s := _system(g, v)) is not None]
    range_value = len(set(systems))
    strong = strong_share(g, ego)
    n = len(alters)
    effective = n - 2 * len(ties) / n if n else 0.0
    neighbours = set(alters)
    return {
        "size": n,
        "range": range_value,
        "blau": blau_index(systems),
        "strong_share": strong,
        "effective_size": effective,
        "efficiency": effective / n if n else 0.0,
        "constraint": _constraint(g, ego, alters, ties, "strength"),
        "coverage": complementarity_coverage(
            needs, {a: t for a, t in offers_by_alter.items() if a in neighbours}),
        "hk_type": higgins_kram(range_value, strong),
    }


def community_metrics(g: nx.Graph) -> dict[Hashable, Metrics]:
    """Structural metrics for every node of a (large) graph, without per-node ego graphs.

    Effective size comes from degree n and triangle count t (a triangle through a node is
    exactly one tie between two of its alters): n − 2t/n. ``nx.effective_size(g)`` without
    ``nodes`` would build a dense n × n matrix instead.

    Parameters
    ----------
    g : nx.Graph

    Returns
    -------
    dict of node to dict
        Per node: ``size``, ``range``, ``blau``, ``effective_size``, ``efficiency``,
        ``strong_share``, ``hk_type`` — the same values as the per-ego functions.

    Examples
    --------
    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c"), ("a", "b")])
    >>> m = community_metrics(g)
    >>> m["me"]["size"], round(m["me"]["effective_size"], 4), m["c"]["efficiency"]
    (3, 2.3333, 1.0)

    Notes
    -----
    O(Σ degree²) for the triangles (networkx's node-ordered count), O(edges) for the rest:
    about a second at 10,000 nodes and 100,000 edges.
    """
    triangles = nx.triangles(g)
    systems = {v: s for v in g if (s := _system(g, v)) is not None}
    result: dict[Hashable, Metrics] = {}
    for node, nbrs in g.adjacency():
        size = strong = 0
        labels: list[str] = []
        for v, data in nbrs.items():
            if v == node:
                continue
            size += 1
            if data.get("strength", 1) >= STRONG:
                strong += 1
            if v in systems:
                labels.append(systems[v])
        range_value = len(set(labels))
        share = strong / size if size else 0.0
        eff = size - 2 * triangles[node] / size if size else 0.0
        result[node] = {
            "size": size,
            "range": range_value,
            "blau": blau_index(labels),
            "effective_size": eff,
            "efficiency": eff / size if size else 0.0,
            "strong_share": share,
            "hk_type": higgins_kram(range_value, share),
        }
    return result
