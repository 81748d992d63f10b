/* The live room's rendering: phase bar, people, hands, facilitator, takeover and timer; the
 * phase panels come from phases.js. Part of the live room (static/room.js lists its modules). */
import {
  $, PHASE_NAMES, PRESENCE_NAMES, ROLE_NAMES, STATUS_NAMES, activePhase, activeStage, byId, call, el, holds,
  isLive, nameOf, presenceOf, room, root, serverNow, show
} from "./core.js";
import { t } from "../i18n.js";
import { TIME_UP, announcements, facts, say, timerAnnouncement } from "./announce.js";
import { renderAgenda, renderMyCommitments, renderPhasePanel, renderSummary } from "./phases.js";
import { FORMAT_PHASES, clientWord, isClient, renderAirtime, roundLine } from "./formats.js";

var signalled = {};      // timers whose zero was already signalled
var told = null;         // the facts last announced (announce.js)
var lastLeft = { key: null, ms: null };  // the timer as last ticked, for its announcements
var audio = null;        // created on a click only, so the browser never refuses it

export function render() {
  if (!room.state) {
    return;
  }
  var phase = activePhase();
  var status = room.state.session.status;
  root.setAttribute("data-status", status);
  root.setAttribute("data-phase", phase ? phase.kind : "");
  $("room-status").textContent = STATUS_NAMES[status] || status;
  renderPhaseBar(phase);
  renderStageLine(phase);
  renderMembers();
  renderHands();
  renderFacilitator(phase);
  renderTakeover();
  renderTimer();
  renderPhasePanel(phase);
  renderAgenda();
  renderMyCommitments();
  renderSummary();
  renderAirtime();
  show($("notes-panel"), status !== "cancelled");
  announce();
}

function announce() {
  var now = facts(room.state.session.status, $("stage-line").textContent,
    room.state.members.map(function (m) {
      return { id: m.id, name: m.display_name, presence: presenceOf(m) };
    }));
  announcements(told, now, room.state.me).forEach(say);
  told = now;
}

function renderPhaseBar(current) {
  var planned = FORMAT_PHASES[room.state.session.format] || room.plannedPhases || [];
  var kinds = room.state.phases.length ? room.state.phases : planned.map(function (k) {
    return { kind: k, status: "pending", stages: [] };
  });
  $("phase-bar").replaceChildren.apply($("phase-bar"), kinds.map(function (phase) {
    var label = PHASE_NAMES[phase.kind] || phase.kind;
    var item = el("li", {
      "data-kind": phase.kind, "data-status": phase.status, class: "phase " + phase.status,
      "aria-current": current && phase === current ? "step" : null
    }, [label]);
    if (current && phase === current && phase.stages.length > 1) {
      var n = phase.stages.indexOf(activeStage()) + 1;
      item.appendChild(el("span", { class: "stage-count", text: " " + n + "/" + phase.stages.length }));
    }
    if (phase.status === "done") {
      item.appendChild(el("span", { class: "visually-hidden", text: " (done)" }));
    }
    return item;
  }));
}

function renderStageLine(phase) {
  var status = room.state.session.status;
  var text;
  if (status === "scheduled") {
    text = room.state.roles.facilitator
      ? t("Waiting for %(name)s (facilitator) to start the session.", { name: nameOf(room.state.roles.facilitator) })
      : t("The facilitator role is vacant: whoever starts the session facilitates it.");
  } else if (status === "ended") {
    text = t("The session has ended.");
  } else if (status === "cancelled") {
    text = t("This session was cancelled.");
  } else if (!phase) {
    text = t("All phases are done: the facilitator can end the session.");
  } else {
    var stage = activeStage();
    text = PHASE_NAMES[phase.kind] || phase.kind;
    if (stage && phase.kind === "rounds") {
      $("stage-line").textContent = text + " · " + roundLine(phase, stage);
      return;
    }
    if (stage && phase.stages.length > 1) {
      text += " · " + t("%(n)s of %(total)s", { n: phase.stages.indexOf(stage) + 1, total: phase.stages.length });
    }
    if (stage && stage.agenda_item_id) {
      var item = byId(room.state.agenda, stage.agenda_item_id);
      if (item) {
        text += " · “" + item.title + "”";
      }
    }
    if (stage && stage.focus_user_id) {
      text += " · " + (stage.focus_user_id === room.state.me ? t("your turn") : t("%(name)s’s turn", { name: nameOf(stage.focus_user_id) }));
    }
  }
  $("stage-line").textContent = text;
}

