"""Pair utility: how much two members gain from sharing a circle, and why.

Formation hands ``graph/`` a plain n × n matrix; this module builds it from profiles and the
existing network (the DB → networkx adapter lives here, on the circles side) and keeps the
facts needed to explain a circle in words.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from circles.members.availability import always, slot_mask, weekly_utc
from circles.members.profiles import BACKGROUND_FIELDS
from circles.members.topics import topic_aliases
from circles.models import Circle, Membership, Tie, User

DEFAULT_WEIGHTS: dict[str, float] = {
    "new_tie": 10.0,  # bonus for two people who have never met, at the largest distance
    "coverage": 50.0,  # per member whose top question a circle-mate answers (others count less)
    "complementarity": 3.0,  # per strength that answers the other's question or goal
    "diversity": 2.0,  # per differing organisation / department (background counts a quarter)
    "equity": 0.5,  # extra share of the new-tie bonus for members with the smallest networks
    "repeat_penalty": 30.0,  # × (recency-weighted meetings)² for pairs who met (a tie: 1)
}
FAR = 4  # tie-network distance from which two people count as fully "far apart"
#: Need weights: the member's first question counts 1, each later one ``LATER`` of the one
#: before; learning goals count ``GOAL_SHARE`` of a question in the same place.
LATER = 0.3
GOAL_SHARE = 0.3
HALF_LIFE_DAYS = 365.0  # a meeting a year ago weighs half as much as one today


@dataclass
class MemberFacts:
    """What formation knows about one member, flattened from their profile."""

    id: int
    name: str
    organisation: str
    department: str
    background: dict[str, str]
    strengths: dict[str, str]  # topic key -> label, minus the member's boundaries
    goals: dict[str, str]  # learning-goal topic key -> label
    questions: list[tuple[str, str, str]]  # (topic key, topic label, text), top first
    mask: np.ndarray = field(repr=False)
    has_availability: bool = True
    goal_order: list[str] = field(default_factory=list)  # learning-goal topic keys, in order

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    @property
    def top_topic(self) -> str:
        """The topic key of the member's top (first) question, or "" when it has none."""
        return self.questions[0][0] if self.questions else ""

    @property
    def needs(self) -> set[str]:
        return {key for key, _, _ in self.questions if key} | set(self.goals)

    @property
    def department_key(self) -> tuple[str, str]:
        return (self.organisation, self.department)

    @property
    def weighted_needs(self) -> dict[str, float]:
        """Each needed topic with its weight: questions 1, 0.3, 0.09 … in order, learning goals
        0.3 of that; a topic asked twice counts at its highest weight.

        >>> facts = MemberFacts(1, "A", "", "", {}, {}, {"b": "B"}, [("a", "A", "?"), ("b", "B", "?")],
        ...                     mask=always(), goal_order=["b"])
        >>> facts.weighted_needs
        {'a': 1.0, 'b': 0.3}
        """
        weights: dict[str, float] = {}
        keys = [(key, 1.0) for key, _, _ in self.questions] + \
            [(key, GOAL_SHARE) for key in (self.goal_order or list(self.goals))]
        place: dict[float, int] = {}
        for key, share in keys:
            rank = place.get(share, 0)
            place[share] = rank + 1
            if key:
                weights[key] = max(weights.get(key, 0.0), share * LATER ** rank)
        return weights


def load_members(db: Session, member_ids: list[int], *, monday: date,
                 aliases: dict[str, str] | None = None) -> list[MemberFacts]:
    """Facts for the given members, in the given order (one query per profile list); topic
    keys a community mapped to one of its own (``aliases``) count as that topic."""
    users = {u.id: u for u in db.scalars(
        select(User).where(User.id.in_(member_ids)).options(
            selectinload(User.strengths), selectinload(User.questions),
            selectinload(User.learning_goals), selectinload(User.boundaries),
            selectinload(User.availability)))}
    return [_facts(users[uid], monday, aliases or {}) for uid in member_ids]


def _facts(user: User, monday: date, aliases: dict[str, str]) -> MemberFacts:
    def key(raw: str) -> str:
        return aliases.get(raw, raw)

    boundaries = {key(b.topic_key) for b in user.boundaries}
    windows = [(w.weekday, w.start_minute, w.end_minute) for w in user.availability]
    background = {k: str(v) for k, v in (user.background or {}).items()
                  if user.background_consent and k in BACKGROUND_FIELDS and v}
    return MemberFacts(
        id=user.id, name=user.display_name, organisation=user.organisation.strip(),
        department=user.department.strip(), background=background,
        strengths={key(s.topic_key): s.topic for s in user.strengths
                   if key(s.topic_key) not in boundaries},
        goals={key(g.topic_key): g.topic for g in user.learning_goals},
        questions=[(key(q.topic_key) if q.topic_key else "", q.topic, q.text)
                   for q in user.questions],
        mask=slot_mask(weekly_utc(windows, user.timezone, monday)) if windows else always(),
        has_availability=bool(windows),
        goal_order=[key(g.topic_key) for g in user.learning_goals],
    )


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
