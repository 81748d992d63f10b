/* The live room's state over the socket: join and catch-up, changes in version order, by the
 * client rule of docs/realtime.md (static/room/rule.js decides; this module asks the server
 * and applies what comes back). Part of the live room (static/room.js lists its modules). */
import { t } from "../i18n.js";
import { liveSocket } from "../live.js";
import { apply, applyMine, applyPrivate } from "./changes.js";
import { $, ACK_TIMEOUT_MS, CIRCLE, SID, call, room, root, setRoom, showError } from "./core.js";
import { notes } from "./notes.js";
import { render } from "./render.js";
import { liveRule } from "./rule.js";

var privateBuffer = [];  // private changes that came before the first snapshot

var rule = liveRule({
  ask: function (event, fields, answer) {
    var payload = Object.assign({ session_id: SID }, fields);
    liveSocket().timeout(ACK_TIMEOUT_MS).emit(event, payload, answer);
  },
  snapshot: replace,
  change: apply,
  caughtUp: function (ack) {
    room.offset = Date.parse(ack.server_now) - Date.now();
    applyMine(ack["private"]);
    redraw();
  },
  applied: redraw,
  settled: function (how) {
    showError($("room-error"), "");
    root.setAttribute("data-last-sync", how);
    setRoom("joined", t("In the room."));
    // What was typed into a note while offline is sent now, without another keystroke.
    notes.shared.resume();
    notes["private"].resume();
  },
  refused: function (event, error, ack) {
    showError($("room-error"), error ? t("The room did not answer; reload the page to try again.")
      : (ack && ack.error) || t("Could not join the room."));
    if (event === "live:join") {
      setRoom("failed", t("Not in the room."));
    }
  },
  setTimeout: function (fn, ms) { return window.setTimeout(fn, ms); },
  clearTimeout: function (id) { window.clearTimeout(id); }
});

/** The version of the last change applied (-1 before the first snapshot). */
export function currentVersion() {
  return rule.version;
}

/* The room as it now is, with the version it has reached. */
function redraw() {
  root.setAttribute("data-version", String(rule.version));
  render();
}

/* On every (re)connect: the first time for a snapshot, afterwards for what was missed. */
export function join() {
  setRoom(room.state ? "reconnecting" : "joining", room.state ? t("Reconnecting…") : t("Joining the room…"));
  rule.connected();
}

export function onChanged(data) {
  if (!data || data.session_id !== SID) {
    return;
  }
  rule.changed(data.version, data.change);
}

export function onPrivate(data) {
  if (!data || data.session_id !== SID) {
    return;
  }
  if (room.state === null) {
    privateBuffer.push(data.change);
    return;
  }
  applyPrivate(data.change);
  render();
}

export function onDisconnect() {
  rule.disconnected();
  setRoom("reconnecting", t("Reconnecting…"));
}

function replace(snapshot) {
  room.state = snapshot;
  room.offset = Date.parse(snapshot.server_now) - Date.now();
  privateBuffer.splice(0).forEach(applyPrivate);
  if (!room.state.phases.length && room.plannedPhases === null) {
    call("live:phase_order", { circle_id: CIRCLE }, null, function (ack) {
      room.plannedPhases = ack.phases;
      render();
    });
  }
  notes.shared.remote(room.state.notes.shared);
  notes["private"].remote(room.state.notes["private"]);
  redraw();
}
