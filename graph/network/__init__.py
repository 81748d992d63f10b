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

Modules: :mod:`~graph.network.ego` (reading an ego network), :mod:`~graph.network.holes`
(Burt's structural holes), :mod:`~graph.network.measures` (range, diversity, strength,
type, coverage, novelty) and :mod:`~graph.network.metrics` (all of them at once).
"""

from graph.network.ego import Metrics
from graph.network.holes import constraint, effective_size, efficiency
from graph.network.measures import (
    RANGE_CUT,
    STRONG,
    STRONG_CUT,
    blau_index,
    complementarity_coverage,
    higgins_kram,
    network_range,
    novelty,
    strong_share,
)
from graph.network.metrics import community_metrics, ego_metrics

__all__ = [
    "RANGE_CUT",
    "STRONG",
    "STRONG_CUT",
    "Metrics",
    "blau_index",
    "community_metrics",
    "complementarity_coverage",
    "constraint",
    "effective_size",
    "efficiency",
    "ego_metrics",
    "higgins_kram",
    "network_range",
    "novelty",
    "strong_share",
]
