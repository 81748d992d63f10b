"""Pure-Python graph algorithms for Circles: formation, rotation and network metrics.

This package imports neither Flask nor SQLAlchemy; the circles side hands it plain data
or networkx graphs (``member_graph`` adapters live in ``circles/``).

Import the modules themselves: :mod:`graph.plan` (the formation engine), :mod:`graph.mdgp`
(grouping by maximum diversity), :mod:`graph.rounds`, :mod:`graph.golfers`,
:mod:`graph.schedule` and :mod:`graph.designs` (several rounds, the social golfer problem),
:mod:`graph.repair`, :mod:`graph.pairs`, :mod:`graph.sizes`, :mod:`graph.network` (ego
network metrics), :mod:`graph.errors`, :mod:`graph.form` (command line) and
:mod:`graph.compile` (compiling the numba kernels ahead of use).
"""

__all__: list[str] = []
