"""Hand edits of a plan: move a member, lock or unlock a pair; each re-optimises the rest.

A move pins a member to the circle the facilitator chose, a lock pins a pair together in
round 1; then every round not yet published is re-optimised around the pins within a second
or two. An edit that would leave a rule broken that was not broken before is refused with
the reason, and nothing is saved."""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from circles.communities.rounds import round_offset
from circles.errors import Conflict, InvalidInput, NotFound
from circles.formation.plan import draft_run
from circles.formation.preview import break_words
from circles.formation.problem import Break, bounds_for
from circles.formation.reform import pins_of, reoptimise, store
from circles.formation.stored import circle_name, editable, names_of, planned, stored_breaks
from circles.models import FormationRun


def _refuse_new_breaks(db: Session, before: list[Break], after: list[Break], field: str,
                       who: str, offset: int) -> None:
    """Refuse an edit after which some rule is broken more often than before it."""
    old = Counter(b.rule for b in before)
    worse = [b for b in after if Counter(x.rule for x in after)[b.rule] > old[b.rule]]
    if worse:
        names = names_of(db, {uid for b in worse for uid in b.members})
        words = break_words(worse[0], names, offset)
        raise InvalidInput.field(field, _("%(who)s: that would leave %(what)s", who=who,
                                          what=f"{words[0].lower()}{words[1:]}"))


def move_member(db: Session, run: FormationRun, user_id: int, round_no: int,
                to_circle_index: int) -> FormationRun:
    """Move one member to another circle of a round not yet published and re-optimise the
    rest around them; refused (nothing saved) when it would break a rule that held."""
    run, first = editable(db, run.id)
    rounds = planned(run)
    if not 1 <= round_no <= len(rounds):
        raise InvalidInput.field("round_no", _("Choose a round from 1 to %(last)s.",
                                                 last=len(rounds)))
    if round_no < first:
        raise Conflict(_("Round %(round)s is published already: its circles are not changed "
                         "here.", round=round_no))
    circles = rounds[round_no - 1]
    source = next((c for c in circles if user_id in c), None)
    if source is None:
        raise NotFound("member")
    if not 0 <= to_circle_index < len(circles):
        raise InvalidInput.field("to_circle", _("Choose a circle from 1 to %(last)s.",
                                                  last=len(circles)))
    pins = pins_of(run)
    if source is circles[to_circle_index]:  # "keep them here": pinned where they are
        pins[(round_no, user_id)] = to_circle_index
        run.params = {**run.params, "pins": [[r, uid, g] for (r, uid), g in sorted(pins.items())]}
        return run
    fixed = [uid for uid in circles[to_circle_index] if (round_no, uid) in pins]
    if len(fixed) + 1 > _largest(run, circles):
        names = names_of(db, set(fixed))
        label = circle_name(round_no, to_circle_index, round_offset(db, run))
        raise InvalidInput.field("to_circle", _(
            "%(circle)s is full of members placed there by hand (%(names)s): move one of them "
            "first.", circle=label, names=", ".join(names[uid] for uid in fixed)))
    partner = next((b if a == user_id else a for a, b in run.locked if user_id in (a, b)), None)
    if partner is not None and round_no == 1:
        names = names_of(db, {user_id, partner})
        raise InvalidInput.field("member", _("%(name)s is locked with %(partner)s: unlock the "
                                             "pair first.", name=names[user_id],
                                             partner=names[partner]))
    source.remove(user_id)
    circles[to_circle_index].append(user_id)
    pins[(round_no, user_id)] = to_circle_index
    reformed = reoptimise(db, run, rounds, first, pins)
    name = names_of(db, {user_id})[user_id]
    _refuse_new_breaks(db, [b for b in stored_breaks(run) if b.round_no >= first],
                       reformed.solved.breaks, "to_circle",
                       _("%(name)s cannot join %(circle)s", name=name,
                         circle=circle_name(round_no, to_circle_index, round_offset(db, run))),
                       round_offset(db, run))
    store(run, reformed, pins)
    return run


def _largest(run: FormationRun, circles: list[list[int]]) -> int:
    """The largest circle this round allows."""
    return max(hi for _, hi in bounds_for(sum(map(len, circles)), run.params["min_size"],
                                          run.params["max_size"], run.params["rounds"],
                                          len(circles)))


def lock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    """Keep two members together in round 1: b joins a's circle, both are pinned there and
    the rest is re-optimised; refused when they must not meet or it would break a rule."""
    draft_run(db, run.id)
    if a == b:
        raise InvalidInput.field("member", _("Choose two different members."))
    rounds = planned(run)
    home = next((i for i, c in enumerate(rounds[0]) if a in c), None)
    if home is None or not any(b in c for c in rounds[0]):
        raise NotFound("member")
    for circle in rounds[0]:
        if b in circle:
            circle.remove(b)
    rounds[0][home].append(b)
    pins = {**pins_of(run), (1, a): home, (1, b): home}
    reformed = reoptimise(db, run, rounds, 1, pins)
    names = names_of(db, {a, b})
    _refuse_new_breaks(db, stored_breaks(run), reformed.solved.breaks, "member",
                       _("%(name)s and %(other)s cannot be locked together", name=names[a],
                         other=names[b]),
                       round_offset(db, run))
    run.locked = [*[p for p in run.locked if set(p) != {a, b}], sorted((a, b))]
    store(run, reformed, pins)
    return run


def unlock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    """Release a locked pair (their circle stays as it is until the next edit)."""
    draft_run(db, run.id)
    run.locked = [p for p in run.locked if set(p) != {a, b}]
    run.params = {**run.params, "pins": [[r, uid, g] for r, uid, g in run.params.get("pins", [])
                                         if not (r == 1 and uid in (a, b))]}
    return run
