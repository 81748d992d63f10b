"""What preparing a planned round changed, in words for the facilitator: who left, who
joined, who was moved or set aside, and how many circles stayed as planned.

``circles.formation.next_round.prepare_next_round`` re-optimises the round; the functions
here take plain values (user ids and the changes it recorded).
"""

from __future__ import annotations

from typing import Any

CHANGE_WORDS = (("left", "left"), ("joined", "joined"),
                ("ended", "called it a day and will be placed again"),
                ("moved", "moved to another circle"),
                ("set_aside", "cannot be placed now (see Not placed)"))


def changed_ids(changes: dict[str, Any]) -> set[int]:
    return {uid for key, _ in CHANGE_WORDS for uid in changes.get(key, [])}


def describe_changes(changes: dict[str, Any], names: dict[int, str]) -> str:
    """What preparing a round changed, as a line: "Ana left · Ben joined · 4 circles as
    planned, 1 regrouped" ("" when the round was not prepared)."""
    if not changes:
        return ""
    parts = [f"{', '.join(names.get(uid, 'A former member') for uid in changes[key])} {words}"
             for key, words in CHANGE_WORDS if changes.get(key)]
    kept, regrouped = changes.get("kept", 0), changes.get("regrouped", 0)
    if not parts:
        return f"Nobody joined or left: all {kept} circles as planned"
    circles = "1 circle" if kept == 1 else f"{kept} circles"
    return " · ".join([*parts, f"{circles} as planned, {regrouped} regrouped"])


def as_planned(circle: list[int], previous: list[list[int]]) -> bool:
    """Whether ``circle`` is a planned circle (at least two of it left) plus newcomers only."""
    mine = set(circle)
    touched = [set(p) for p in previous if mine & set(p)]
    return len(touched) == 1 and len(touched[0]) >= 2 and touched[0] <= mine
