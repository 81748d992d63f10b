"""Pure-Python graph algorithms for Circles: formation, rotation and network metrics.

This package imports neither Flask nor SQLAlchemy; the circles side hands it plain data
or networkx graphs (``member_graph`` adapters live in ``circles/``).
"""
