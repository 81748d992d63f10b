/* Autosaving one note: what to send when, and what to say about it. The rule behind the
 * note's status line "Not saved yet: it saves once the room has reconnected" — which it
 * does, without another keystroke: ``resume()`` is called when the room has (re)joined.
 *
 * Pure: no DOM, no socket, no clock of its own (static/room/notes.js gives it those), so
 * tests/js/autosave.test.mjs drives it by hand. ``io`` gives:
 *   read(), write(body)             the text in the box
 *   online()                        whether the room is joined now
 *   send(body, base, done, failed)  save ``body`` based on version ``base``; done(note) or
 *                                   failed(message)
 *   say(status)                     the note's status line
 *   keep(base, body), drop()        the draft kept for a reload (localStorage)
 *   draft()                         that draft ({base, body}) or null
 *   conflict(shown)                 the "someone saved meanwhile" choice
 *   setTimeout(fn, ms), clearTimeout(id), debounceMs
 */
import { t } from "../i18n.js";

export const WAITING = t("Not saved yet: it saves once the room has reconnected.");

export function autosave(io) {
  var base = 0;          // the saved version this text is based on
  var dirty = false;     // the box holds text the server has not saved
  var saving = false;    // a save is on its way
  var latest = null;     // the last saved note the server told us of
  var loaded = false;
  var timer = null;

  function schedule(delay) {
    io.clearTimeout(timer);
    timer = io.setTimeout(save, delay);
  }

  function save() {
    timer = null;
    if (!dirty || saving) {
      return;
    }
    if (!io.online()) {
      io.say(WAITING);
      return;
    }
    saving = true;
    var body = io.read();
    io.say(t("Saving…"));
    io.send(body, base, function (note) {
      saving = false;
      base = note.version;
      latest = note;
      io.conflict(false);
      if (io.read() === body) {
        dirty = false;
        io.drop();
        io.say(t("Saved."));
      } else {
        schedule(io.debounceMs);
      }
    }, function (message) {
      // Refused or unanswered: what was typed stays in the box (and the draft), and the
      // next reconnect or keystroke tries again; a newer saved version is the member's call.
      saving = false;
      io.say(io.online() ? t("Not saved.") : WAITING);
      io.conflict(/changed meanwhile/.test(message));
    });
  }

  function take(saved) {
    io.write(saved ? saved.body : "");
    base = saved ? saved.version : 0;
  }

  function restoreDraft(saved) {
    var draft = io.draft();
    if (!draft || typeof draft.body !== "string" || draft.body === io.read()) {
      io.drop();
      return false;
    }
    io.write(draft.body);  // what was typed before the tab closed is never lost
    base = typeof draft.base === "number" ? draft.base : (saved ? saved.version : 0);
    dirty = true;
    io.say(t("Restored what you typed last time; saving…"));
    schedule(io.debounceMs);
    return true;
  }

  return {
    /** The member typed: keep a draft at once, save after a pause. */
    typed: function () {
      dirty = true;
      io.keep(base, io.read());
      io.say(t("Typing…"));
      schedule(io.debounceMs);
    },
    /** The box lost focus: save now. */
    blurred: function () {
      if (dirty) {
        schedule(0);
      }
    },
    /** The room is joined again (or a catch-up settled): send what waited, now. */
    resume: function () {
      if (dirty && !saving) {
        schedule(0);
      }
    },
    /** A saved version from the server (snapshot, broadcast, or another tab of mine);
     * returns what the box shows now: "taken" (that version, just put in), "same" (it
     * showed it already), "draft" (a draft restored after a reload) or "mine" (unsaved
     * typing, kept). */
    remote: function (saved) {
      latest = saved;
      if (!loaded) {
        loaded = true;
        take(saved);
        return restoreDraft(saved) ? "draft" : "taken";
      }
      if (!dirty && !saving) {
        if (!saved || saved.version !== base || io.read() !== saved.body) {
          take(saved);
          return "taken";
        }
        return "same";
      }
      if (dirty && !saving) {
        schedule(io.debounceMs);  // a stale base is refused: the member chooses then
      }
      return "mine";
    },
    /** "Save mine over it": the next save is based on the newest version. */
    keepMine: function () {
      base = latest ? latest.version : base;
      io.conflict(false);
      dirty = true;
      schedule(0);
    },
    /** "Load the latest": what was typed is dropped. */
    loadLatest: function () {
      io.conflict(false);
      dirty = false;
      io.drop();
      take(latest);
    },
    /** Save now if anything waits (the page is going away). */
    flush: function () {
      if (dirty) {
        save();
      }
    },
    /** Whether something typed is not saved yet (closing the tab would warn). */
    get pending() { return dirty || saving; },
    get latest() { return latest; },
    get base() { return base; }
  };
}
