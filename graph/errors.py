"""Errors raised by the formation solvers, each with a message a person can act on."""

from __future__ import annotations

__all__ = ["FormatError", "FormationError", "InfeasibleError"]


class FormationError(ValueError):
    """A formation request that cannot be carried out; ``str(error)`` is readable for people.

    Where the library knows the case, ``reason`` names it and ``facts`` holds its numbers, so
    an application can say it in its own words and language (Circles does, in
    ``circles.formation.infeasible``); ``reason`` is ``""`` otherwise.
    """

    def __init__(self, message: str, reason: str = "", **facts: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.facts = facts


class InfeasibleError(FormationError):
    """Sizes cannot cover the members, the pool is empty, or the constraints are impossible."""


class FormatError(FormationError):
    """A malformed MDGPLIB file; the message starts with the line number, e.g. ``line 7: ...``."""