function roleBadges(id) {
  var badges = [];
  ["facilitator", "timekeeper", "note_taker"].forEach(function (role) {
    if (room.state.roles[role] === id) {
      badges.push(el("span", { class: "badge role role-" + role, "data-role": role, text: ROLE_NAMES[role] }));
    }
  });
  var stage = activeStage();
  if (isLive() && stage && stage.step && isClient(stage, id)) {
    badges.push(el("span", { class: "badge role role-client", "data-role": "client", text: clientWord() }));
  } else if (isLive() && stage && stage.focus_user_id === id) {
    badges.push(el("span", { class: "badge role role-focus", "data-role": "focus", text: t("focus") }));
  }
  if (isLive() && stage && stage.recorder_id === id) {
    badges.push(el("span", { class: "badge role role-recorder", "data-role": "recorder", text: "recorder" }));
  }
  return badges;
}

function renderMembers() {
  $("members").replaceChildren.apply($("members"), room.state.members.map(function (m) {
    var presence = presenceOf(m);
    var hand = room.state.hands.indexOf(m.id);
    var parts = [el("span", { class: "presence-dot", "aria-hidden": "true" }),
      el("span", { class: "member-name", text: m.display_name + (m.id === room.state.me ? " " + t("(you)") : "") }),
      " ",
      el("span", { class: "presence-label", text: PRESENCE_NAMES[presence] || presence })];
    parts = parts.concat(roleBadges(m.id).map(function (b) { return [" ", b]; })
      .reduce(function (a, b) { return a.concat(b); }, []));
    if (m.ready) {
      parts.push(" ", el("span", { class: "badge ready", text: t("ready") }));
    }
    if (hand >= 0) {
      parts.push(" ", el("span", { class: "badge hand", text: t("hand raised #%(n)s", { n: hand + 1 }) }));
    }
    return el("li", {
      "data-member-id": m.id, "data-presence": presence, "data-ready": m.ready ? "true" : "false",
      class: "member presence-" + presence
    }, parts);
  }));
  var me = byId(room.state.members, room.state.me);
  var joined = me && me.presence === "here";
  show($("my-controls"), isLive() && joined);
  var raised = room.state.hands.indexOf(room.state.me) >= 0;
  $("hand-toggle").textContent = raised ? t("Lower my hand") : t("Raise hand");
  $("hand-toggle").setAttribute("aria-pressed", raised ? "true" : "false");
  var ready = Boolean(me && me.ready);
  $("ready-toggle").textContent = ready ? t("Not ready yet") : t("I'm ready");
  $("ready-toggle").setAttribute("aria-pressed", ready ? "true" : "false");
}

