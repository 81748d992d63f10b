"""The community's existing network, as formation sees it (the DB → networkx adapter): who
is tied, who met in which circle and how long ago, and how far apart two members are."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from circles.models import Circle, Membership, Tie, User

FAR = 4  # tie-network distance from which two people count as fully "far apart"


HALF_LIFE_DAYS = 365.0  # a meeting a year ago weighs half as much as one today


def member_graph(db: Session, community_id: int) -> nx.Graph:
    """The community's existing network: members, their ties, and who met in which circle.

    Nodes are user ids with ``organisation`` and ``department``; an edge has ``tie`` (a
    declared or imported tie), ``meetings`` (circles shared) and ``last_met`` (latest start).
    """
    graph = nx.Graph()
    rows = db.execute(select(User.id, User.organisation, User.department).join(
        Membership, Membership.user_id == User.id).where(Membership.community_id == community_id))
    for uid, organisation, department in rows:
        graph.add_node(uid, organisation=organisation, department=department)
    members = set(graph.nodes)
    for low, high in db.execute(select(Tie.low_id, Tie.high_id).where(
            Tie.low_id.in_(members), Tie.high_id.in_(members))):
        graph.add_edge(low, high, tie=True, meetings=0, last_met=None)
    circles = db.scalars(select(Circle).where(Circle.community_id == community_id)
                         .options(selectinload(Circle.seats)))
    for circle in circles:
        seated = sorted({s.user_id for s in circle.seats} & members)
        for a, b in itertools.combinations(seated, 2):
            if not graph.has_edge(a, b):
                graph.add_edge(a, b, tie=False, meetings=0, last_met=None)
            edge = graph.edges[a, b]
            edge["meetings"] += 1
            when = circle.created_at if circle.created_at.tzinfo else circle.created_at.replace(tzinfo=UTC)
            edge["last_met"] = max(filter(None, (edge["last_met"], when)))
    return graph


def met_weight(edge: dict[str, Any] | None, *, now: datetime) -> float:
    """How much two people have met: a tie counts one, each shared circle decays with age.

    >>> met_weight({"tie": True, "meetings": 0, "last_met": None}, now=datetime.now(UTC))
    1.0
    >>> met_weight(None, now=datetime.now(UTC))
    0.0
    """
    if edge is None:
        return 0.0
    weight = 1.0 if edge.get("tie") else 0.0
    if edge.get("meetings"):
        age_days = max((now - edge["last_met"]).total_seconds() / 86400, 0.0)
        weight += edge["meetings"] * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return weight


def distance_factor(distance: np.ndarray) -> np.ndarray:
    """Share of the new-tie bonus for strangers ``distance`` hops apart (``FAR``: unconnected).

    >>> distance_factor(np.array([2, 3, 4, 9])).round(2).tolist()
    [0.6, 0.8, 1.0, 1.0]
    """
    return np.asarray(np.where(distance >= FAR, 1.0, (1 + 4 * distance / FAR) / 5))


def degree_ranks(degrees: list[int]) -> np.ndarray:
    """Each degree's rank in [0, 1] (0 = smallest network; ties share their mean rank).

    >>> degree_ranks([0, 3, 3, 9]).tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    values = np.asarray(degrees, dtype=float)
    n = len(values)
    if n < 2:
        return np.zeros(n)
    below = (values[None, :] < values[:, None]).sum(axis=1)
    same = (values[None, :] == values[:, None]).sum(axis=1) - 1
    return np.asarray((below + same / 2) / (n - 1))


def distances(graph: nx.Graph, ids: list[int]) -> np.ndarray:
    """Hops between the given members in the tie network, ``FAR`` for FAR or more (or none).

    Breadth first for every member at once, as products of the adjacency matrix: a few dense
    matrix products instead of a Python search per member (2,000 members in about a second).

    >>> g = nx.path_graph(6)
    >>> distances(g, [0, 1, 3, 5])[0].tolist()
    [0.0, 1.0, 3.0, 4.0]
    """
    nodes = list(graph.nodes)
    position = {node: k for k, node in enumerate(nodes)}
    adjacency = np.zeros((len(nodes), len(nodes)), dtype=np.float32)
    for a, b in graph.edges:
        adjacency[position[a], position[b]] = adjacency[position[b], position[a]] = 1.0
    rows = np.array([position.get(uid, -1) for uid in ids])
    known = rows >= 0
    hops = np.full((len(ids), len(ids)), float(FAR))
    if not known.any():
        np.fill_diagonal(hops, 0.0)
        return hops
    reached = adjacency[rows[known]] > 0
    found = np.full((len(ids), len(nodes)), float(FAR))
    found[np.flatnonzero(known)] = np.where(reached, 1.0, float(FAR))
    frontier = reached.astype(np.float32)
    for step in range(2, FAR):
        frontier = (frontier @ adjacency > 0).astype(np.float32)
        fresh = (frontier > 0) & ~reached
        found[np.flatnonzero(known)] = np.where(fresh, float(step), found[np.flatnonzero(known)])
        reached |= frontier > 0
    hops[:, known] = found[:, rows[known]]
    hops[~known] = float(FAR)
    hops[:, ~known] = float(FAR)
    np.fill_diagonal(hops, 0.0)
    return hops
