/* The live room of one session (templates/live/room.html), following docs/realtime.md.
 *
 * ES modules, no build step: templates/live/room.html loads this one, and each module
 * imports what it uses:
 *   static/room/core.js      constants, DOM helpers, call() (emit with an ack), the room's
 *                            state (``room``) and queries on it
 *   static/room/rule.js      the client rule for live changes: pure, unit-tested by Node
 *   static/room/changes.js   applying a change (or private parts) to the room's state
 *   static/room/state.js     join and catch-up over the socket, by the rule
 *   static/room/phases.js    the per-phase panels, the agenda and the summary
 *   static/room/formats.js   a format's rounds (step, client, recorder, the client's
 *                            turn-away), the clearness write-up and the airtime panel
 *   static/room/render.js    render(): phase bar, people, hands, facilitator, timer
 *   static/room/refusal.js   where and in which words a refused action is explained: pure,
 *                            unit-tested by Node
 *   static/room/autosave.js  when a note is saved (again on reconnect): pure, unit-tested
 *   static/room/notes.js     the shared and private notes, autosaved, kept as drafts
 *   static/room/controls.js  every button and form that emits an event
 *   static/room.js           this file: wires it all to the socket once the page is ready
 *
 * One socket per page. base.html loads socket.io and live.js on every page of a signed-in
 * member; live.js opens the page's only connection (liveSocket()) and keeps its state on
 * <html data-live> (connecting | connected | refused | offline). The room opens no socket of
 * its own: this module waits for DOMContentLoaded, when every deferred script (socket.io's
 * among them) has run, and adds the room's handlers to that socket.
 *
 * The room's own state for people and tests: <html data-room> (joining | joined |
 * reconnecting | failed) and, on #live-room, data-version / data-status / data-phase /
 * data-last-sync.
 *
 * Client rules (docs/realtime.md, in static/room/rule.js): live:join on every (re)connect —
 * the first time for a snapshot, afterwards with ``after`` (the last version applied) for
 * exactly what was missed; live:changed is applied in version order — duplicates dropped,
 * the next one applied, one beyond a gap held back until the gap is filled or, after 250 ms,
 * fetched with live:events; while a join/events ack is outstanding changes are held. After
 * 15 s of silence the room asks for anything it missed. Changes carry an op_id and are
 * retried with it (core.js). "Reconnecting…" shows from disconnect until the join ack.
 *
 * Everything from the server goes into the page as text (textContent, createElement),
 * never as HTML.
 */
import { t } from "./i18n.js";
import { liveSocket } from "./live.js";
import { wireControls } from "./room/controls.js";
import { $, presenceOf, room, setRoom, showError } from "./room/core.js";
import { render, tickTimer } from "./room/render.js";
import { join, onChanged, onDisconnect, onPrivate } from "./room/state.js";

function start() {
  wireControls();
  var socket = liveSocket();
  if (!socket) {
    setRoom("failed", t("Live updates are unavailable."));
    showError($("room-error"), t("The live connection could not be started; reload the page."));
    return;
  }
  socket.on("connect", join);
  socket.on("disconnect", onDisconnect);
  socket.on("live:changed", onChanged);
  socket.on("live:private", onPrivate);
  window.setInterval(function () {
    if (!room.state) {
      return;
    }
    tickTimer();
    var flipped = room.state.members.some(function (m) {
      var shown = document.querySelector('#members [data-member-id="' + m.id + '"]');
      return shown && shown.getAttribute("data-presence") !== presenceOf(m);
    });
    if (flipped) {
      render();
    }
  }, 250);
  if (socket.connected) {
    join();
  } else {
    setRoom("joining", t("Joining the room…"));
  }
}

document.addEventListener("DOMContentLoaded", start);
