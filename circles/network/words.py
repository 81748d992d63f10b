"""The network metrics in plain language: one or two sentences a member can act on."""

from __future__ import annotations

from typing import Any

from graph.network import RANGE_CUT, STRONG, STRONG_CUT

LABELS = {
    "size": "Size",
    "new_ties": "New ties this round",
    "novelty": "Novelty",
    "range": "Range",
    "blau": "Diversity",
    "strong_share": "Tie-strength mix",
    "effective_size": "Effective size",
    "efficiency": "Efficiency",
    "constraint": "Constraint",
    "coverage": "Complementarity coverage",
    "hk_type": "Developmental network type",
}
HK_TEXT = {
    "receptive": "Receptive: mostly weak ties within few social systems. A starting point: "
                 "each round can add people from somewhere new, and some ties will grow strong.",
    "traditional": "Traditional: strong ties within few social systems. Deep support, but "
                   "your advice comes from similar places; reach out beyond them.",
    "opportunistic": "Opportunistic: weak ties across many social systems. Wide reach; "
                     "turning a few of these ties into close ones brings real support.",
    "entrepreneurial": "Entrepreneurial: strong ties across many social systems — the kind of "
                       "developmental network Higgins and Kram link to learning and growth.",
}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _about(value: float) -> str:
    n = round(value)
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def pct(value: float) -> str:
    return f"{round(value * 100)}%"


def explain(m: dict[str, Any], *, round_label: str, externals: int, strong: int,
            mates: int, new_mates: int, new_systems: list[str], covered: int,
            needs: int) -> dict[str, dict[str, Any]]:
    """Each metric with its label, value, display text and plain-language explanation.

    ``m`` holds ``graph.network.ego_metrics`` plus ``new_ties`` and ``novelty``.
    """
    sentences = {**_reach(m, round_label=round_label, externals=externals, mates=mates,
                          new_mates=new_mates, new_systems=new_systems),
                 **_shape(m, strong=strong, covered=covered, needs=needs)}
    display = {
        "novelty": pct(m["novelty"]), "blau": f"{m['blau']:.2f}",
        "strong_share": pct(m["strong_share"]), "effective_size": f"{m['effective_size']:.1f}",
        "efficiency": pct(m["efficiency"]), "constraint": f"{m['constraint']:.2f}",
        "coverage": pct(m["coverage"]), "hk_type": str(m["hk_type"]).capitalize(),
    }
    return {key: {"label": LABELS[key], "value": m[key],
                  "display": display.get(key, str(m[key])), "explanation": text}
            for key, text in sentences.items()}


def _reach(m: dict[str, Any], *, round_label: str, externals: int, mates: int, new_mates: int,
           new_systems: list[str]) -> dict[str, str]:
    """How far the network reaches: its size, new ties, novelty and range."""
    size = int(m["size"])
    from_circles = size - externals
    return {
        "size": f"Size {size}: {_count(size, 'person')} in your developmental network"
                .replace("persons", "people")
                + (f" — {from_circles} from Circles and {externals} from outside."
                   if externals else "."),
        "new_ties": (f"{_count(int(m['new_ties']), 'new tie')} this round: people you first "
                     f"met since {round_label} began." if round_label
                     else "New ties are counted from your first circle on."),
        "novelty": (f"Novelty {pct(m['novelty'])}: {new_mates} of your {mates} circle-mates "
                    "this round were new to you." if mates
                    else "No circle-mates this round yet, so nothing to measure."),
        "range": f"Range {m['range']}: your contacts come from "
                 f"{_count(int(m['range']), 'social system')} (organisation and department, "
                 f"or the context of someone outside Circles); {RANGE_CUT} or more is a wide "
                 "network."
                 + (f" New this round: {', '.join(new_systems)}." if new_systems else ""),
    }


def _shape(m: dict[str, Any], *, strong: int, covered: int, needs: int) -> dict[str, str]:
    """What shape the network has: diversity, tie strength, redundancy, coverage, type."""
    size = int(m["size"])
    return {
        "blau": f"Diversity {m['blau']:.2f} (0 to 1): the chance that two of your contacts "
                "picked at random come from different social systems.",
        "strong_share": f"{_count(strong, 'strong tie')} and {_count(size - strong, 'weak tie')} "
                        f"({pct(m['strong_share'])} strong; a tie is strong from a strength of "
                        f"{STRONG:g}, and {pct(STRONG_CUT)} strong makes a strong-tie network). "
                        "Strong ties give support and trust; weak ties bring news from further "
                        "away.",
        "effective_size": f"Effective size {m['effective_size']:.1f}: about "
                          f"{_about(m['effective_size'])} of your contacts bring you people and "
                          "ideas the others don't.",
        "efficiency": f"Efficiency {pct(m['efficiency'])}: the share of your contacts who are "
                      "not redundant — the higher, the less your contacts overlap.",
        "constraint": f"Constraint {m['constraint']:.2f}: how much your contacts all know each "
                      "other. Lower means a more open network that hears from more places.",
        "coverage": (f"Coverage {pct(m['coverage'])}: someone in your network has a strength "
                     f"in {covered} of your {_count(needs, 'question and goal topic')}."
                     if needs else "Nothing to cover yet: add questions or learning goals with "
                     "a topic to your profile to see who in your network can help."),
        "hk_type": HK_TEXT[str(m["hk_type"])],
    }