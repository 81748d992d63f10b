"""Reading a member's ego network — the ego, its alters and the ties among them — without
walking into the rest of the graph."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import networkx as nx

__all__ = ["Metrics", "alter_ties", "alters", "effective", "system"]

Metrics = dict[str, float | int | str]


def alters(g: nx.Graph, ego: Hashable) -> list[Hashable]:
    """The ego's neighbours, without a self-loop.

    Parameters
    ----------
    g : nx.Graph
    ego : node

    Returns
    -------
    list of nodes
        In the order of ``g.adj[ego]``.

    Raises
    ------
    networkx.NodeNotFound
        When ``ego`` is not in ``g``.

    Examples
    --------
    >>> alters(nx.Graph([("me", "a"), ("me", "me"), ("b", "me")]), "me")
    ['a', 'b']

    Notes
    -----
    O(degree).
    """
    if ego not in g:
        raise nx.NodeNotFound(f"ego {ego!r} is not in the graph")
    return [v for v in g.adj[ego] if v != ego]


def alter_ties(g: nx.Graph, alters: list[Hashable]) -> list[tuple[Hashable, Hashable]]:
    """Each tie between two of ``alters`` once, scanning the shorter of (an alter's adjacency,
    the alters).

    Parameters
    ----------
    g : nx.Graph
    alters : list of nodes
        An ego's alters (:func:`alters`).

    Returns
    -------
    list of (node, node)
        Each tie as ``(a, b)`` with a listed before b in ``alters``.

    Examples
    --------
    >>> g = nx.Graph([("me", "a"), ("me", "b"), ("me", "c"), ("b", "a")])
    >>> alter_ties(g, ["a", "b", "c"])
    [('a', 'b')]

    Notes
    -----
    O(Σ over alters of min(degree, len(alters))).
    """
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


def system(g: nx.Graph, node: Hashable) -> str | None:
    """The social system a node belongs to (its ``"system"`` attribute), None if it has none.

    Parameters
    ----------
    g : nx.Graph
    node : node

    Returns
    -------
    str or None
        None for a missing or empty system.

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_node("a", system="Sales"); g.add_node("b", system="")
    >>> system(g, "a"), system(g, "b")
    ('Sales', None)

    Notes
    -----
    O(1).
    """
    value = g.nodes[node].get("system")
    return str(value) if value is not None and value != "" else None


def effective(size: int, ties: int) -> float:
    """Burt's effective size from the number of alters and the ties among them: n − 2t/n.

    Parameters
    ----------
    size : int
        Number of alters n.
    ties : int
        Ties among the alters t (for a whole graph: the node's triangle count).

    Returns
    -------
    float
        0 for an isolated ego.

    Examples
    --------
    >>> effective(3, 1), effective(0, 0)
    (2.3333333333333335, 0.0)

    Notes
    -----
    O(1).
    """
    return size - 2 * ties / size if size else 0.0
