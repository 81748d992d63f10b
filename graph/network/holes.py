"""Burt's structural-hole measures of an ego network: effective size, efficiency, constraint."""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx

from graph.network.ego import alter_ties, alters, effective

__all__ = ["constraint", "constraint_of", "effective_size", "efficiency"]


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
    others = alters(g, ego)
    return effective(len(others), len(alter_ties(g, others)))


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
    n = len(alters(g, ego))
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
    others = alters(g, ego)
    return constraint_of(g, ego, others, alter_ties(g, others), weight)


def constraint_of(g: nx.Graph, ego: Hashable, alters: list[Hashable],
                  ties: list[tuple[Hashable, Hashable]], weight: str | None) -> float:
    """Burt's constraint from an ego network already read (see :func:`constraint`).

    Parameters
    ----------
    g : nx.Graph
    ego : node
    alters : list of nodes
        The ego's alters (:func:`graph.network.ego.alters`).
    ties : list of (node, node)
        The ties among them, each once (:func:`graph.network.ego.alter_ties`).
    weight : str or None
        Edge attribute holding tie strength (missing means 1); None treats all ties alike.

    Returns
    -------
    float
        0 with no alters.

    Examples
    --------
    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("a", "b")])
    >>> constraint_of(g, "me", ["a", "b"], [("a", "b")], None)
    1.125

    Notes
    -----
    O(len(alters) + len(ties)).
    """
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
