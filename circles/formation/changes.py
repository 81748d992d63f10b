"""What preparing a planned round changed, in words for the facilitator: who left, who
joined, who was moved or set aside, and how many circles stayed as planned.

``circles.formation.next_round.prepare_next_round`` re-optimises the round; the functions
here take plain values (user ids and the changes it recorded).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

#: Each kind of change with its words (``%(names)s``: who).
CHANGE_WORDS = (("left", _l("%(names)s left")), ("joined", _l("%(names)s joined")),
                ("ended", _l("%(names)s called it a day and will be placed again")),
                ("moved", _l("%(names)s moved to another circle")),
                ("set_aside", _l("%(names)s cannot be placed now (see Not placed)")))


def changed_ids(changes: dict[str, Any]) -> set[int]:
    return {uid for key, _words in CHANGE_WORDS for uid in changes.get(key, [])}


def describe_changes(changes: dict[str, Any], names: dict[int, str]) -> str:
    """What preparing a round changed, as a line: "Ana left · Ben joined · 4 circles as
    planned, 1 regrouped" ("" when the round was not prepared)."""
    if not changes:
        return ""
    former = _("A former member")
    parts = [str(words) % {"names": ", ".join(names.get(uid, former) for uid in changes[key])}
             for key, words in CHANGE_WORDS if changes.get(key)]
    kept, regrouped = changes.get("kept", 0), changes.get("regrouped", 0)
    if not parts:
        return str(ngettext("Nobody joined or left: all %(num)d circle as planned",
                            "Nobody joined or left: all %(num)d circles as planned", kept))
    return " · ".join([*parts, ngettext("%(num)d circle as planned, %(regrouped)s regrouped",
                                        "%(num)d circles as planned, %(regrouped)s regrouped",
                                        kept, regrouped=regrouped)])


def as_planned(circle: list[int], previous: list[list[int]]) -> bool:
    """Whether ``circle`` is a planned circle (at least two of it left) plus newcomers only."""
    mine = set(circle)
    touched = [set(p) for p in previous if mine & set(p)]
    return len(touched) == 1 and len(touched[0]) >= 2 and touched[0] <= mine
