/* The live room's notes: autosaved while typing, kept as a draft in localStorage, never
 * silently overwritten. Part of the live room (static/room.js lists its modules). */
import { liveSocket } from "../live.js";
import { $, NOTE_DEBOUNCE_MS, SID, call, html, nameOf, root, show, showError } from "./core.js";

function Note(isPrivate) {
  var prefix = isPrivate ? "note-private" : "note-shared";
  var area = $(prefix);
  var status = $(prefix + "-status");
  var error = $(prefix + "-error");
  var conflict = $(prefix + "-conflict");
  // Per member too: on a shared computer one member's draft never reaches another's note.
  var draftKey = "circles:note:" + root.getAttribute("data-me") + ":" + SID + ":" +
    (isPrivate ? "private" : "shared");
  var note = { base: 0, dirty: false, saving: false, latest: null, loaded: false, timer: null };

  function say(text) {
    status.textContent = text;
  }

  function keepDraft() {
    try {
      window.localStorage.setItem(draftKey, JSON.stringify({ base: note.base, body: area.value }));
    } catch (ignored) { /* storage full or disabled: the autosave still runs */ }
  }

  function dropDraft() {
    try {
      window.localStorage.removeItem(draftKey);
    } catch (ignored) { /* nothing kept */ }
  }

  function schedule(delay) {
    window.clearTimeout(note.timer);
    note.timer = window.setTimeout(save, delay);
  }

  function save() {
    if (!note.dirty || note.saving) {
      return;
    }
    var socket = liveSocket();
    if (!socket || !socket.connected || html.getAttribute("data-room") !== "joined") {
      say("Not saved yet: it saves once the room has reconnected.");
      return;
    }
    note.saving = true;
    var body = area.value;
    say("Saving…");
    call("live:note", { "private": isPrivate, body: body, base_version: note.base }, error, function (ack) {
      note.saving = false;
      note.base = ack.note.version;
      note.latest = ack.note;
      show(conflict, false);
      if (area.value === body) {
        note.dirty = false;
        dropDraft();
        say("Saved.");
      } else {
        schedule(NOTE_DEBOUNCE_MS);
      }
    }, function (message) {
      // Someone saved meanwhile: the member chooses; what they typed stays in the box.
      note.saving = false;
      say("Not saved.");
      show(conflict, /changed meanwhile/.test(message));
    });
  }

  area.addEventListener("input", function () {
    note.dirty = true;
    keepDraft();
    say("Typing…");
    schedule(NOTE_DEBOUNCE_MS);
  });
  area.addEventListener("blur", function () {
    if (note.dirty) {
      schedule(0);
    }
  });
  $(prefix + "-keep").addEventListener("click", function () {
    note.base = note.latest ? note.latest.version : note.base;
    show(conflict, false);
    showError(error, "");
    note.dirty = true;
    schedule(0);
  });
  $(prefix + "-load").addEventListener("click", function () {
    show(conflict, false);
    showError(error, "");
    note.dirty = false;
    dropDraft();
    take(note.latest);
  });

  function take(saved) {
    area.value = saved ? saved.body : "";
    note.base = saved ? saved.version : 0;
    say(saved && saved.author_id ? "Last saved by " + nameOf(saved.author_id) + "." : "");
  }

  /* A saved version from the server (snapshot, broadcast, or another tab of mine). */
  function remote(saved) {
    note.latest = saved;
    if (!note.loaded) {
      note.loaded = true;
      take(saved);
      restoreDraft(saved);
      return;
    }
    if (!note.dirty && !note.saving) {
      if (!saved || saved.version !== note.base || area.value !== saved.body) {
        take(saved);
      }
    } else if (note.dirty && !note.saving) {
      schedule(NOTE_DEBOUNCE_MS);  // retry after a reconnect; a stale base is refused
    }
  }

  function restoreDraft(saved) {
    var draft = null;
    try {
      draft = JSON.parse(window.localStorage.getItem(draftKey) || "null");
    } catch (ignored) {
      draft = null;
    }
    if (!draft || typeof draft.body !== "string" || draft.body === area.value) {
      dropDraft();
      return;
    }
    area.value = draft.body;  // what was typed before the tab closed is never lost
    note.base = typeof draft.base === "number" ? draft.base : (saved ? saved.version : 0);
    note.dirty = true;
    say("Restored what you typed last time; saving…");
    schedule(NOTE_DEBOUNCE_MS);
  }

  return { remote: remote, flush: function () { if (note.dirty) { save(); } } };
}

/* Made when the room loads: the page has been parsed (modules are deferred). */
export const notes = { shared: Note(false), "private": Note(true) };