function renderHands() {
  var facilitating = holds("facilitator") && isLive();
  $("hands").replaceChildren.apply($("hands"), room.state.hands.map(function (id) {
    var item = el("li", { "data-member-id": id }, [nameOf(id)]);
    if (facilitating && id !== room.state.me) {
      var lower = el("button", { type: "button", class: "link", text: "lower" });
      lower.addEventListener("click", function () {
        call("live:hand", { raised: false, member_id: id }, $("hands-error"));
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(lower);
    }
    return item;
  }));
  show($("hands-empty"), room.state.hands.length === 0);
}

function renderFacilitator(phase) {
  var status = room.state.session.status;
  var vacant = room.state.roles.facilitator === null;
  var mine = holds("facilitator");
  show($("facilitator-controls"), (status === "scheduled" && (mine || vacant)) || (status === "live" && mine));
  show($("start-session"), status === "scheduled");
  $("start-session").textContent = mine ? t("Start the session") : t("Start the session (and facilitate it)");
  show($("advance"), status === "live");
  show($("end-session"), status === "live");
  if (status !== "live") {
    show($("end-confirm"), false);
  }
  show($("prompt-form"), status === "live" && phase !== null && phase.kind === "checkin");
  if (phase && phase.kind === "checkin" && document.activeElement !== $("prompt-text")) {
    $("prompt-text").value = phase.prompt || "";
  }
  var here = room.state.members.filter(function (m) { return presenceOf(m) === "here"; });
  var ready = here.filter(function (m) { return m.ready; });
  $("ready-count").textContent = status === "live" ? t("Ready: %(ready)s of %(here)s here", { ready: ready.length, here: here.length }) +
    (ready.length ? " (" + ready.map(function (m) { return m.display_name; }).join(", ") + ")" : "") : "";
}

function renderTakeover() {
  var facilitator = room.state.roles.facilitator;
  var handover = room.state.roles.handover;
  var away = facilitator === null || presenceOf(byId(room.state.members, facilitator) || { presence: "away" }) !== "here";
  var canTakeOver = isLive() && holds("timekeeper") && facilitator !== room.state.me && away;
  var canTakeBack = isLive() && handover !== null && handover.from === room.state.me && facilitator !== room.state.me;
  show($("take-over"), canTakeOver);
  show($("take-back"), canTakeBack);
  show($("takeover-controls"), canTakeOver || canTakeBack || (isLive() && handover !== null));
  var hint = "";
  if (handover) {
    hint = handover.from
      ? t("%(name)s took over facilitation from %(from)s.", { name: nameOf(handover.to), from: nameOf(handover.from) })
      : t("%(name)s took over facilitation.", { name: nameOf(handover.to) });
  } else if (canTakeOver) {
    hint = facilitator === null ? t("Nobody facilitates: you can take over.") :
      t("%(name)s (facilitator) is not here. After a short grace period you can take over; pause the timer first.", { name: nameOf(facilitator) });
  }
  $("takeover-hint").textContent = hint;
}

function renderTimer() {
  var stage = activeStage();
  var live = isLive() && stage !== null;
  show($("timer-panel"), live);
  var mayRun = live && (holds("timekeeper") || holds("facilitator"));
  show($("timer-controls"), mayRun);
  if (!live) {
    return;
  }
  var timer = stage.timer;
  show($("timer-start"), timer.state === "idle");
  show($("timer-pause"), timer.state === "running");
  show($("timer-resume"), timer.state === "paused");
  show($("timer-extend"), timer.state !== "idle");
  show($("timer-stop"), timer.state !== "idle");
  var minutes = $("timer-minutes");
  if (minutes.getAttribute("data-stage") !== String(stage.id)) {
    minutes.setAttribute("data-stage", String(stage.id));
    var item = stage.agenda_item_id && byId(room.state.agenda, stage.agenda_item_id);
    minutes.value = item ? String(item.timebox_minutes) : minutes.value;
  }
  tickTimer();
}

function formatClock(ms) {
  var total = Math.max(0, Math.ceil(ms / 1000));
  var minutes = Math.floor(total / 60);
  var seconds = total % 60;
  return (minutes < 10 ? "0" : "") + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
}

/* Count down locally to the server's absolute end time, corrected by the clock offset. */
export function tickTimer() {
  var stage = isLive() ? activeStage() : null;
  var display = $("timer");
  if (!stage) {
    return;
  }
  var timer = stage.timer;
  var left = null;
  var shown = timer.state;
  if (timer.state === "running" && timer.ends_at) {
    left = Date.parse(timer.ends_at) - serverNow();
    if (left <= 0) {
      shown = "done";
      signalZero(stage.id + "@" + timer.ends_at);
    }
  } else if (timer.state === "paused") {
    left = timer.remaining_ms;
  }
  var key = stage.id + "@" + (timer.ends_at || timer.state);
  var spoken = timerAnnouncement(lastLeft.key === key ? lastLeft.ms : null, left);
  lastLeft = { key: key, ms: left };
  if (spoken && (spoken === TIME_UP || !$("timer-hide").checked)) {  // hidden: no countdown
    say(spoken);
  }
  display.textContent = left === null ? "--:--" : formatClock(left);
  display.setAttribute("data-state", shown);
  display.setAttribute("data-remaining", left === null ? "" : String(Math.max(0, Math.round(left))));
  display.className = "timer timer-" + shown;
  show($("timer-signal"), shown === "done");
}

function signalZero(key) {
  if (signalled[key]) {
    return;
  }
  signalled[key] = true;
  if (!audio || !$("timer-sound").checked || audio.state !== "running") {
    return;
  }
  var tone = audio.createOscillator();
  var gain = audio.createGain();
  tone.type = "sine";
  tone.frequency.value = 660;
  gain.gain.setValueAtTime(0.0001, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.05);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.6);
  tone.connect(gain);
  gain.connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.65);
}

/* Browsers allow sound only after a gesture: the AudioContext is made on a click. */
export function unlockAudio() {
  var Context = window.AudioContext || window.webkitAudioContext;
  if (!Context || !$("timer-sound").checked) {
    return;
  }
  if (!audio) {
    audio = new Context();
  }
  if (audio.state === "suspended") {
    audio.resume().catch(function () { /* stays silent; the visual signal remains */ });
  }
}
