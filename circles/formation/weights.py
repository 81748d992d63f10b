"""A community's formation weights: the defaults, the facilitator's choices, and checking
them as numbers from 0 to 100."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from circles.formation.pair_utility import DEFAULT_WEIGHTS
from circles.models import Community

MAX_WEIGHT = 100.0


def community_weights(community: Community) -> dict[str, float]:
    """The community's weights, with the defaults for any it has not chosen."""
    chosen = community.formation_weights or {}
    return {key: float(chosen.get(key, value)) for key, value in DEFAULT_WEIGHTS.items()}


def check_weights(raw: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """Weights as numbers from 0 to 100, and a problem per field (named after the key)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(DEFAULT_WEIGHTS))
    if unknown:
        errors["weights"] = _("Unknown weight: %(names)s.", names=", ".join(unknown))
    weights: dict[str, float] = {}
    for key in DEFAULT_WEIGHTS:
        if key not in raw or raw[key] in (None, ""):
            continue
        try:
            value = float(raw[key])
        except (TypeError, ValueError):
            errors[key] = _("Use a number from 0 to 100.")
            continue
        if not 0 <= value <= MAX_WEIGHT:  # also refuses NaN, which compares false
            errors[key] = _("Use a number from 0 to 100.")
        else:
            weights[key] = value
    return weights, errors
