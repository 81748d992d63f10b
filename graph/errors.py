"""Errors raised by the formation solvers, each with a message a person can act on."""

from __future__ import annotations

__all__ = ["FormatError", "FormationError", "InfeasibleError"]


class FormationError(ValueError):
    """A formation request that cannot be carried out; ``str(error)`` is readable for people."""


class InfeasibleError(FormationError):
    """Sizes cannot cover the members, the pool is empty, or the constraints are impossible."""


class FormatError(FormationError):
    """A malformed MDGPLIB file; the message starts with the line number, e.g. ``line 7: ...``."""
