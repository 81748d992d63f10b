"""Pair utility: how much two members gain from sharing a circle, and why.

Formation hands ``graph/`` a plain n × n matrix; this module builds it from the members'
facts (``circles.formation.facts``) and the existing network
(``circles.formation.distances``), and keeps the facts needed to explain a circle in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circles.formation.distances import (
    degree_ranks,
    distance_factor,
    distances,
    member_graph,
    met_weight,
)
from circles.formation.facts import MemberFacts, load_members
from circles.members.profiles import BACKGROUND_FIELDS
from circles.members.topics import topic_aliases

DEFAULT_WEIGHTS: dict[str, float] = {
    "new_tie": 10.0,  # bonus for two people who have never met, at the largest distance
    "coverage": 50.0,  # per member whose top question a circle-mate answers (others count less)
    "complementarity": 3.0,  # per strength that answers the other's question or goal
    "diversity": 2.0,  # per differing organisation / department (background counts a quarter)
    "equity": 0.5,  # extra share of the new-tie bonus for members with the smallest networks
    "repeat_penalty": 30.0,  # × (recency-weighted meetings)² for pairs who met (a tie: 1)
}


@dataclass
class Utilities:
    """The matrix for the solver, with the facts that explain it."""

    matrix: np.ndarray
    members: list[MemberFacts]
    met: np.ndarray  # recency-weighted meetings (a tie counts one)
    index: dict[int, int]
    shared_circle: np.ndarray  # True where two members already sat in a circle together


def pair_utilities(db: Session, community_id: int, member_ids: list[int],
                   weights: dict[str, float], *, monday: date, now: datetime | None = None,
                   with_matrix: bool = True) -> tuple[np.ndarray, Utilities]:
    """Pair utilities for ``member_ids`` (rows in that order) and the facts behind them.

    ``with_matrix=False`` reads only the facts and who already met (for checks before a
    solve): the matrix is left at zero and distances are not computed."""
    members = load_members(db, member_ids, monday=monday,
                           aliases=topic_aliases(db, community_id))
    graph = member_graph(db, community_id)
    now = now or datetime.now(UTC)
    n = len(members)
    index = {m.id: i for i, m in enumerate(members)}
    met = np.zeros((n, n))
    shared_circle = np.zeros((n, n), dtype=bool)
    for a, b, edge in graph.edges(data=True):
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None:
            met[i, j] = met[j, i] = met_weight(edge, now=now)
            shared_circle[i, j] = shared_circle[j, i] = bool(edge["meetings"])
    if not with_matrix:
        return np.zeros((n, n)), Utilities(np.zeros((n, n)), members, met, index, shared_circle)
    w = {**DEFAULT_WEIGHTS, **weights}
    hops = distances(graph, [m.id for m in members])
    factor = distance_factor(hops)
    ranks = degree_ranks([graph.degree(m.id) if m.id in graph else 0 for m in members])
    equity = 1 + w["equity"] * (1 - (ranks[:, None] + ranks[None, :]) / 2)
    new_tie = np.where(met == 0, w["new_tie"] * factor * equity, -w["repeat_penalty"] * met**2)
    matrix = new_tie + w["complementarity"] * complementarity(members) \
        + w["diversity"] * diversity(members)
    np.fill_diagonal(matrix, 0.0)
    return matrix, Utilities(matrix, members, met, index, shared_circle)


def complementarity(members: list[MemberFacts]) -> np.ndarray:
    """Both directions of "A's strengths answer B's questions and goals"; answering the top
    question counts double. Boundaries were already taken out of the strengths."""
    topics = sorted({k for m in members for k in (*m.strengths, *m.needs)})
    column = {key: t for t, key in enumerate(topics)}
    n, t = len(members), len(topics)
    gives, needs, top = np.zeros((n, t)), np.zeros((n, t)), np.zeros((n, t))
    for i, m in enumerate(members):
        gives[i, [column[k] for k in m.strengths]] = 1
        needs[i, [column[k] for k in m.needs]] = 1
        if m.top_topic:
            top[i, column[m.top_topic]] = 1
    direction = np.minimum(gives @ needs.T, 2) + 2 * (gives @ top.T)
    return np.asarray(direction + direction.T)


def diversity(members: list[MemberFacts]) -> np.ndarray:
    """Different organisation, different department, and a quarter per differing background
    field (only members who consented have one); unknown values never count as different."""
    def differs(values: list[Any]) -> np.ndarray:
        codes = {v: c for c, v in enumerate(sorted(set(values), key=str))}
        arr = np.array([codes[v] for v in values])
        known = np.array([bool(v) and all(v) if isinstance(v, tuple) else bool(v) for v in values])
        return np.asarray((arr[:, None] != arr[None, :]) & known[:, None] & known[None, :], dtype=float)

    score = differs([m.organisation for m in members])
    score += differs([m.department_key if m.department else "" for m in members])
    for key in BACKGROUND_FIELDS:
        score += 0.25 * differs([m.background.get(key, "") for m in members])
    return score
