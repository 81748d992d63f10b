"""Network metrics against tiny hand-computed ego networks; the arithmetic is in the comments."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.network import (
    STRONG,
    blau_index,
    community_metrics,
    complementarity_coverage,
    constraint,
    effective_size,
    efficiency,
    ego_metrics,
    higgins_kram,
    network_range,
    novelty,
    strong_share,
)

EGO = "me"


def star(alters: int, alter_ties: Sequence[tuple[str, str]] = ()) -> nx.Graph:
    """The ego tied to alters "a", "b", ... plus the given alter–alter ties."""
    g = nx.Graph()
    g.add_node(EGO)
    g.add_edges_from((EGO, chr(ord("a") + i)) for i in range(alters))
    g.add_edges_from(alter_ties)
    return g


# --- Blau -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("labels", "expected"), [
    ([], 0.0),                                  # nobody: defined as 0
    (["A", "A", "A"], 0.0),                     # 1 − 1² = 0
    (["A", "A", "B"], 4 / 9),                   # 1 − ((2/3)² + (1/3)²) = 1 − 5/9
    (["A", "B", "C", "D"], 3 / 4),              # 1 − 4 · (1/4)² = 1 − 1/4
    (["A", "B"], 1 / 2),                        # 1 − 2 · (1/2)²
])
def test_blau_index_by_hand(labels: list[str], expected: float) -> None:
    assert blau_index(labels) == pytest.approx(expected)


@given(st.lists(st.sampled_from("ABCDEFG"), max_size=60))
def test_blau_is_below_one_and_its_category_bound(labels: list[str]) -> None:
    k = len(set(labels))
    value = blau_index(labels)
    assert 0.0 <= value < 1.0
    if k:
        assert value <= 1 - 1 / k + 1e-12  # maximal when spread evenly over k categories


# --- Range ------------------------------------------------------------------------------------

def test_range_counts_distinct_systems_of_alters_only() -> None:
    g = star(4, [("a", "z")])
    nx.set_node_attributes(g, {EGO: "Ego Co", "a": "Acme / Sales", "b": "Acme / Sales",
                               "c": "Former employer: Initech", "z": "Elsewhere"}, "system")
    # a and b share a system, c adds one, d has none; the ego's own and z's (not an alter)
    # systems do not count: 2.
    assert network_range(g, EGO) == 2
    assert network_range(star(0), EGO) == 0


# --- Effective size, efficiency ---------------------------------------------------------------

@pytest.mark.parametrize(("g", "size", "expected"), [
    (star(0), 0, 0.0),                                          # isolated: defined as 0
    (star(1), 1, 1.0),                                          # 1 − 2·0/1
    (star(3), 3, 3.0),                                          # 3 − 2·0/3: nobody redundant
    (star(3, [("a", "b")]), 3, 7 / 3),                          # 3 − 2·1/3
    (star(3, [("a", "b"), ("b", "c"), ("a", "c")]), 3, 1.0),    # 3 − 2·3/3: one clique
    (star(4, [("a", "b"), ("c", "d")]), 4, 3.0),                # 4 − 2·2/4
])
def test_effective_size_and_efficiency_by_hand(g: nx.Graph, size: int, expected: float) -> None:
    assert effective_size(g, EGO) == pytest.approx(expected)
    assert efficiency(g, EGO) == pytest.approx(expected / size if size else 0.0)


def test_effective_size_ignores_ties_leaving_the_ego_network_and_self_loops() -> None:
    g = star(3, [("a", "b")])
    g.add_edges_from([("a", "z"), ("b", "z"), ("c", "y"), ("z", "y"), (EGO, EGO), ("a", "a")])
    assert effective_size(g, EGO) == pytest.approx(7 / 3)  # still 3 − 2·1/3
    assert strong_share(g, EGO) == 0.0 and network_range(g, EGO) == 0


# --- Constraint -------------------------------------------------------------------------------

def test_constraint_by_hand() -> None:
    # Isolated ego: nothing constrains it, defined as 0.
    assert constraint(star(0), EGO) == 0.0
    # One alter takes all of the ego's time: p = 1, constraint 1² = 1.
    assert constraint(star(1), EGO) == pytest.approx(1.0)
    # Three strangers: p = 1/3 each, no indirect paths: 3 · (1/3)² = 1/3.
    assert constraint(star(3), EGO) == pytest.approx(1 / 3)
    # a–b tied: b's ties in the ego network are me and a, so p_ba = 1/2, and
    # c_a = (1/3 + p_eb · p_ba)² = (1/3 + 1/6)² = 1/4 = c_b; c_c = (1/3)² = 1/9.
    assert constraint(star(3, [("a", "b")]), EGO) == pytest.approx(1 / 4 + 1 / 4 + 1 / 9)
    # A clique (K4): every p = 1/3 and each alter is reached through the other two:
    # (1/3 + 2 · 1/3 · 1/3)² = (5/9)², three times: 75/81 = 25/27.
    assert constraint(star(3, [("a", "b"), ("b", "c"), ("a", "c")]), EGO) == pytest.approx(25 / 27)


def test_weighted_constraint_by_hand() -> None:
    g = star(2)
    g[EGO]["a"]["strength"] = 3.0
    # p_ea = 3/4, p_eb = 1/4 (b's strength defaults to 1): 9/16 + 1/16 = 5/8.
    assert constraint(g, EGO) == pytest.approx(5 / 8)
    assert constraint(g, EGO, weight=None) == pytest.approx(1 / 2)  # 2 · (1/2)²
    g[EGO]["a"]["strength"] = 2.0
    g.add_edge("a", "b", strength=1.0)
    # Ego: p_ea = 2/3, p_eb = 1/3. a's ties weigh 2 + 1: p_ab = 1/3; b's weigh 1 + 1: p_ba = 1/2.
    # c_a = (2/3 + 1/3 · 1/2)² = (5/6)² = 25/36;  c_b = (1/3 + 2/3 · 1/3)² = (5/9)² = 25/81.
    # 25/36 + 25/81 = 325/324: constraint can exceed 1.
    assert constraint(g, EGO) == pytest.approx(325 / 324)


def test_constraint_uses_the_ego_network_not_the_whole_graph() -> None:
    g = star(3, [("a", "b")])
    g.add_edges_from([("a", "z"), ("b", "y"), ("y", "z")])
    # The alters' ties outside my network do not change my constraint (still 11/18) ...
    assert constraint(g, EGO) == pytest.approx(11 / 18)
    assert constraint(g, EGO) == pytest.approx(
        nx.constraint(nx.ego_graph(g, EGO), nodes=[EGO])[EGO])
    # ... whereas networkx on the whole graph would dilute p_ba by b's outside tie.
    assert nx.constraint(g, nodes=[EGO])[EGO] != pytest.approx(11 / 18)


# --- Tie strength and Higgins–Kram ------------------------------------------------------------

def test_strong_share_by_hand() -> None:
    g = star(4)
    g[EGO]["a"]["strength"] = STRONG        # exactly at the threshold: strong
    g[EGO]["b"]["strength"] = 5.0
    g[EGO]["c"]["strength"] = 2.9           # d has no strength: 1, weak
    assert strong_share(g, EGO) == pytest.approx(2 / 4)
    assert strong_share(g, EGO, threshold=2.0) == pytest.approx(3 / 4)
    assert strong_share(star(0), EGO) == 0.0


@pytest.mark.parametrize(("range_value", "strong", "expected"), [
    (0, 0.0, "receptive"),
    (2, 0.49, "receptive"),
    (2, 0.5, "traditional"),        # half strong is strong
    (3, 0.49, "opportunistic"),     # three systems is high range
    (3, 0.5, "entrepreneurial"),
    (9, 1.0, "entrepreneurial"),
])
def test_higgins_kram_quadrants(range_value: int, strong: float, expected: str) -> None:
    assert higgins_kram(range_value, strong) == expected


def test_higgins_kram_cut_offs_are_options() -> None:
    assert higgins_kram(2, 0.3, range_cut=2, strong_cut=0.25) == "entrepreneurial"


# --- Coverage, novelty ------------------------------------------------------------------------

def test_complementarity_coverage_by_hand() -> None:
    offers = {"a": ["sql", "excel"], "b": ["pitching"], "c": []}
    # Needs {sql, negotiation, pitching} (sql once): sql and pitching are offered: 2/3.
    assert complementarity_coverage(["sql", "negotiation", "pitching", "sql"], offers) \
        == pytest.approx(2 / 3)
    assert complementarity_coverage(["negotiation"], offers) == 0.0
    assert complementarity_coverage([], offers) == 0.0        # nothing to cover
    assert complementarity_coverage(["sql"], {}) == 0.0


def test_novelty_by_hand() -> None:
    # Mates {1, 2, 3, 4}; 2 was known: 3 of 4 are new. 9 was known but not a mate.
    assert novelty([1, 2, 3, 4, 4], [2, 9]) == pytest.approx(3 / 4)
    assert novelty([1, 2], [1, 2]) == 0.0
    assert novelty([], [1]) == 0.0


# --- Everything for one ego -------------------------------------------------------------------

def test_ego_metrics_worked_example() -> None:
    g = star(3, [("a", "b")])
    g[EGO]["a"]["strength"] = 4.0
    g.add_edge("b", "z", strength=9.0)                     # second ring: ignored
    nx.set_node_attributes(g, {"a": "Sales", "b": "Sales", "c": "IT", "z": "HR"}, "system")
    m = ego_metrics(g, EGO, ["sql", "ml"], {"c": ["sql"], "z": ["ml"]})
    assert m == {
        "size": 3,
        "range": 2,                                        # Sales, IT
        "blau": pytest.approx(4 / 9),                      # Sales, Sales, IT
        "strong_share": pytest.approx(1 / 3),              # only a (4 ≥ 3)
        "effective_size": pytest.approx(7 / 3),            # 3 − 2·1/3
        "efficiency": pytest.approx(7 / 9),
        # p_ea = 4/6, p_eb = p_ec = 1/6; b's ego-network ties weigh 1 + 1: p_ba = 1/2;
        # a's weigh 4 + 1: p_ab = 1/5.
        # c_a = (4/6 + 1/6 · 1/2)² = (3/4)²;  c_b = (1/6 + 4/6 · 1/5)² = (3/10)²;  c_c = (1/6)².
        "constraint": pytest.approx(9 / 16 + 9 / 100 + 1 / 36),
        "coverage": pytest.approx(1 / 2),                  # sql from c; z is no alter
        "hk_type": "receptive",                            # range 2 < 3, strong 1/3 < 1/2
    }


def test_unknown_ego_is_reported() -> None:
    for metric in (network_range, effective_size, efficiency, constraint, strong_share):
        with pytest.raises(nx.NodeNotFound, match="ego 'nobody' is not in the graph"):
            metric(star(2), "nobody")


def test_per_ego_functions_read_only_the_ego_network() -> None:
    touched: set[Hashable] = set()
    armed = [False]

    class Recording(dict[Any, Any]):
        def __getitem__(self, key: Any) -> Any:
            touched.add(key)
            return super().__getitem__(key)

        def __iter__(self) -> Any:
            assert not armed[0], "walked every node of the graph"
            return super().__iter__()

    class RecordingGraph(nx.Graph):
        node_dict_factory = Recording
        adjlist_outer_dict_factory = Recording

    g = RecordingGraph()
    g.add_edges_from([(EGO, "a"), (EGO, "b"), (EGO, "c"), ("a", "b")])
    # A big community around the alters: complete graph on 60 others, each tied to a and b.
    g.add_edges_from((i, j) for i in range(60) for j in range(i + 1, 60))
    g.add_edges_from((alter, i) for alter in "ab" for i in range(60))
    touched.clear()
    armed[0] = True
    ego_metrics(g, EGO, ["x"], {"a": ["x"], 5: ["y"]})
    assert touched <= {EGO, "a", "b", "c"}


# --- Properties and agreement with networkx ---------------------------------------------------

pairs = st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda e: e[0] != e[1])
edge_lists = st.lists(pairs, max_size=24)


@settings(max_examples=150, deadline=None)
@given(edge_lists, st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.5]), min_size=24, max_size=24),
       st.lists(st.sampled_from(["A", "B", "C", None]), min_size=8, max_size=8))
def test_bounds_and_agreement_with_networkx(edges: list[tuple[int, int]], strengths: list[float],
                                            systems: list[str | None]) -> None:
    g = nx.Graph()
    g.add_nodes_from(range(8))
    for (u, v), s in zip(edges, strengths):
        g.add_edge(u, v, strength=s)
    nx.set_node_attributes(g, dict(enumerate(systems)), "system")
    for ego in g:
        n = g.degree(ego)
        m = ego_metrics(g, ego, [], {})
        assert m["size"] == n
        assert 0 <= m["range"] <= min(n, 3)
        assert 0.0 <= m["blau"] < 1.0 and 0.0 <= m["strong_share"] <= 1.0
        assert m["effective_size"] <= n
        assert 0.0 <= m["efficiency"] <= 1.0
        if n:
            assert m["efficiency"] >= 1 / n - 1e-12   # n − 2t/n ≥ n − (n − 1) = 1
            assert m["effective_size"] == pytest.approx(nx.effective_size(g, nodes=[ego])[ego])
            local = nx.ego_graph(g, ego)
            for weight in ("strength", None):
                assert constraint(g, ego, weight) == pytest.approx(
                    nx.constraint(local, nodes=[ego], weight=weight)[ego])


def test_community_metrics_agree_with_per_ego_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    def dense(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nx.effective_size over the whole graph is dense n × n")

    monkeypatch.setattr(nx, "effective_size", dense)
    rng = random.Random(7)
    g = nx.gnm_random_graph(300, 1500, seed=7)
    g.add_nodes_from(["lonely", "x1"])
    g.add_edges_from([("x1", 0), (3, 3)])                 # an external node, a self-loop
    for u, v in g.edges:
        g[u][v]["strength"] = rng.choice([1.0, 2.0, 3.0, 4.0])
    for v in g:
        if rng.random() < 0.9:
            g.nodes[v]["system"] = rng.choice(["Acme / Sales", "Acme / IT", "Initech", "School"])
    result = community_metrics(g)
    assert set(result) == set(g)
    assert result["lonely"] == {"size": 0, "range": 0, "blau": 0.0, "effective_size": 0.0,
                                "efficiency": 0.0, "strong_share": 0.0, "hk_type": "receptive"}
    for node in g:
        per_ego = ego_metrics(g, node, [], {})
        expected = {key: per_ego[key] for key in result[node]}
        assert result[node] == {k: pytest.approx(v) if isinstance(v, float) else v
                                for k, v in expected.items()}
    assert {r["hk_type"] for r in result.values()} >= {"receptive", "entrepreneurial"}

