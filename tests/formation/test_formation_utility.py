"""Pair utility on tiny hand-checked cases; availability across time zones.

Expected numbers come from the formulas in circles/formation/pair_utility.py, worked by hand in comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import networkx as nx
import numpy as np
import pytest

from circles.formation.distances import FAR, degree_ranks, distance_factor, distances, met_weight
from circles.formation.facts import MemberFacts
from circles.formation.pair_utility import complementarity, diversity, pair_utilities
from circles.members.availability import MIN_OVERLAP, always, overlap_minutes, slot_mask, weekly_utc
from tests.support.formation_world import community_with, person

WINTER, SUMMER, US_ONLY_DST = date(2026, 1, 5), date(2026, 7, 6), date(2026, 3, 9)


def facts(uid: int, **fields: Any) -> MemberFacts:
    base: dict[str, Any] = {"id": uid, "name": f"M{uid}", "organisation": "", "department": "",
                            "background": {}, "strengths": {}, "goals": {}, "questions": [],
                            "mask": always()}
    base.update(fields)
    return MemberFacts(**base)


def test_complementarity_counts_both_directions_and_the_top_question_double() -> None:
    ana = facts(1, strengths={"negotiation": "Negotiation"}, goals={"budgets": "Budgets"})
    ben = facts(2, strengths={"budgets": "Budgets"},
                questions=[("negotiation", "Negotiation", "How do I ask for a raise?")])
    score = complementarity([ana, ben])
    # Ana → Ben: one need matched (1) + Ben's top question answered (2) = 3.
    # Ben → Ana: one need matched (Ana's learning goal) = 1; Ana has no question.
    assert score[0, 1] == score[1, 0] == 4


def test_a_boundary_cancels_the_match_on_its_topic() -> None:
    # Boundaries are taken out of strengths when facts are loaded; model that here.
    ana = facts(1, strengths={})
    ben = facts(2, questions=[("negotiation", "Negotiation", "How?")])
    assert complementarity([ana, ben])[0, 1] == 0


def test_complementarity_caps_many_small_matches() -> None:
    giver = facts(1, strengths={k: k for k in "abcde"})
    asker = facts(2, goals={k: k for k in "abcde"})
    assert complementarity([giver, asker])[0, 1] == 2  # min(5 matches, 2), no top question


@pytest.mark.parametrize(("a", "b", "expected"), [
    ({"organisation": "X", "department": "D"}, {"organisation": "Y", "department": "D"}, 2.0),
    ({"organisation": "X", "department": "D"}, {"organisation": "X", "department": "E"}, 1.0),
    ({"organisation": "X", "department": "D"}, {"organisation": "X", "department": "D"}, 0.0),
    ({"organisation": "", "department": ""}, {"organisation": "Y", "department": "E"}, 0.0),
    ({"organisation": "X", "department": "D", "background": {"gender": "f", "age_band": "25–34"}},
     {"organisation": "X", "department": "D", "background": {"gender": "m", "age_band": "55+"}}, 0.5),
    ({"organisation": "X", "department": "D", "background": {"gender": "f"}},
     {"organisation": "X", "department": "D", "background": {}}, 0.0),  # no consent, no value
])
def test_diversity(a: dict[str, Any], b: dict[str, Any], expected: float) -> None:
    assert diversity([facts(1, **a), facts(2, **b)])[0, 1] == pytest.approx(expected)


def test_met_weight_grows_with_meetings_and_fades_with_age() -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    year_ago = now - timedelta(days=365)
    assert met_weight({"tie": False, "meetings": 1, "last_met": now}, now=now) == 1.0
    assert met_weight({"tie": False, "meetings": 2, "last_met": now}, now=now) == 2.0
    assert met_weight({"tie": False, "meetings": 1, "last_met": year_ago}, now=now) == pytest.approx(0.5)
    assert met_weight({"tie": True, "meetings": 1, "last_met": now}, now=now) == 2.0


def test_distance_and_degree_ranks() -> None:
    assert distance_factor(np.array([2, FAR])).tolist() == pytest.approx([0.6, 1.0])  # (1+4·2/4)/5
    assert degree_ranks([5, 1, 1]).tolist() == [1.0, 0.25, 0.25]


@pytest.mark.parametrize("seed", range(5))
def test_distances_match_a_breadth_first_search(seed: int) -> None:
    """The matrix products give networkx's hop counts up to FAR (FAR beyond, or unconnected),
    on graphs with hubs and members who are not in the graph at all."""
    graph = nx.gnp_random_graph(60, 0.04, seed=seed)
    graph.add_edges_from((0, k) for k in range(1, 60, 3))  # a hub
    ids = [*range(0, 60, 2), 1000]  # 1000: nobody knows them yet
    hops = distances(graph, ids)
    for i, a in enumerate(ids):
        known = nx.single_source_shortest_path_length(graph, a, cutoff=FAR) if a in graph else {}
        for j, b in enumerate(ids):
            expected = 0 if a == b else min(known.get(b, FAR), FAR)
            assert hops[i, j] == expected


def test_pair_utilities_reward_strangers_and_penalise_a_tie(db: Any) -> None:
    community, _ = community_with(db)
    ana, ben, cem = (person(db, community, n) for n in ("Ana A", "Ben B", "Cem C"))
    from circles.network.ties import add_tie

    add_tie(db, ana.id, ben.id, source="declared")
    weights = {"new_tie": 10, "complementarity": 0, "diversity": 0, "equity": 0, "repeat_penalty": 7}
    matrix, _util = pair_utilities(db, community.id, [ana.id, ben.id, cem.id], weights, monday=WINTER)
    assert matrix[0, 1] == -7  # a tie counts as one meeting: −7 × 1²
    assert matrix[0, 2] == 10  # no path at all: the full bonus
    add_tie(db, ben.id, cem.id, source="declared")
    matrix, _ = pair_utilities(db, community.id, [ana.id, ben.id, cem.id], weights, monday=WINTER)
    assert matrix[0, 2] == pytest.approx(6)  # two hops apart: 10 × 0.6
    assert np.all(np.diag(matrix) == 0)


def test_equity_boosts_new_ties_of_members_with_small_networks(db: Any) -> None:
    community, _ = community_with(db)
    hub, loner, a, b = (person(db, community, n) for n in ("Hub H", "Lone L", "Al A", "Bo B"))
    from circles.network.ties import add_tie

    add_tie(db, hub.id, a.id, source="declared")
    add_tie(db, hub.id, b.id, source="declared")
    weights = {"new_tie": 10, "complementarity": 0, "diversity": 0, "equity": 1, "repeat_penalty": 0}
    matrix, _ = pair_utilities(db, community.id, [hub.id, loner.id, a.id, b.id], weights, monday=WINTER)
    # Degrees 2, 0, 1, 1 → ranks 1, 0, 0.5, 0.5. Loner–A (unconnected): 10 × (1 + 1 − 0.25) = 17.5
    assert matrix[1, 2] == pytest.approx(17.5)
    # Hub–Loner: 10 × (1 + 1 − 0.5) = 15
    assert matrix[0, 1] == pytest.approx(15)


@pytest.mark.parametrize("monday", [WINTER, SUMMER])
def test_berlin_evening_meets_new_york_lunchtime(monday: date) -> None:
    berlin = slot_mask(weekly_utc([(2, 18 * 60, 19 * 60)], "Europe/Berlin", monday))
    new_york = slot_mask(weekly_utc([(2, 12 * 60, 13 * 60)], "America/New_York", monday))
    assert overlap_minutes(np.array([berlin, new_york]))[0, 1] == 60


def test_the_weeks_when_only_america_has_changed_clocks_shift_the_overlap() -> None:
    berlin = slot_mask(weekly_utc([(2, 18 * 60, 19 * 60)], "Europe/Berlin", US_ONLY_DST))
    new_york = slot_mask(weekly_utc([(2, 12 * 60, 13 * 60)], "America/New_York", US_ONLY_DST))
    assert overlap_minutes(np.array([berlin, new_york]))[0, 1] == 0  # 17:00 vs 16:00 UTC


def test_same_local_hour_far_apart_shares_nothing() -> None:
    berlin = slot_mask(weekly_utc([(2, 18 * 60, 19 * 60)], "Europe/Berlin", WINTER))
    tokyo = slot_mask(weekly_utc([(2, 18 * 60, 19 * 60)], "Asia/Tokyo", WINTER))
    assert overlap_minutes(np.array([berlin, tokyo]))[0, 1] < MIN_OVERLAP
