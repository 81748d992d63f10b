/* The live room's notes: autosaved while typing (the rule is static/room/autosave.js), kept
 * as a draft in localStorage until saved, sent again as soon as the room has reconnected,
 * never silently overwritten, and a warning before the tab closes on unsaved words.
 * Part of the live room (static/room.js lists its modules). */
import { t } from "../i18n.js";
import { liveSocket } from "../live.js";
import { $, NOTE_DEBOUNCE_MS, SID, call, clearOnEdit, html, nameOf, root, show, showError } from "./core.js";
import { autosave } from "./autosave.js";

function Note(isPrivate) {
  var prefix = isPrivate ? "note-private" : "note-shared";
  var area = $(prefix);
  var status = $(prefix + "-status");
  var error = $(prefix + "-error");
  var conflict = $(prefix + "-conflict");
  // Per member too: on a shared computer one member's draft never reaches another's note.
  var draftKey = "circles:note:" + root.getAttribute("data-me") + ":" + SID + ":" +
    (isPrivate ? "private" : "shared");

  function store(action) {
    try {
      return action(window.localStorage);
    } catch (ignored) {
      return null;  // storage full or disabled: the autosave still runs
    }
  }

  var saver = autosave({
    read: function () { return area.value; },
    write: function (body) { area.value = body; },
    online: function () {
      var socket = liveSocket();
      return Boolean(socket && socket.connected && html.getAttribute("data-room") === "joined");
    },
    send: function (body, base, done, failed) {
      call("live:note", { "private": isPrivate, body: body, base_version: base }, error,
        function (ack) { done(ack.note); }, failed);
    },
    say: function (text) { status.textContent = text; },
    keep: function (base, body) {
      store(function (s) { s.setItem(draftKey, JSON.stringify({ base: base, body: body })); });
    },
    drop: function () { store(function (s) { s.removeItem(draftKey); }); },
    draft: function () {
      var kept = store(function (s) { return s.getItem(draftKey); });
      try {
        return JSON.parse(kept || "null");
      } catch (ignored) {
        return null;
      }
    },
    conflict: function (shown) { show(conflict, shown); },
    setTimeout: function (fn, ms) { return window.setTimeout(fn, ms); },
    clearTimeout: function (id) { window.clearTimeout(id); },
    debounceMs: NOTE_DEBOUNCE_MS
  });

  clearOnEdit(area, [error]);
  area.addEventListener("input", saver.typed);
  area.addEventListener("blur", saver.blurred);
  $(prefix + "-keep").addEventListener("click", function () {
    showError(error, "");
    saver.keepMine();
  });
  $(prefix + "-load").addEventListener("click", function () {
    showError(error, "");
    saver.loadLatest();
    sayWhoSaved(saver.latest);
  });

  function sayWhoSaved(saved) {
    status.textContent = saved && saved.author_id ? t("Last saved by %(name)s.", { name: nameOf(saved.author_id) }) : "";
  }

  return {
    /* A saved version from the server (snapshot, broadcast, or another tab of mine). */
    remote: function (saved) {
      if (saver.remote(saved) === "taken") {
        sayWhoSaved(saved);
      }
    },
    resume: saver.resume,
    flush: saver.flush,
    get pending() { return saver.pending; }
  };
}

/* Made when the room loads: the page has been parsed (modules are deferred). */
export const notes = { shared: Note(false), "private": Note(true) };

/** Whether either note holds words not saved yet. */
export function unsavedNotes() {
  return notes.shared.pending || notes["private"].pending;
}
