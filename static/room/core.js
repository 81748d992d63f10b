/* The live room's shared part (static/room.js lists every file and the order they load in).
 *
 * window.circlesRoom is the one namespace the room's files share: the page's constants and
 * small helpers below, each file's exported functions, and the room's mutable state, which
 * every file reads and writes through it (R.state, R.version, …), never through a copy.
 */
(function () {
  "use strict";

  var root = document.getElementById("live-room");
  if (!root) {
    return;
  }
  var html = document.documentElement;
  var SID = Number(root.getAttribute("data-session-id"));
  var CIRCLE = Number(root.getAttribute("data-circle-id"));
  var ACK_TIMEOUT_MS = 10000;
  var NOTE_DEBOUNCE_MS = 700;

  var PHASE_NAMES = {
    checkin: "Check-in", review: "Commitment review", agenda: "Agenda",
    focus: "Focus rounds", feedback: "Feedback", commitments: "Commitments", close: "Close"
  };
  var PHASE_HINTS = {
    checkin: "One short turn each.",
    review: "How did last time's commitments go? Kept, partly, missed or dropped — with a line of reflection.",
    agenda: "Build the agenda together: add items, reorder them, timebox each.",
    focus: "The focus member frames their question; peers answer with questions, stories, resources and ideas. We teach how to think, not what to think.",
    feedback: "Give every other member a strength you noticed and one suggestion. Only the receiver reads it.",
    commitments: "What will you do, and by when? It comes up for review next time.",
    close: "An appreciation round, then the facilitator ends the session."
  };
  var KINDS_BY_PHASE = {
    checkin: ["checkin"], review: ["reflection"],
    focus: ["question", "story", "resource", "idea"], close: ["appreciation", "reflection"]
  };
  var KIND_NAMES = {
    checkin: "Check-in", reflection: "Reflection", question: "Question", story: "Story",
    resource: "Resource", idea: "Idea", appreciation: "Appreciation"
  };
  var ROLE_NAMES = { facilitator: "facilitator", timekeeper: "timekeeper", note_taker: "note-taker" };
  var PRESENCE_NAMES = {
    here: "here", reconnecting: "reconnecting…", away: "away", absent: "not joined", left: "left"
  };
  var REVIEW_STATUSES = ["kept", "partly", "missed", "dropped"];

  var R = window.circlesRoom = {
    socket: null,         // window.circlesLive, from the start
    state: null,          // the last snapshot with every change since applied
    version: -1,
    offset: 0,            // server clock minus this clock, in ms
    notes: null,          // the shared and the private note (notes.js)
    plannedPhases: null   // the circle's phase order, shown before the session starts
  };

  function $(id) {
    return document.getElementById(id);
  }

  /* createElement with text only: attrs {text, class, ...attributes}, children nodes/strings. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = String(value);
      } else if (key === "class") {
        node.className = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function showError(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  function setRoom(value, message) {
    html.setAttribute("data-room", value);
    var line = $("room-connection");
    line.textContent = message;
    line.className = "room-connection " + value;
  }

  // --- talking to the server ----------------------------------------------------------------

  // Events that read or join: every other live:* event makes a change and carries an op_id.
  var READS = { "live:join": 1, "live:leave": 1, "live:snapshot": 1, "live:events": 1,
    "live:phase_order": 1 };
  var ATTEMPTS = 3;

  /* A key naming one change, the same on each retry of it (docs/realtime.md, op_id). */
  function opId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  /* Emit with an ack; a refusal is shown in ``errorNode`` (next to the control that caused
   * it) and handed to ``failed`` if given. A change that gets no answer (a timeout, a
   * dropped connection) is sent again once connected, with the same op_id, so the server
   * applies it at most once. */
  function call(event, fields, errorNode, done, failed) {
    function refuse(message) {
      if (errorNode) {
        showError(errorNode, message);
      }
      if (failed) {
        failed(message);
      }
    }
    if (errorNode) {
      showError(errorNode, "");
    }
    if (!R.socket || !R.socket.connected) {
      refuse("Not connected: wait until the room has reconnected, then try again.");
      return;
    }
    var payload = Object.assign({ session_id: SID }, fields || {});
    if (!READS[event]) {
      payload.op_id = opId();
    }
    function attempt(left) {
      R.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, ack) {
        if (err) {
          if (left > 1 && payload.op_id) {
            if (R.socket.connected) {
              attempt(left - 1);
            } else {
              R.socket.once("connect", function () { attempt(left - 1); });
            }
            return;
          }
          refuse("No answer from the server; please try again.");
          return;
        }
        if (!ack || !ack.ok) {
          refuse((ack && ack.error) || "That did not work.");
          return;
        }
        if (done) {
          done(ack);
        }
      });
    }
    attempt(ATTEMPTS);
  }

  function byId(list, id) {
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].id === id) {
        return list[i];
      }
    }
    return null;
  }

  function stageById(id) {
    for (var p = 0; p < R.state.phases.length; p += 1) {
      var stage = byId(R.state.phases[p].stages, id);
      if (stage) {
        return stage;
      }
    }
    return null;
  }

  function activePhase() {
    if (!R.state) {
      return null;
    }
    return R.state.phases.filter(function (p) { return p.status === "active"; })[0] || null;
  }

  function activeStage() {
    var phase = activePhase();
    return phase ? phase.stages.filter(function (s) { return s.status === "active"; })[0] || null
      : null;
  }

  function nameOf(id) {
    var member = R.state && byId(R.state.members, id);
    return member ? member.display_name : "a former member";
  }

  function isLive() {
    return R.state && R.state.session.status === "live";
  }

  function holds(role) {
    return R.state && R.state.roles[role] === R.state.me;
  }

  function serverNow() {
    return Date.now() + R.offset;
  }

  /* "reconnecting" turns into "away" here, at away_at: the server sends nothing then. */
  function presenceOf(member) {
    if (member.presence === "reconnecting" && member.away_at &&
        serverNow() >= Date.parse(member.away_at)) {
      return "away";
    }
    return member.presence;
  }

  function agendaOpen() {
    if (!R.state || (R.state.session.status !== "scheduled" && R.state.session.status !== "live")) {
      return false;
    }
    return !R.state.phases.some(function (p) { return p.kind === "agenda" && p.status === "done"; });
  }

  /* Reuse each keyed child (so what is typed into it survives) and put them in order. */
  function keyed(list, items, key, make, update) {
    var old = {};
    Array.prototype.forEach.call(list.children, function (child) {
      old[child.getAttribute("data-key")] = child;
    });
    items.forEach(function (item, index) {
      var k = String(key(item));
      var node = old[k] || make(item);
      delete old[k];
      node.setAttribute("data-key", k);
      update(node, item);
      if (list.children[index] !== node) {
        list.insertBefore(node, list.children[index] || null);
      }
    });
    Object.keys(old).forEach(function (k) { old[k].remove(); });
  }

  Object.assign(R, {
    root: root, html: html, SID: SID, CIRCLE: CIRCLE, ACK_TIMEOUT_MS: ACK_TIMEOUT_MS,
    NOTE_DEBOUNCE_MS: NOTE_DEBOUNCE_MS, PHASE_NAMES: PHASE_NAMES, PHASE_HINTS: PHASE_HINTS,
    KINDS_BY_PHASE: KINDS_BY_PHASE, KIND_NAMES: KIND_NAMES, ROLE_NAMES: ROLE_NAMES,
    PRESENCE_NAMES: PRESENCE_NAMES, REVIEW_STATUSES: REVIEW_STATUSES, $: $, el: el, show: show,
    showError: showError, setRoom: setRoom, call: call, byId: byId, stageById: stageById,
    activePhase: activePhase, activeStage: activeStage, nameOf: nameOf, isLive: isLive,
    holds: holds, serverNow: serverNow, presenceOf: presenceOf, agendaOpen: agendaOpen,
    keyed: keyed
  });

  html.setAttribute("data-room", "joining");
})();
