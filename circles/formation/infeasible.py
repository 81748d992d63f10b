"""Why the sizes cannot hold the members, in the reader's language.

The solver library (``graph``) stays free of Flask and says its errors in English; where it
knows the case, its ``InfeasibleError`` names it (``reason``) and gives the numbers
(``facts``), and this module says it in the current language. The clauses start lower-case
and end without a full stop: the caller may put "with Nia set aside, " in front and makes a
sentence of it (``start.sentence``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

from circles.languages import DEFAULT, current_language
from graph.errors import FormationError


def _span(facts: dict[str, int]) -> str:
    low, high = facts["min_size"], facts["max_size"]
    return str(_("exactly %(size)s", size=low) if low == high else f"{low}–{high}")


def _add(count: int) -> str:
    return str(ngettext("add %(num)d member", "add %(num)d members", count))


def _too_few(facts: dict[str, int]) -> str:
    n, size, add = facts["n"], facts["min_size"], _add(facts["add"])
    if facts["min_size"] == facts["max_size"]:
        return str(ngettext("%(num)d member cannot form a group of exactly %(size)s: %(add)s or "
                            "use a smaller size",
                            "%(num)d members cannot form a group of exactly %(size)s: %(add)s or "
                            "use a smaller size", n, size=size, add=add))
    return str(ngettext("%(num)d member cannot form a group of at least %(size)s: %(add)s or "
                        "use a smaller size",
                        "%(num)d members cannot form a group of at least %(size)s: %(add)s or "
                        "use a smaller size", n, size=size, add=add))


_SAID: dict[str, Callable[[dict[str, int]], str]] = {
    "no_members": lambda facts: str(_("%(num)s members: nothing to form", num=facts["n"])),
    "size_below_one": lambda facts: str(_("group size must be at least 1, not %(size)s",
                                          size=facts["min_size"])),
    "min_above_max": lambda facts: str(_(
        "minimum group size %(low)s is larger than maximum group size %(high)s",
        low=facts["min_size"], high=facts["max_size"])),
    "too_few": _too_few,
    "no_split": lambda facts: str(_(
        "%(num)s members cannot form groups of %(span)s: use %(low)s–%(high)s or %(add)s",
        num=facts["n"], span=_span(facts), low=facts["low"], high=facts["high"],
        add=_add(facts["add"]))),
}


def infeasible(exc: FormationError) -> str:
    """What ``exc`` says, in the current language: a case the library names, in this
    language's words; any other case in the library's English, or, in another language, a
    sentence of its own."""
    said = _SAID.get(exc.reason)
    if said is not None:
        return said(exc.facts)
    if current_language() == DEFAULT:
        return str(exc)
    return str(_("the sizes and rules of this run cannot hold its members"))


__all__ = ["infeasible"]
