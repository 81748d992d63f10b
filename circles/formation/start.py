"""Starting a formation run: sizes, rounds, weights and seed checked, and the rules checked
before any solving, so the facilitator hears at once what cannot hold and why."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import GROUP_MAX
from circles.communities.renewal import renewed_members
from circles.errors import InvalidInput
from circles.formation.capacity import cohort_rounds
from circles.formation.constraints import constraints_for
from circles.formation.infeasible import infeasible
from circles.formation.pair_utility import Utilities, pair_utilities
from circles.formation.problem import bounds_for
from circles.formation.weights import check_weights, community_weights
from circles.kept import shown
from circles.members.availability import week_of
from circles.models import Community, FormationRun, Membership, User
from graph.errors import InfeasibleError

MAX_ROUNDS = 12


DEFAULT_SEED = 1


MAX_SEED = 2**31 - 1


#: What a whole-number field counts, in its two problems (``%(lo)s``, ``%(hi)s``: its range).
WHOLE = {
    "members": (_l("Use a whole number of members."), _l("Choose from %(lo)s to %(hi)s members.")),
    "rounds": (_l("Use a whole number of rounds."), _l("Choose from %(lo)s to %(hi)s rounds.")),
    "seed": (_l("Use a whole number for the seed."),
             _l("Choose from %(lo)s to %(hi)s for the seed.")),
}


def _whole(errors: dict[str, str], field: str, value: Any, lo: int, hi: int, what: str) -> int:
    """``value`` as a whole number from ``lo`` to ``hi``, or a problem under ``errors[field]``
    (``what``: a key of ``WHOLE``)."""
    not_whole, out_of_range = WHOLE[what]
    try:
        number = int(value)
        if number != value and str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = str(not_whole)
        return 0
    if not lo <= number <= hi:
        errors[field] = str(out_of_range) % {"lo": lo, "hi": hi}
    return number


def sentence(text: str) -> str:
    """A solver message as a sentence for the form: capital first, full stop last."""
    return f"{text[:1].upper()}{text[1:].rstrip('.')}."


def pool_ids(db: Session, community_id: int) -> list[int]:
    """Who formation places: the community's active members (facilitators run it), less
    those who asked for a break after calling it a day and the members of circles everyone
    renewed (kept intact as they are)."""
    renewed = renewed_members(db, community_id)
    return [uid for uid in db.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community_id, Membership.role == "member", User.is_active,
               Membership.wants_rematch)
        .order_by(User.id)) if uid not in renewed]


def start_run(db: Session, community: Community, creator: User, *, min_size: Any, max_size: Any,
              rounds: Any = 1, weights: dict[str, Any] | None = None,
              allow_repeats: bool = False, seed: Any = None,
              today: date | None = None) -> FormationRun:
    """Record a draft run after checking every field and that the rounds asked for can keep
    everyone meeting new people (unless ``allow_repeats``); the chosen weights become the
    community's. Raises InvalidInput naming min_size, max_size, rounds, seed or a weight."""
    errors: dict[str, str] = {}
    low = _whole(errors, "min_size", min_size, 2, GROUP_MAX, "members")
    high = _whole(errors, "max_size", max_size, 2, GROUP_MAX, "members")
    count = _whole(errors, "rounds", rounds, 1, MAX_ROUNDS, "rounds")
    chosen_seed = DEFAULT_SEED if seed in (None, "") else _whole(
        errors, "seed", seed, 0, MAX_SEED, "seed")
    if not errors.keys() & {"min_size", "max_size"} and low > high:
        errors["max_size"] = _("The largest size must be at least the smallest.")
    chosen, weight_errors = check_weights(weights or {})
    errors.update(weight_errors)
    pool = pool_ids(db, community.id)
    monday = week_of(today or date.today())
    if not errors:
        _check_feasible(db, community.id, pool, monday, low, high, count, allow_repeats, errors)
    if errors:
        raise InvalidInput(errors)
    community.formation_weights = {**(community.formation_weights or {}), **chosen}
    run = FormationRun(
        community_id=community.id, created_by_id=creator.id, status="draft", plan={},
        locked=[], figures={}, excluded=[],
        params={"min_size": low, "max_size": high, "rounds": count,
                "weights": community_weights(community), "member_ids": pool,
                "week_of": monday.isoformat(), "seed": chosen_seed,
                "allow_repeats": bool(allow_repeats), "pins": []},
    )
    db.add(run)
    db.flush()
    return run


def _check_feasible(db: Session, community_id: int, pool: list[int], monday: date, low: int,
                    high: int, rounds: int, allow_repeats: bool, errors: dict[str, str]) -> None:
    """Before solving: sizes that cover everyone who can be placed (those who cannot are
    named, with why), and few enough rounds that the cohort can still meet only new people
    (each round takes ``smallest - 1`` new people from everyone a member has not met)."""
    _matrix, util = pair_utilities(db, community_id, pool, {}, monday=monday,
                                   with_matrix=False)
    rules = constraints_for(db, community_id, util, min_size=low)
    rows = [i for i in range(len(pool)) if i not in rules.excluded]
    try:
        bounds = bounds_for(len(rows), low, high, rounds)
    except InfeasibleError as exc:
        errors["min_size"] = sentence(set_aside_prefix(util, rules.excluded) + infeasible(exc))
        return
    if rounds == 1 or allow_repeats:
        return
    smallest = min(lo for lo, _ in bounds)
    most = cohort_rounds(rules, len(pool), rows, smallest)
    if len(bounds) < smallest:  # a later circle takes at most one from each earlier circle
        most = min(most, 1)
    if rounds > most:
        errors["rounds"] = (ngettext(
            "%(members)s members in circles of %(size)s can meet only new people for at most "
            "%(num)d round: plan %(plan)s or fewer, or let people meet again where there is no "
            "other way.",
            "%(members)s members in circles of %(size)s can meet only new people for at most "
            "%(num)d rounds: plan %(plan)s or fewer, or let people meet again where there is no "
            "other way.", most, members=len(rows), size=smallest, plan=max(most, 1))
            if low == high else ngettext(
            "%(members)s members in circles of %(size)s or more can meet only new people for at "
            "most %(num)d round: plan %(plan)s or fewer, or let people meet again where there "
            "is no other way.",
            "%(members)s members in circles of %(size)s or more can meet only new people for at "
            "most %(num)d rounds: plan %(plan)s or fewer, or let people meet again where there "
            "is no other way.", most, members=len(rows), size=smallest, plan=max(most, 1)))


def set_aside_prefix(util: Utilities, excluded: dict[int, str]) -> str:
    """"with Nia (no weekly hour in common with 3 other members) set aside, " — or ""."""
    aside = [f"{util.members[i].name} ({shown(why).split(': ', 1)[-1].rstrip('.')})"
             for i, why in sorted(excluded.items())]
    if not aside:
        return ""
    return str(_("with %(people)s set aside, ", people="; ".join(aside[:3]) + (" …" if len(aside) > 3
                                                                             else "")))
