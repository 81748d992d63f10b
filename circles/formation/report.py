"""What a run's plan achieves, kept on the run: figures per round and for the whole plan, the
rules it breaks, who sits which round out, and notes in words."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from circles.formation.figures import counts_by_round, from_counts, total
from circles.formation.pair_utility import Utilities
from circles.kept import each_in_every_language, keep, shown
from circles.models import FormationRun


def keep_set_aside(run: FormationRun, found: dict[int, dict[int, str]], *, first: int) -> None:
    """Store who is set aside in which round (rounds before ``first`` keep theirs)."""
    kept = {k: v for k, v in (run.figures.get("set_aside") or {}).items() if int(k) < first}
    kept.update({str(r): {str(uid): keep(why) for uid, why in members.items()}
                 for r, members in found.items()})
    run.figures = {**run.figures, "set_aside": kept}


def set_aside_in(run: FormationRun, round_no: int) -> list[dict[str, Any]]:
    """Everyone not placed in round ``round_no``: left out of the whole plan, or only this
    round (``{user_id, reason}``)."""
    rows = [dict(row) for row in run.excluded]
    for uid, why in (run.figures.get("set_aside") or {}).get(str(round_no), {}).items():
        rows.append({"user_id": int(uid), "reason": why, "round": round_no})
    return rows


def refresh_figures(run: FormationRun, rounds: list[list[list[int]]], util: Utilities,
                    breaks: list[Any], *, first: int) -> None:
    """Figures of rounds ``first`` on (earlier rounds keep the figures they were published
    with), the plan's totals, the rules it breaks, and the notes; a new dict, so it is saved."""
    figures = dict(run.figures)
    fresh = counts_by_round(rounds[first - 1:], util)
    kept = list(figures.get("rounds", []))[: first - 1]
    rows = kept + [from_counts(c) | {"counts": c} for c in fresh]
    figures["rounds"] = rows
    figures["plan"] = from_counts(total([row["counts"] for row in rows]))
    for name, values in figures.get("baselines", {}).items():
        figures[name if name != "random" else "baseline"] = from_counts(
            total([row["counts"] for row in values]))
    figures["breaks"] = [b.as_dict() for b in breaks]
    # Kept with the run, written where no reader is: in every language (circles.kept).
    figures["notes"] = [keep(note) for note in each_in_every_language(
        lambda: _notes(util, figures))]
    run.figures = figures


def _notes(util: Utilities, figures: dict[str, Any]) -> list[str]:
    notes: list[str] = [shown(note) for note in figures.get("before", [])]
    free = [m.name for m in util.members if not m.has_availability]
    if free:
        notes.append(ngettext("%(num)d member gave no weekly availability and count as free "
                              "at any time.", "%(num)d members gave no weekly availability and "
                              "count as free at any time.", len(free)))
    aside = {uid for members in (figures.get("set_aside") or {}).values() for uid in members}
    if aside:
        notes.append(ngettext("%(num)d member sits at least one round out: no circle of people "
                              "new to them shared their hours there. Fewer rounds, or letting "
                              "people meet again, would place more of them.",
                              "%(num)d members sit at least one round out: no circle of people "
                              "new to them shared their hours there. Fewer rounds, or letting "
                              "people meet again, would place more of them.", len(aside)))
    if figures.get("complete") is False:
        notes.append(_("The search stopped at its time limit before its usual number of "
                       "steps: the same seed may give a slightly different plan."))
    return notes
