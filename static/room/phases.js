/* The live room's per-phase panels: contributions, review, feedback, commitments, the agenda
 * and the summary. Part of the live room (static/room.js lists its modules). */
import {
  $, KINDS_BY_PHASE, KIND_NAMES, PHASE_HINTS, PHASE_NAMES, REVIEW_NAMES, REVIEW_STATUSES, activeStage,
  agendaOpen, byId, call, clearOnEdit, el, holds, isLive, keyed, nameOf, room, serverNow, show,
  showError
} from "./core.js";
import { t } from "../i18n.js";
import { wholeNumber } from "./refusal.js";
import { isClient, myTrio, renderRound, roundKinds, turnedAway } from "./formats.js";

var phaseKindShown = null;

export function renderPhasePanel(phase) {
  var status = room.state.session.status;
  var kind = phase ? phase.kind : null;
  show($("phase-panel"), status === "live" || status === "scheduled");
  $("phase-title").textContent = status === "scheduled" ? t("Waiting to start") :
    kind ? PHASE_NAMES[kind] || kind : t("Ready to close");
  $("phase-hint").textContent = kind ? PHASE_HINTS[kind] || "" :
    status === "scheduled" ? t("You can already build the agenda below.") : "";
  var prompt = kind === "checkin" && phase.prompt;
  show($("phase-prompt"), Boolean(prompt));
  $("phase-prompt").textContent = prompt || "";
  renderRound(phase);
  renderContributions(kind);
  renderReview(kind);
  renderFeedback(kind);
  renderCommitments(kind);
}

