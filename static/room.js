/* The live room of one session (templates/live/room.html), following docs/realtime.md.
 *
 * Plain scripts, no build step: templates/live/room.html loads them deferred, in this order,
 * and they share one namespace, window.circlesRoom (the room's state lives on it too):
 *   static/room/core.js      constants, DOM helpers, call() (emit with an ack), state queries
 *   static/room/phases.js    the per-phase panels, the agenda and the summary
 *   static/room/render.js    render(): phase bar, people, hands, facilitator, timer
 *   static/room/notes.js     the shared and private notes, autosaved
 *   static/room/state.js     join/snapshot, changes in version order, applying them
 *   static/room/controls.js  every button and form that emits an event
 *   static/room.js           this file: wires it all to the socket once the page is ready
 *
 * One socket per page. base.html loads socket.io and live.js on every page of a signed-in
 * member; live.js opens the page's only connection (window.circlesLive) and keeps its state
 * on <html data-live> (connecting | connected | refused | offline). The room opens no
 * socket of its own: its scripts are loaded (deferred) before them, this one waits for
 * DOMContentLoaded, when every deferred script has run, and adds the room's handlers to that
 * socket.
 *
 * The room's own state for people and tests: <html data-room> (joining | joined |
 * reconnecting | failed) and, on #live-room, data-version / data-status / data-phase.
 *
 * Client rules (docs/realtime.md): live:join on every (re)connect — the first time for a
 * snapshot, afterwards with ``after`` (the last version applied) for exactly what was
 * missed; live:changed is applied in version order — duplicates dropped, the next one
 * applied, one beyond a gap held back until the gap is filled or, after 250 ms, fetched
 * with live:events; while a join/events ack is outstanding changes are held. After 15 s of
 * silence the room asks for anything it missed. Changes carry an op_id and are retried
 * with it. "Reconnecting…" shows from disconnect until the join ack.
 *
 * Everything from the server goes into the page as text (textContent, createElement),
 * never as HTML.
 */
(function (R) {
  "use strict";

  if (!R) {
    return;
  }

  var $ = R.$, showError = R.showError, setRoom = R.setRoom, presenceOf = R.presenceOf;

  function start() {
    R.wireControls();
    R.socket = window.circlesLive || null;
    if (!R.socket) {
      setRoom("failed", "Live updates are unavailable.");
      showError($("room-error"), "The live connection could not be started; reload the page.");
      return;
    }
    R.socket.on("connect", R.join);
    R.socket.on("disconnect", R.onDisconnect);
    R.socket.on("live:changed", R.onChanged);
    R.socket.on("live:private", R.onPrivate);
    window.setInterval(function () {
      if (!R.state) {
        return;
      }
      R.tickTimer();
      var flipped = R.state.members.some(function (m) {
        var shown = document.querySelector('#members [data-member-id="' + m.id + '"]');
        return shown && shown.getAttribute("data-presence") !== presenceOf(m);
      });
      if (flipped) {
        R.render();
      }
    }, 250);
    if (R.socket.connected) {
      R.join();
    } else {
      setRoom("joining", "Joining the room…");
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})(window.circlesRoom);
