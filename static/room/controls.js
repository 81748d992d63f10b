/* The live room's controls: every button and form that emits an event.
 * Part of the live room (static/room.js lists its modules). */
import { $, byId, call, clearOnEdit, room, show } from "./core.js";
import { notes, unsavedNotes } from "./notes.js";
import { wholeNumber } from "./refusal.js";
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

/* A checkbox of the room's that the browser remembers (localStorage), applied now and on change. */
function remembered(id, apply) {
  var box = $(id);
  var key = "circles.room." + id;
  try {
    var kept = window.localStorage.getItem(key);
    if (kept !== null) {
      box.checked = kept === "on";
    }
  } catch (e) { /* storage refused: the default stays */ }
  apply(box.checked);
  box.addEventListener("change", function () {
    try {
      window.localStorage.setItem(key, box.checked ? "on" : "off");
    } catch (e) { /* not remembered, still applied */ }
    apply(box.checked);
  });
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

  // The timer is set in minutes, so it is sent in minutes: a refusal speaks in minutes too.
  var timerErrors = { "": $("timer-error"), minutes: $("timer-minutes-error") };
  clearOnEdit($("timer-minutes"), [$("timer-minutes-error"), $("timer-error")]);
  onClick("timer-start", function () {
    call("live:timer", { action: "start", minutes: wholeNumber($("timer-minutes").value) },
      timerErrors, null, null, { seconds: "minutes" });
  });
  onClick("timer-pause", function () { call("live:timer", { action: "pause" }, $("timer-error")); });
  onClick("timer-resume", function () { call("live:timer", { action: "resume" }, $("timer-error")); });
  onClick("timer-extend", function () { call("live:timer", { action: "extend", minutes: 1 }, $("timer-error")); });
  onClick("timer-stop", function () { call("live:timer", { action: "stop" }, $("timer-error")); });

  onClick("hand-toggle", function () {
    call("live:hand", { raised: room.state.hands.indexOf(room.state.me) < 0 }, $("my-error"));
  });
  onClick("ready-toggle", function () {
    var me = byId(room.state.members, room.state.me);
    call("live:ready", { ready: !(me && me.ready) }, $("my-error"));
  });

  clearOnEdit($("contribute-text"), [$("contribute-error")]);
  onSubmit("contribute-form", function () {
    call("live:contribute", { kind: $("contribute-kind").value, text: $("contribute-text").value },
      $("contribute-error"), function () { $("contribute-text").value = ""; });
  });
  var agendaErrors = { "": $("agenda-add-error"), title: $("agenda-title-error"),
    timebox_minutes: $("agenda-minutes-error") };
  clearOnEdit($("agenda-title"), [agendaErrors.title, agendaErrors[""]]);
  clearOnEdit($("agenda-minutes"), [agendaErrors.timebox_minutes, agendaErrors[""]]);
  onSubmit("agenda-add", function () {
    call("live:agenda_add", {
      title: $("agenda-title").value,
      timebox_minutes: wholeNumber($("agenda-minutes").value)
    }, agendaErrors, function () { $("agenda-title").value = ""; });
  });
  if ($("agenda-question")) {
    onSubmit("agenda-question", function () {
      call("live:agenda_add", { question_id: Number($("agenda-question-id").value) },
        $("agenda-question-error"));
    });
  }
  var commitErrors = { "": $("commit-error"), text: $("commit-text-error"), due_on: $("commit-due-error") };
  clearOnEdit($("commit-text"), [commitErrors.text, commitErrors[""]]);
  clearOnEdit($("commit-due"), [commitErrors.due_on, commitErrors[""]]);
  onSubmit("commit-form", function () {
    call("live:commit", { text: $("commit-text").value, due_on: $("commit-due").value },
      commitErrors, function () { $("commit-text").value = ""; });
  });
  var due = new Date(Date.now() + 14 * 86400000);
  $("commit-due").value = due.toISOString().slice(0, 10);
  $("commit-due").min = new Date().toISOString().slice(0, 10);

  remembered("timer-sound", function (on) { return on; });
  remembered("timer-hide", function (on) { $("timer").hidden = on; });

  document.addEventListener("click", unlockAudio, true);
  window.addEventListener("pagehide", function () {
    notes.shared.flush();
    notes["private"].flush();
  });
  // Words typed into a note and not saved yet (offline, or a save on its way): the browser
  // asks before the tab closes. They are in localStorage too, so a reload brings them back.
  window.addEventListener("beforeunload", function (event) {
    if (!unsavedNotes()) {
      return;
    }
    notes.shared.flush();
    notes["private"].flush();
    event.preventDefault();
    event.returnValue = "";
  });
}
