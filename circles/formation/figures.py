"""What a plan achieves, in figures, beside a random grouping of the same sizes."""

from __future__ import annotations

import itertools
import random
from typing import Any

from flask_babel import lazy_gettext as _l

from circles.formation.facts import MemberFacts
from circles.formation.pair_utility import Utilities
from circles.members.availability import always, meeting_starts

Rounds = list[list[list[int]]]  # round -> circle -> user ids


FIGURES = ("new_tie_ratio", "complementarity_coverage", "questions_answered", "mean_departments",
           "repeated_pairs", "members_without_new_tie", "circles_without_shared_hour")


COUNTS = ("pairs", "new", "repeated", "asked", "answered", "needs", "met_needs", "departments",
          "circles", "members", "no_new_tie", "no_hour")

#: Figures in the order shown, with what each one means (the page explains every figure).
FIGURE_LABELS = {
    "new_tie_ratio": _l("New-tie ratio"),
    "complementarity_coverage": _l("Complementarity coverage"),
    "questions_answered": _l("Questions and goals answered"),
    "mean_departments": _l("Departments per circle"),
    "repeated_pairs": _l("Repeated pairs"),
    "members_without_new_tie": _l("Members without a new tie"),
    "circles_without_shared_hour": _l("Circles without a shared hour"),
}
FIGURE_MEANINGS = {
    "new_tie_ratio": _l("Share of pairs in a circle who had never met (no tie, no earlier "
                        "circle, not in an earlier round of this plan)."),
    "complementarity_coverage": _l("Share of members whose top question a circle-mate's "
                                   "strength answers."),
    "questions_answered": _l("Share of all questions and learning goals with a topic that a "
                             "circle-mate's strength answers."),
    "mean_departments": _l("Distinct departments in a circle, on average."),
    "repeated_pairs": _l("Pairs who already shared a circle, or meet in two rounds of this "
                         "plan."),
    "members_without_new_tie": _l("Members whose circle holds nobody new to them."),
    "circles_without_shared_hour": _l("Circles whose members share no hour a week."),
}



def round_counts(circles: list[list[int]], util: Utilities,
                 planned: set[frozenset[int]]) -> dict[str, int]:
    """What one round achieves, as counts (``planned``: pairs met in earlier rounds of the
    plan; ``util.met`` and ``util.shared_circle`` already count what happened before it)."""
    counts = dict.fromkeys(COUNTS, 0)
    for circle in circles:
        members = [util.members[util.index[uid]] for uid in circle]
        counts["circles"] += 1
        counts["departments"] += len({m.department_key for m in members if m.department})
        new_for: set[int] = set()
        for a, b in itertools.combinations(circle, 2):
            i, j, pair = util.index[a], util.index[b], frozenset((a, b))
            counts["pairs"] += 1
            if util.met[i, j] == 0 and pair not in planned:
                counts["new"] += 1
                new_for |= {a, b}
            counts["repeated"] += bool(util.shared_circle[i, j]) or pair in planned
        counts["members"] += len(circle)
        counts["no_new_tie"] += len(circle) - len(new_for)
        counts["no_hour"] += not shares_an_hour(members)
        for member in members:
            given = {key for mate in members if mate is not member for key in mate.strengths}
            if member.top_topic:
                counts["asked"] += 1
                counts["answered"] += member.top_topic in given
            counts["needs"] += len(member.needs)
            counts["met_needs"] += len(member.needs & given)
    return counts


def shares_an_hour(members: list[MemberFacts]) -> bool:
    """Whether the members share an hour a week (those who gave no hours are free)."""
    starts = always()
    for member in members:
        if member.has_availability:
            starts = starts & meeting_starts(member.mask)
    return bool(starts.any())


def from_counts(counts: dict[str, int]) -> dict[str, Any]:
    """The figures of a round or of a plan (sum the rounds' counts first).

    - ``new_tie_ratio``: share of within-circle pairs with no tie who had not met before
      (in an earlier circle or an earlier round of this plan);
    - ``complementarity_coverage``: share of members whose top (first) question has a topic
      that is a strength of a circle-mate (members whose top question has no topic are left
      out of the denominator);
    - ``questions_answered``: the same for every question and learning goal with a topic;
    - ``mean_departments``: distinct departments per circle, averaged;
    - ``repeated_pairs``: within-circle pairs who already shared a circle, or met in an
      earlier round of this plan;
    - ``members_without_new_tie``: members whose circle holds nobody new to them;
    - ``circles_without_shared_hour``: circles whose members share no hour a week.
    """
    def share(part: str, whole: str) -> float:
        return round(counts[part] / counts[whole], 4) if counts[whole] else 0.0

    return {
        "new_tie_ratio": share("new", "pairs"),
        "complementarity_coverage": share("answered", "asked"),
        "questions_answered": share("met_needs", "needs"),
        "mean_departments": round(counts["departments"] / counts["circles"], 2)
        if counts["circles"] else 0.0,
        "repeated_pairs": counts["repeated"],
        "members_without_new_tie": counts["no_new_tie"],
        "circles_without_shared_hour": counts["no_hour"],
    }


def counts_by_round(rounds: Rounds, util: Utilities) -> list[dict[str, int]]:
    """Each round's counts; pairs of earlier rounds in ``rounds`` count as met."""
    planned: set[frozenset[int]] = set()
    found = []
    for circles in rounds:
        found.append(round_counts(circles, util, planned))
        planned |= {frozenset(p) for c in circles for p in itertools.combinations(c, 2)}
    return found


def total(rows: list[dict[str, int]]) -> dict[str, int]:
    return {key: sum(row[key] for row in rows) for key in COUNTS}


def random_rounds(rounds: Rounds, *, seed: int | None) -> Rounds:
    """The baseline: each round's members shuffled (seeded) into circles of the same sizes."""
    rng = random.Random(seed)
    baseline: Rounds = []
    for circles in rounds:
        pool = [uid for circle in circles for uid in circle]
        rng.shuffle(pool)
        cut = list(itertools.accumulate(len(c) for c in circles))
        baseline.append([pool[a:b] for a, b in zip([0, *cut][:len(cut)], cut, strict=True)])
    return baseline
