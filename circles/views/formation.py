"""Facilitator "Form circles" pages: settings, progress, preview with reasons, hand
adjustments, publish or discard; once a round is out, prepare and publish the next one.
Everything here is facilitator-only; others get 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from circles.communities import community as communities
from circles.communities.rounds import round_number, round_offset
from circles.errors import CirclesError, InvalidInput, NotFound
from circles.extensions import current_member, db
from circles.formation import edits, next_round, start, weights
from circles.formation import preview as formation_runs
from circles.formation import publish as formation_publish
from circles.formation.figures import FIGURE_LABELS, FIGURE_MEANINGS
from circles.kept import shown
from circles.models import Circle, Community, FormationRun
from circles.views import formation_runner
from circles.views.formation_forms import FormationForm, MoveForm, PairForm, RoundForm
from circles.views.forms import render_form, submit
from realtime import broadcast

bp = Blueprint("formation", __name__)


def _run(run_id: int) -> tuple[FormationRun, Community]:
    """The run and its community when the current user facilitates it; 404 for anyone else."""
    run = db().get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    try:
        community = communities.community_for_facilitator(db(), current_member(), run.community_id)
    except NotFound as exc:
        raise NotFound("formation run") from exc
    return run, community


def _computed(run: FormationRun) -> bool:
    return bool((run.plan or {}).get("rounds"))


def _start(form: FormationForm, community: Community) -> FormationRun:
    """Create the run; size problems are shown next to the field the chosen format uses."""
    min_size, max_size = form.sizes()
    try:
        return start.start_run(db(), community, current_member(), min_size=min_size,
                                   max_size=max_size, rounds=form.rounds.data or 0,
                                   weights=form.weights(), seed=form.seed.data,
                                   allow_repeats=bool(form.allow_repeats.data))
    except InvalidInput as exc:
        fields = {form.size_field_for(name.removeprefix("weights.")): problem
                  for name, problem in exc.errors.items()}
        raise InvalidInput(fields) from exc


@bp.route("/communities/<int:community_id>/formation/new", methods=["GET", "POST"])
@login_required
def new(community_id: int) -> ResponseReturnValue:
    """A facilitator chooses format, rounds and weights, and starts forming circles."""
    community = communities.community_for_facilitator(db(), current_member(), community_id)
    form = FormationForm.prefilled(weights.community_weights(community))
    user_id = current_user.id
    run = submit(form, lambda: _start(form, community))
    if run is None:
        return render_form("formation/new.html", form, community=community)
    run_id = run.id
    formation_runner.start(run_id, user_id, time_limit=form.time_limit_seconds())
    return redirect(url_for("formation.show", run_id=run_id))


@bp.get("/formation/<int:run_id>/status")
@login_required
def status(run_id: int) -> ResponseReturnValue:
    """How far the run has got, ``{"status", "fraction"}``, for a page without a socket."""
    run, _community = _run(run_id)
    if _computed(run) or run.status != "draft":
        return {"status": run.status, "fraction": 1.0}
    progress = formation_runner.progress_of(run.id)
    if progress is not None and progress.error:
        return {"status": "failed", "fraction": 1.0, "error": shown(progress.error)}
    if progress is None and formation_runner.lost(run):
        return {"status": "failed", "fraction": 1.0, "error": formation_runner.LOST}
    return {"status": "computing", "fraction": progress.fraction if progress else 0.0}


@bp.get("/formation/<int:run_id>")
@login_required
def show(run_id: int) -> ResponseReturnValue:
    """A progress bar while the run computes, then its preview."""
    run, community = _run(run_id)
    if not _computed(run) and run.status in ("draft", "failed"):
        progress = formation_runner.progress_of(run.id)
        failed = shown(run.params.get("error")) if run.status == "failed" else (
            formation_runner.LOST if progress is None and formation_runner.lost(run) else None)
        if progress is not None and progress.error:  # in the reader's language
            failed = failed or shown(progress.error)
        return render_template("formation/progress.html", run=run, community=community,
                               progress=progress, failed=failed)
    return _preview(run, community)


@bp.post("/formation/<int:run_id>/retry")
@login_required
def retry(run_id: int) -> ResponseReturnValue:
    """Compute a run again that failed or was interrupted by a crash (same settings and seed)."""
    run, _community = _run(run_id)
    try:
        formation_runner.retry(run)
    except CirclesError as exc:
        db().rollback()
        flash(exc.message, "error")
        return redirect(url_for("formation.show", run_id=run_id))
    formation_runner.start(run_id, current_user.id, time_limit=run.params.get("time_limit"))
    return redirect(url_for("formation.show", run_id=run_id))


def _figure_table(view: formation_runs.RunPreview) -> list[dict[str, Any]]:
    """Every figure for the whole plan, each round, and both baselines, with its meaning."""
    return [{"key": key, "label": label, "meaning": FIGURE_MEANINGS[key],
             "plan": _figure(key, view.figures.get(key)),
             "rounds": [_figure(key, row.get(key)) for row in view.by_round],
             "random": _figure(key, view.baseline.get(key)),
             "greedy": _figure(key, view.greedy.get(key))}
            for key, label in FIGURE_LABELS.items()]


def _figure(key: str, value: Any) -> str:
    """A figure as people read it: shares in per cent, means with one decimal."""
    if value is None:
        return "—"
    if key.endswith(("_ratio", "_coverage", "_answered")):
        return f"{float(value):.0%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _why(circle: formation_runs.CirclePreview) -> list[str]:
    """Why this circle, in words, with the weekly hour its members share."""
    return [*circle.reasons, *([_('All free %(common_time)s', common_time=circle.common_time)] if circle.common_time else [])]


def _preview(run: FormationRun, community: Community, status: int = 200,
             **errors: Any) -> ResponseReturnValue:
    """Render the preview; ``errors`` put problems next to the control that caused them."""
    view = formation_runs.preview(db(), run, current_member().timezone)
    names = {uid: name for c in view.circles for uid, name in zip(c.member_ids, c.names, strict=True)}
    round_one = sorted(((uid, names[uid]) for c in view.circles if c.round_no == 1
                        for uid in c.member_ids), key=lambda pair: pair[1].casefold())
    context: dict[str, Any] = {"move_errors": {}, "pair_errors": [], "publish_errors": []}
    context.update(errors)
    return render_template("formation/preview.html", run=run, community=community, view=view,
                           names=names, round_one=round_one, offset=round_offset(db(), run),
                           others_open=formation_publish.others_open(db(), run),
                           table=_figure_table(view), why=_why, **context), status


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _moved_json(run: FormationRun, round_no: int, message: str) -> ResponseReturnValue:
    """What the preview page needs to refresh itself after a move, without a reload."""
    view = formation_runs.preview(db(), run, current_member().timezone)
    circles = [{"index": c.index, "name": c.name, "member_ids": c.member_ids, "why": _why(c),
                "breaks": c.breaks}
               for c in view.circles if c.round_no == round_no]
    figures = _figure_table(view)
    return {"ok": True, "message": message, "circles": circles, "figures": figures}


def _adjust(form: MoveForm | PairForm, operation: Callable[[], object]) -> bool:
    """Run an adjustment through ``submit``: committed, or rolled back with its errors."""
    def done() -> bool:
        operation()
        return True
    return submit(form, done) is not None


def _problems(form: MoveForm | PairForm) -> list[str]:
    found = [e for field in form for e in field.errors] + list(form.form_errors)
    return found or [_("Choose where to move them.")]


@bp.post("/formation/<int:run_id>/move")
@login_required
def move(run_id: int) -> ResponseReturnValue:
    """Move a member to another circle of the same round; the figures are recomputed."""
    run, community = _run(run_id)
    form = MoveForm()
    if not _adjust(form, lambda: edits.move_member(
            db(), run, form.user_id.data or 0, form.round_no.data or 0, form.to_circle.data or 0)):
        if _wants_json():
            return {"ok": False, "errors": _problems(form)}, 422
        key = (form.round_no.data, form.user_id.data)
        return _preview(run, community, 422, move_errors={key: _problems(form)})
    message = (_("Moved; the other circles were re-formed around the move and the figures are "
               "recomputed."))
    if _wants_json():
        return _moved_json(run, form.round_no.data or 0, message)
    flash(message, "ok")
    return redirect(url_for("formation.show", run_id=run_id))


@bp.post("/formation/<int:run_id>/lock")
@login_required
def lock(run_id: int) -> ResponseReturnValue:
    """Lock two members together in every round of the plan; the figures are recomputed."""
    return _pair_change(run_id, edits.lock_pair,
                        _("Locked: those two stay together; the other circles were re-formed "
                        "around them."))


@bp.post("/formation/<int:run_id>/unlock")
@login_required
def unlock(run_id: int) -> ResponseReturnValue:
    """Release a locked pair."""
    return _pair_change(run_id, edits.unlock_pair, _("Unlocked."))


def _pair_change(run_id: int, change: Callable[[Session, FormationRun, int, int], object],
                 done: str) -> ResponseReturnValue:
    """Apply a lock or unlock of the posted pair; errors go next to the pair control."""
    run, community = _run(run_id)
    form = PairForm()
    if not _adjust(form, lambda: change(db(), run, form.a.data or 0, form.b.data or 0)):
        return _preview(run, community, 422, pair_errors=_problems(form))
    flash(done, "ok")
    return redirect(url_for("formation.show", run_id=run_id))


def _round_no(run: FormationRun, community: Community) -> tuple[int | None, ResponseReturnValue | None]:
    """The round the page asked for (None: the next one), or the page again when unreadable."""
    form = RoundForm()
    if form.validate_on_submit():
        return form.round_no.data, None
    return None, _preview(run, community, 422,
                          publish_errors=[_("That round could not be read: reload the page and try again.")])


@bp.post("/formation/<int:run_id>/prepare")
@login_required
def prepare(run_id: int) -> ResponseReturnValue:
    """Reconcile the next round with who joined or left since it was planned (short: inline)."""
    run, community = _run(run_id)
    round_no, refused = _round_no(run, community)
    if refused is not None:
        return refused
    try:
        changes = next_round.prepare_next_round(db(), run, round_no=round_no)
        db().commit()
    except CirclesError as exc:
        db().rollback()
        return _preview(run, community, exc.status, publish_errors=[exc.message])
    flash(_('Round %(round)s prepared: %(changes)s.', round=round_number(db(), run, changes['round']), changes=formation_runs.changes_line(db(), changes)), "ok")
    return redirect(url_for("formation.show", run_id=run_id))


@bp.post("/formation/<int:run_id>/publish")
@login_required
def publish(run_id: int) -> ResponseReturnValue:
    """Publish the next round as circles (closing the round before it); members are told at once."""
    run, community = _run(run_id)
    round_no, refused = _round_no(run, community)
    if refused is not None:
        return refused
    others = request.form.get("others", "close")
    try:
        closing = len(formation_publish.others_open(db(), run)) if others == "close" else 0
        created = formation_publish.publish(db(), run, round_no=round_no, others=others,
                                            accept=request.form.getlist("accept"))
        db().commit()
    except CirclesError as exc:
        db().rollback()
        words = list(exc.errors.values()) if isinstance(exc, InvalidInput) else [exc.message]
        return _preview(run, community, exc.status, publish_errors=words)
    for made in created:
        broadcast.placed_in_circle(made)
    flash(_published(run, created, closing), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


def _published(run: FormationRun, created: list[Circle], closing: int) -> str:
    """What publishing did, in one sentence, with the community's round numbers."""
    published = (created[0].round_no or 1) if created else 1
    number = round_number(db(), run, published)
    closed = [_("round %(number)s's circles", number=number - 1)] if published > 1 else []
    if closing:
        closed.append(ngettext('%(num)d other open circle', '%(num)d other open circles', closing))
    closed_words = _(' and closed %(closed)s', closed=_(' and ').join(closed)) if closed else ""
    return str(_('Published %(created)s circles for round %(number)s%(closed_words)s; their '
                 'members can see them now.', created=len(created), number=number,
                 closed_words=closed_words))


@bp.post("/formation/<int:run_id>/discard")
@login_required
def discard(run_id: int) -> ResponseReturnValue:
    """Throw the plan away; nothing is published."""
    run, community = _run(run_id)
    try:
        formation_publish.discard(db(), run)
        db().commit()
    except CirclesError as exc:
        db().rollback()
        return _preview(run, community, exc.status, publish_errors=[exc.message])
    flash(_("Discarded that plan; nothing was published."), "ok")
    return redirect(url_for("communities.show", community_id=community.id))