function renderContributions(kind) {
  var stage = activeStage();
  var items = stage ? room.state.contributions.filter(function (c) { return c.stage_id === stage.id; }) : [];
  var focusMine = (kind === "focus" && stage && stage.focus_user_id === room.state.me) ||
    (kind === "rounds" && isClient(stage, room.state.me));
  var stoppable = kind === "rounds" && room.state.session.format === "clearness" && holds("facilitator");
  $("contributions").replaceChildren.apply($("contributions"), items.map(function (c) {
    var parts = [el("span", { class: "badge kind kind-" + c.kind, text: KIND_NAMES[c.kind] || c.kind }), " ",
      el("strong", { text: nameOf(c.author_id) + ": " }),
      el("span", { class: "contribution-text", text: c.text })];
    if (c.helped) {
      parts.push(" ", el("span", { class: "badge helped", text: t("helped") }));
    }
    var item = el("li", { "data-contribution-id": c.id, "data-helped": c.helped ? "true" : "false" }, parts);
    if (focusMine && isLive()) {
      var error = el("p", { class: "error", role: "alert", hidden: true });
      var toggle = el("button", {
        type: "button", class: "link", "aria-pressed": c.helped ? "true" : "false",
        text: c.helped ? t("Unmark helped") : t("This helped")
      });
      toggle.addEventListener("click", function () {
        call("live:helped", { contribution_id: c.id, helped: !c.helped }, error);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(toggle);
      item.appendChild(error);
    }
    if (stoppable && isLive()) {
      var stopError = el("p", { class: "error", role: "alert", hidden: true });
      var stop = el("button", { type: "button", class: "link", "data-testid": "stop-contribution",
        text: t("Stop: advice in disguise") });
      stop.addEventListener("click", function () {
        call("live:stop", { contribution_id: c.id }, stopError);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(stop);
      item.appendChild(stopError);
    }
    return item;
  }));
  var phase = room.state.phases.filter(function (p) { return p.status === "active"; })[0];
  var kinds = isLive() && kind ? (kind === "rounds" ? roundKinds() : KINDS_BY_PHASE[kind]) : null;
  if (kind === "rounds" && (turnedAway(phase, stage) || (phase.trios && !myTrio(phase)))) {
    kinds = null;  // the client only listens now: the server would refuse it
  }
  show($("contribute-form"), Boolean(kinds));
  if (kinds && phaseKindShown !== kind) {
    phaseKindShown = kind;
    $("contribute-kind").replaceChildren.apply($("contribute-kind"), kinds.map(function (k) {
      return el("option", { value: k, text: KIND_NAMES[k] || k });
    }));
    showError($("contribute-error"), "");
  }
}

function renderReview(kind) {
  var inReview = isLive() && kind === "review";
  show($("review-panel"), inReview);
  if (!inReview) {
    return;
  }
  var carried = room.state.agenda.filter(function (i) { return i.carried_over; });
  show($("carried-panel"), carried.length > 0);
  $("carried-list").replaceChildren.apply($("carried-list"), carried.map(function (i) {
    return el("li", { text: i.title + " — " + nameOf(i.author_id) });
  }));
  var items = room.state.commitments.to_review;
  keyed($("review-list"), items, function (c) { return c.id; }, function (c) {
    var node = el("li", { "data-commitment-id": c.id });
    node.appendChild(el("p", { class: "what" }));
    if (c.user_id === room.state.me) {
      var form = el("form", { class: "stack review-form" });
      var select = el("select", { "aria-label": t("How did it go?"), class: "review-status" },
        REVIEW_STATUSES.map(function (s) { return el("option", { value: s, text: REVIEW_NAMES[s] || s }); }));
      var reflection = el("input", { "aria-label": t("A line of reflection"), class: "review-reflection", maxlength: 1000, placeholder: t("A line of reflection") });
      var error = el("p", { class: "error", role: "alert", hidden: true });
      form.appendChild(select);
      form.appendChild(reflection);
      form.appendChild(el("button", { type: "submit", class: "button secondary", text: t("Save my review") }));
      form.appendChild(error);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        call("live:review", { commitment_id: c.id, status: select.value, reflection: reflection.value }, error);
      });
      node.appendChild(form);
    }
    return node;
  }, function (node, c) {
    node.querySelector(".what").textContent = nameOf(c.user_id) + ": " + c.text +
      (c.due_on ? " " + t("(by %(date)s)", { date: c.due_on }) : "") + " — " + (c.status === "open" ? t("not reviewed yet") : REVIEW_NAMES[c.status] || c.status) +
      (c.reflection ? ": " + c.reflection : "");
  });
}

/* Feedback goes between members who were in this session (their presence is not "absent":
 * someone who left early is listed, someone who never came is not), in the feedback phase
 * and, after the end, until ``feedback.open_until`` (docs/realtime.md). */
function present() {
  return room.state.members.filter(function (m) { return m.presence !== "absent"; });
}

function lateFeedbackOpen() {
  var until = room.state.feedback.open_until;
  var me = byId(room.state.members, room.state.me);
  return room.state.session.status === "ended" && Boolean(until) &&
    serverNow() < Date.parse(until) && Boolean(me) && me.presence !== "absent";
}

function renderFeedback(kind) {
  var inFeedback = isLive() && kind === "feedback";
  show($("feedback-panel"), inFeedback);
  var received = room.state.feedback.received;
  show($("feedback-received-box"), received.length > 0 && room.state.session.status !== "ended");
  $("feedback-received").replaceChildren.apply($("feedback-received"), received.map(feedbackItem));
  if (inFeedback) {
    renderFeedbackForms($("feedback-forms"), $("feedback-progress"));
  }
}

export function renderLateFeedback() {
  var open = lateFeedbackOpen();
  show($("late-feedback"), open);
  if (!open) {
    return;
  }
  $("late-feedback-until").textContent = new Date(room.state.feedback.open_until).toLocaleDateString(
    undefined, { weekday: "long", day: "numeric", month: "long" });
  renderFeedbackForms($("late-feedback-forms"), $("late-feedback-progress"));
}

function renderFeedbackForms(container, progress) {
  var here = present();
  var ids = here.map(function (m) { return m.id; });
  var others = here.filter(function (m) { return m.id !== room.state.me; });
  var pairs = room.state.feedback.pairs.filter(function (p) {
    return ids.indexOf(p[0]) >= 0 && ids.indexOf(p[1]) >= 0;
  });
  var given = room.state.feedback.given_to.filter(function (id) { return ids.indexOf(id) >= 0; });
  progress.textContent = t("Feedback given among the %(here)s who were here: %(pairs)s of %(all)s. You have given to %(given)s of %(others)s.", {
    here: here.length, pairs: pairs.length, all: here.length * (here.length - 1), given: given.length, others: others.length });
  keyed(container, others, function (m) { return m.id; }, function (m) {
    return feedbackForm(m, container.id);
  }, function (form, m) {
    form.querySelector(".to").textContent = t("To %(name)s", { name: m.display_name });
    var done = room.state.feedback.given_to.indexOf(m.id) >= 0;
    form.setAttribute("data-given", done ? "true" : "false");
    form.querySelector(".given").textContent = done ? t("Given — sending again rewrites it.") : "";
  });
}

function feedbackForm(m, where) {
  var form = el("form", { class: "card feedback-form", "data-receiver-id": m.id, "data-testid": "feedback-form", novalidate: true });
  var strength = el("textarea", { id: where + "-strength-" + m.id, class: "strength", maxlength: 1000 });
  var suggestion = el("textarea", { id: where + "-suggestion-" + m.id, class: "suggestion", maxlength: 1000 });
  var errors = { "": el("p", { class: "error", role: "alert", hidden: true }),
    strength: el("p", { class: "error strength-error", role: "alert", hidden: true }),
    suggestion: el("p", { class: "error suggestion-error", role: "alert", hidden: true }) };
  clearOnEdit(strength, [errors.strength, errors[""]]);
  clearOnEdit(suggestion, [errors.suggestion, errors[""]]);
  [el("h3", { class: "to" }), el("label", { "for": strength.id, text: t("A strength you noticed in %(name)s", { name: m.display_name }) }),
    strength, errors.strength, el("label", { "for": suggestion.id, text: t("One suggestion for %(name)s", { name: m.display_name }) }),
    suggestion, errors.suggestion,
    el("button", { type: "submit", class: "button", text: t("Give feedback to %(name)s", { name: m.display_name }) }),
    errors[""], el("p", { class: "given muted" })].forEach(function (part) { form.appendChild(part); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    call("live:feedback", { receiver_id: m.id, strength: strength.value, suggestion: suggestion.value }, errors);
  });
  return form;
}

function feedbackItem(f) {
  return el("li", { "data-giver-id": f.giver_id }, [
    el("strong", { text: t("From %(name)s.", { name: nameOf(f.giver_id) }) + " " }),
    t("Strength:") + " ", el("span", { class: "strength", text: f.strength }),
    " " + t("Suggestion:") + " ", el("span", { class: "suggestion", text: f.suggestion })]);
}

function renderCommitments(kind) {
  var inPhase = isLive() && kind === "commitments";
  show($("commitments-panel"), inPhase);
  var made = room.state.commitments.made;
  show($("commitments-made-box"), made.length > 0 && room.state.session.status !== "ended");
  $("commitments-made").replaceChildren.apply($("commitments-made"), made.map(function (c) {
    var item = el("li", { "data-commitment-id": c.id }, [
      el("strong", { text: nameOf(c.user_id) + ": " }), c.text + (c.due_on ? " " + t("(by %(date)s)", { date: c.due_on }) : "")]);
    if (inPhase && c.user_id === room.state.me) {
      var error = el("p", { class: "error", role: "alert", hidden: true });
      var withdraw = el("button", { type: "button", class: "link", text: t("withdraw") });
      withdraw.addEventListener("click", function () {
        call("live:commit_withdraw", { commitment_id: c.id }, error);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(withdraw);
      item.appendChild(error);
    }
    return item;
  }));
}

export function renderAgenda() {
  var open = agendaOpen();
  show($("agenda-edit"), open);
  show($("agenda-panel"), room.state.session.status !== "cancelled" && room.state.session.status !== "ended");
  show($("agenda-empty"), room.state.agenda.length === 0);
  var stage = activeStage();
  keyed($("agenda"), room.state.agenda, function (i) { return i.id; }, agendaRow, function (row, item) {
    var index = room.state.agenda.indexOf(item);
    row.querySelector(".title").textContent = item.title;
    row.querySelector(".by").textContent = " — " + nameOf(item.author_id) +
      (item.carried_over ? t(" (carried over)") : "");
    row.setAttribute("data-covered", item.covered ? "true" : "false");
    row.setAttribute("data-current", stage && stage.agenda_item_id === item.id ? "true" : "false");
    row.querySelector(".covered").hidden = !item.covered;
    var minutes = row.querySelector(".timebox");
    // A refused value stays, with its explanation, until it is edited or saved.
    var refused = !row.querySelector('[data-testid="agenda-timebox-error"]').hidden;
    if (document.activeElement !== minutes && !refused) {
      minutes.value = String(item.timebox_minutes);
    }
    minutes.disabled = !open;
    row.querySelector(".minutes-read").textContent = t("%(n)s min", { n: item.timebox_minutes });
    row.querySelector(".edit").hidden = !open;
    row.querySelector(".minutes-read").hidden = open;
    row.querySelector(".up").disabled = index === 0;
    row.querySelector(".down").disabled = index === room.state.agenda.length - 1;
    row.querySelector(".author-only").hidden = !(open && item.author_id === room.state.me);
  });
}

function agendaRow(item) {
  var id = item.id;
  var error = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "agenda-item-error" });
  var minutesError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "agenda-timebox-error" });
  var minutes = el("input", {
    type: "number", min: 1, max: 60, class: "timebox short", inputmode: "numeric",
    "aria-label": t("Minutes for this item"), "data-testid": "agenda-timebox"
  });
  minutes.addEventListener("input", function () { showError(minutesError, ""); });
  minutes.addEventListener("change", function () {
    call("live:agenda_timebox", { item_id: id, timebox_minutes: wholeNumber(minutes.value) },
      { "": error, timebox_minutes: minutesError });
  });
  // The visible word is part of the spoken name (WCAG 2.5.3); the arrow is decoration.
  var up = el("button", { type: "button", class: "button secondary up", "aria-label": t("Move up"), "data-testid": "agenda-up" },
    [el("span", { "aria-hidden": "true", text: "↑" }), " " + t("up")]);
  var down = el("button", { type: "button", class: "button secondary down", "aria-label": t("Move down"), "data-testid": "agenda-down" },
    [el("span", { "aria-hidden": "true", text: "↓" }), " " + t("down")]);
  up.addEventListener("click", function () { move(id, -1, error); });
  down.addEventListener("click", function () { move(id, 1, error); });
  var rename = el("button", { type: "button", class: "link", text: t("rename") });
  var remove = el("button", { type: "button", class: "link", text: t("remove") });
  var renameError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "agenda-rename-error" });
  var renameForm = el("form", { class: "inline-form", hidden: true, novalidate: true }, [
    el("input", { class: "rename-title", maxlength: 200, "aria-label": t("New title") }),
    el("button", { type: "submit", class: "button secondary", text: t("Save") }), renameError]);
  clearOnEdit(renameForm.querySelector("input"), [renameError]);
  rename.addEventListener("click", function () {
    renameForm.hidden = !renameForm.hidden;
    var current = byId(room.state.agenda, id);
    renameForm.querySelector("input").value = current ? current.title : "";
  });
  renameForm.addEventListener("submit", function (event) {
    event.preventDefault();
    call("live:agenda_rename", { item_id: id, title: renameForm.querySelector("input").value },
      { "": error, title: renameError }, function () { renameForm.hidden = true; });
  });
  remove.addEventListener("click", function () {
    call("live:agenda_remove", { item_id: id }, error);
  });
  return el("li", { "data-item-id": id, "data-testid": "agenda-item", class: "agenda-item" }, [
    el("span", { class: "title" }), el("span", { class: "by muted" }), " ",
    el("span", { class: "badge covered", text: t("covered"), hidden: true }),
    el("span", { class: "minutes-read muted" }),
    el("span", { class: "edit" }, [minutes, " min ", up, down,
      el("span", { class: "author-only" }, [" ", rename, " ", remove])]),
    minutesError, renameForm, error]);
}

