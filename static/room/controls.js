/* The live room's controls: every button and form that emits an event.
 * Part of the live room (static/room.js lists its modules). */
import { $, byId, call, room, show } from "./core.js";
import { notes } from "./notes.js";
import { unlockAudio } from "./render.js";
import { currentVersion } from "./state.js";

function onSubmit(id, handler) {
  $(id).addEventListener("submit", function (event) {
    event.preventDefault();
    handler();
  });
}

function onClick(id, handler) {
  $(id).addEventListener("click", handler);
}

export function wireControls() {
  onClick("start-session", function () { call("live:start", {}, $("facilitator-error")); });
  onClick("advance", function () {
    call("live:advance", { version: currentVersion() }, $("facilitator-error"));
  });
  onClick("end-session", function () { show($("end-confirm"), true); });
  onClick("end-confirm", function () {
    show($("end-confirm"), false);
    call("live:end", {}, $("facilitator-error"));
  });
  onSubmit("prompt-form", function () {
    call("live:prompt", { prompt: $("prompt-text").value }, $("facilitator-error"));
  });
  onClick("take-over", function () { call("live:take_over", {}, $("takeover-error")); });
  onClick("take-back", function () { call("live:take_back", {}, $("takeover-error")); });

  onClick("timer-start", function () {
    var minutes = Number($("timer-minutes").value);
    call("live:timer", { action: "start", seconds: Number.isFinite(minutes) ? Math.round(minutes * 60) : null },
      $("timer-error"));
  });
  onClick("timer-pause", function () { call("live:timer", { action: "pause" }, $("timer-error")); });
  onClick("timer-resume", function () { call("live:timer", { action: "resume" }, $("timer-error")); });
  onClick("timer-extend", function () { call("live:timer", { action: "extend", seconds: 60 }, $("timer-error")); });
  onClick("timer-stop", function () { call("live:timer", { action: "stop" }, $("timer-error")); });

  onClick("hand-toggle", function () {
    call("live:hand", { raised: room.state.hands.indexOf(room.state.me) < 0 }, $("my-error"));
  });
  onClick("ready-toggle", function () {
    var me = byId(room.state.members, room.state.me);
    call("live:ready", { ready: !(me && me.ready) }, $("my-error"));
  });

  onSubmit("contribute-form", function () {
    call("live:contribute", { kind: $("contribute-kind").value, text: $("contribute-text").value },
      $("contribute-error"), function () { $("contribute-text").value = ""; });
  });
  onSubmit("agenda-add", function () {
    var minutes = Number($("agenda-minutes").value);
    call("live:agenda_add", {
      title: $("agenda-title").value,
      timebox_minutes: Number.isInteger(minutes) ? minutes : $("agenda-minutes").value
    }, $("agenda-add-error"), function () { $("agenda-title").value = ""; });
  });
  if ($("agenda-question")) {
    onSubmit("agenda-question", function () {
      call("live:agenda_add", { question_id: Number($("agenda-question-id").value) },
        $("agenda-question-error"));
    });
  }
  onSubmit("commit-form", function () {
    call("live:commit", { text: $("commit-text").value, due_on: $("commit-due").value },
      $("commit-error"), function () { $("commit-text").value = ""; });
  });
  var due = new Date(Date.now() + 14 * 86400000);
  $("commit-due").value = due.toISOString().slice(0, 10);
  $("commit-due").min = new Date().toISOString().slice(0, 10);

  document.addEventListener("click", unlockAudio, true);
  window.addEventListener("pagehide", function () {
    notes.shared.flush();
    notes["private"].flush();
  });
}
