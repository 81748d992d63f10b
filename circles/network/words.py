"""The network metrics in plain language: one or two sentences a member can act on."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from graph.network import RANGE_CUT, STRONG, STRONG_CUT

LABELS = {
    "size": _l("Size"),
    "new_ties": _l("New ties this round"),
    "novelty": _l("Novelty"),
    "range": _l("Range"),
    "blau": _l("Diversity"),
    "strong_share": _l("Tie-strength mix"),
    "effective_size": _l("Effective size"),
    "efficiency": _l("Efficiency"),
    "constraint": _l("Constraint"),
    "coverage": _l("Complementarity coverage"),
    "hk_type": _l("Developmental network type"),
}
HK_TEXT = {
    "receptive": _l("Receptive: mostly weak ties within few social systems. A starting point: "
                    "each round can add people from somewhere new, and some ties will grow "
                    "strong."),
    "traditional": _l("Traditional: strong ties within few social systems. Deep support, but "
                      "your advice comes from similar places; reach out beyond them."),
    "opportunistic": _l("Opportunistic: weak ties across many social systems. Wide reach; "
                        "turning a few of these ties into close ones brings real support."),
    "entrepreneurial": _l("Entrepreneurial: strong ties across many social systems — the kind "
                          "of developmental network Higgins and Kram link to learning and "
                          "growth."),
}
#: The Higgins–Kram types by name, as the metric's value is shown.
HK_NAMES = {"receptive": _l("Receptive"), "traditional": _l("Traditional"),
            "opportunistic": _l("Opportunistic"), "entrepreneurial": _l("Entrepreneurial")}
_WORDS = (_l("no"), _l("one"), _l("two"), _l("three"), _l("four"), _l("five"), _l("six"),
          _l("seven"), _l("eight"), _l("nine"), _l("ten"), _l("eleven"), _l("twelve"))


def _about(value: float) -> str:
    n = round(value)
    return str(_WORDS[n]) if 0 <= n < len(_WORDS) else str(n)


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
        "coverage": pct(m["coverage"]),
        "hk_type": str(HK_NAMES.get(str(m["hk_type"]), str(m["hk_type"]).capitalize())),
    }
    return {key: {"label": str(LABELS[key]), "value": m[key],
                  "display": display.get(key, str(m[key])), "explanation": text}
            for key, text in sentences.items()}


def _reach(m: dict[str, Any], *, round_label: str, externals: int, mates: int, new_mates: int,
           new_systems: list[str]) -> dict[str, str]:
    """How far the network reaches: its size, new ties, novelty and range."""
    size = int(m["size"])
    from_circles = size - externals
    if externals:
        size_text = ngettext(
            "Size %(num)d: %(num)d person in your developmental network — %(circles)s from "
            "Circles and %(outside)s from outside.",
            "Size %(num)d: %(num)d people in your developmental network — %(circles)s from "
            "Circles and %(outside)s from outside.", size, circles=from_circles,
            outside=externals)
    else:
        size_text = ngettext("Size %(num)d: %(num)d person in your developmental network.",
                             "Size %(num)d: %(num)d people in your developmental network.", size)
    new_ties = int(m["new_ties"])
    systems = int(m["range"])
    range_text = ngettext(
        "Range %(range)s: your contacts come from %(num)d social system (organisation and "
        "department, or the context of someone outside Circles); %(wide)s or more is a wide "
        "network.",
        "Range %(range)s: your contacts come from %(num)d social systems (organisation and "
        "department, or the context of someone outside Circles); %(wide)s or more is a wide "
        "network.", systems, range=m["range"], wide=RANGE_CUT)
    if new_systems:
        range_text += " " + _("New this round: %(systems)s.", systems=", ".join(new_systems))
    return {
        "size": size_text,
        "new_ties": (ngettext("%(num)d new tie this round: people you first met since "
                              "%(round)s began.", "%(num)d new ties this round: people you "
                              "first met since %(round)s began.", new_ties, round=round_label)
                     if round_label else _("New ties are counted from your first circle on.")),
        "novelty": (ngettext("Novelty %(share)s: %(new)s of your %(num)d circle-mate this round "
                             "was new to you.", "Novelty %(share)s: %(new)s of your %(num)d "
                             "circle-mates this round were new to you.", mates,
                             share=pct(m["novelty"]), new=new_mates) if mates
                    else _("No circle-mates this round yet, so nothing to measure.")),
        "range": range_text,
    }


def _shape(m: dict[str, Any], *, strong: int, covered: int, needs: int) -> dict[str, str]:
    """What shape the network has: diversity, tie strength, redundancy, coverage, type."""
    size = int(m["size"])
    return {
        "blau": _("Diversity %(value)s (0 to 1): the chance that two of your contacts picked "
                  "at random come from different social systems.", value=f"{m['blau']:.2f}"),
        "strong_share": _("%(strong)s and %(weak)s (%(share)s strong; a tie is strong from a "
                          "strength of %(cut)s, and %(cut_share)s strong makes a strong-tie "
                          "network). Strong ties give support and trust; weak ties bring news "
                          "from further away.",
                          strong=ngettext("%(num)d strong tie", "%(num)d strong ties", strong),
                          weak=ngettext("%(num)d weak tie", "%(num)d weak ties", size - strong),
                          share=pct(m["strong_share"]), cut=f"{STRONG:g}",
                          cut_share=pct(STRONG_CUT)),
        "effective_size": _("Effective size %(value)s: about %(about)s of your contacts bring "
                            "you people and ideas the others don't.",
                            value=f"{m['effective_size']:.1f}",
                            about=_about(m["effective_size"])),
        "efficiency": _("Efficiency %(share)s: the share of your contacts who are not redundant "
                        "— the higher, the less your contacts overlap.",
                        share=pct(m["efficiency"])),
        "constraint": _("Constraint %(value)s: how much your contacts all know each other. Lower "
                        "means a more open network that hears from more places.",
                        value=f"{m['constraint']:.2f}"),
        "coverage": (ngettext("Coverage %(share)s: someone in your network has a strength in "
                              "%(covered)s of your %(num)d question and goal topic.",
                              "Coverage %(share)s: someone in your network has a strength in "
                              "%(covered)s of your %(num)d question and goal topics.", needs,
                              share=pct(m["coverage"]), covered=covered)
                     if needs else _("Nothing to cover yet: add questions or learning goals "
                                     "with a topic to your profile to see who in your network "
                                     "can help.")),
        "hk_type": str(HK_TEXT[str(m["hk_type"])]),
    }