function move(id, step, error) {
  var ids = room.state.agenda.map(function (i) { return i.id; });
  var at = ids.indexOf(id);
  var to = at + step;
  if (at < 0 || to < 0 || to >= ids.length) {
    return;
  }
  ids.splice(at, 1);
  ids.splice(to, 0, id);
  call("live:agenda_reorder", { item_ids: ids }, error);
}

export function renderMyCommitments() {
  var mine = room.state.commitments.to_review.filter(function (c) { return c.user_id === room.state.me; });
  $("my-commitments").replaceChildren.apply($("my-commitments"), mine.map(function (c) {
    return el("li", { "data-commitment-id": c.id }, [c.text + (c.due_on ? " " + t("(by %(date)s)", { date: c.due_on }) : "") +
      " — " + (REVIEW_NAMES[c.status] || c.status) + (c.reflection ? ": " + c.reflection : "")]);
  }));
  show($("my-commitments-empty"), mine.length === 0);
}

export function renderSummary() {
  renderLateFeedback();
  var summary = room.state.summary;
  var ended = room.state.session.status === "ended" && summary && summary.agenda;
  show($("summary-panel"), Boolean(ended));
  if (!ended) {
    return;
  }
  $("summary-agenda").replaceChildren.apply($("summary-agenda"), summary.agenda.map(function (i) {
    return el("li", { "data-covered": i.covered ? "true" : "false" }, [
      i.title + " — " + nameOf(i.author_id) + ", " + t("%(n)s min", { n: i.timebox_minutes }) + " " + (i.covered ? t("(covered)") : t("(not reached)"))]);
  }));
  $("summary-contributions").replaceChildren.apply($("summary-contributions"), summary.contributions.map(function (c) {
    return el("li", {}, [el("span", { class: "badge kind", text: KIND_NAMES[c.kind] || c.kind }), " ",
      el("strong", { text: nameOf(c.author_id) + ": " }), c.text + (c.helped ? " " + t("(helped)") : "")]);
  }));
  $("summary-commitments").replaceChildren.apply($("summary-commitments"), summary.commitments.map(function (c) {
    return el("li", {}, [el("strong", { text: nameOf(c.user_id) + ": " }), c.text + (c.due_on ? " " + t("(by %(date)s)", { date: c.due_on }) : "")]);
  }));
  $("summary-attendees").textContent = summary.attendees.map(nameOf).join(", ") || t("Nobody joined.");
  var feedback = summary.feedback || [];
  $("summary-feedback").replaceChildren.apply($("summary-feedback"), feedback.length ? feedback.map(feedbackItem)
    : [el("li", { class: "muted", text: t("None this time.") })]);
}
