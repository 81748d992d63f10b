"""Forming circles: pair utility, rules, the run's steps (plan, preview, edits, publish) and
its figures. The search itself is ``graph.plan``."""
