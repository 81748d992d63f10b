"""Maximally Diverse Grouping (MDGP): split members into groups of bounded sizes, maximising
the sum of pair utilities inside groups — the model behind circle formation.

Modules: :mod:`~graph.mdgp.solve` (the entry points), :mod:`~graph.mdgp.search` (the
iterated local search), :mod:`~graph.mdgp.problem` (an instance on contracted nodes, a
grouping's state and its moves), :mod:`~graph.mdgp.tabu` and :mod:`~graph.mdgp.kernel` (tabu
phases, their compiled steps), :mod:`~graph.mdgp.exact` (dynamic programming for small
instances) and :mod:`~graph.mdgp.mdgplib` (reading MDGPLIB benchmark instances).
"""

from graph.mdgp.solve import Grouping, objective, solve_exact, solve_groups

__all__ = ["Grouping", "objective", "solve_exact", "solve_groups"]
