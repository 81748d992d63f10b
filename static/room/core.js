/* The live room's shared part: the page's constants, small DOM helpers, call() (emit with
 * an ack) and queries on the room's state. static/room.js lists every module of the room.
 *
 * ``room`` holds the room's mutable state: every module that reads or writes it imports it
 * from here (room.state, room.offset, …), never keeps a copy. The version of the last change
 * applied belongs to the client rule (state.js: currentVersion()).
 */
import { liveSocket } from "../live.js";
import { t } from "../i18n.js";
import { OFFLINE, refusalOf, spotFor } from "./refusal.js";
import { busyDelay, retryDelay } from "./rule.js";

export const root = document.getElementById("live-room");
export const html = document.documentElement;
export const SID = Number(root.getAttribute("data-session-id"));
export const CIRCLE = Number(root.getAttribute("data-circle-id"));
export const ACK_TIMEOUT_MS = 10000;
export const NOTE_DEBOUNCE_MS = 700;

export const PHASE_NAMES = {
  checkin: t("Check-in"), review: t("Commitment review"), agenda: t("Agenda"),
  focus: t("Focus rounds"), feedback: t("Feedback"), commitments: t("Commitments"), close: t("Close"),
  rounds: t("Rounds")
};
export const PHASE_HINTS = {
  checkin: t("One short turn each."),
  review: t("How did last time's commitments go? Kept, partly, missed or dropped — with a line of reflection."),
  agenda: t("Build the agenda together: add items, reorder them, timebox each."),
  focus: t("The focus member frames their question; peers answer with questions, stories, resources and ideas. We teach how to think, not what to think."),
  feedback: t("Give everyone who was here a strength you noticed and one suggestion. Only the receiver reads it."),
  commitments: t("What will you do, and by when? It comes up for review next time."),
  close: t("An appreciation round, then the facilitator ends the session."),
  rounds: t("One round per client: each step has its own time. Help them think; do not solve it for them.")
};
export const KINDS_BY_PHASE = {
  checkin: ["checkin"], review: ["reflection"],
  focus: ["question", "story", "resource", "idea"], close: ["appreciation", "reflection"]
};
export const KIND_NAMES = {
  checkin: t("Check-in"), reflection: t("Reflection"), question: t("Question"), story: t("Story"),
  resource: t("Resource"), idea: t("Idea"), appreciation: t("Appreciation")
};
export const ROLE_NAMES = { facilitator: t("facilitator"), timekeeper: t("timekeeper"), note_taker: t("note-taker") };
export const PRESENCE_NAMES = {
  here: t("here"), reconnecting: t("reconnecting…"), away: t("away"), absent: t("not joined"), left: t("left")
};
export const REVIEW_STATUSES = ["kept", "partly", "missed", "dropped"];
export const REVIEW_NAMES = {
  open: t("open"), kept: t("kept"), partly: t("partly kept"), missed: t("missed"), dropped: t("dropped")
};
export const STATUS_NAMES = {
  scheduled: t("scheduled"), live: t("live now"), ended: t("ended"), cancelled: t("cancelled"), missed: t("missed")
};

export const room = {
  state: null,          // the last snapshot with every change since applied
  offset: 0,            // server clock minus this clock, in ms
  plannedPhases: null,  // the circle's phase order, shown before the session starts
  stopped: null         // why the facilitator stopped my contribution (clearness committee)
};

export function $(id) {
  return document.getElementById(id);
}

/* createElement with text only: attrs {text, class, ...attributes}, children nodes/strings. */
export function el(tag, attrs, children) {
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

export function show(node, visible) {
  node.hidden = !visible;
}

export function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

export function setRoom(value, message) {
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

/* Every error line showing a refusal of this member's own action. Only the latest refusal
 * is on screen: an older one, about another control, would be taken for its explanation.
 * A note's line (data-sticky) stays: it describes the note as it still is, unsaved, until
 * the note is edited or saved. */
var shownErrors = [];

function spotsOf(errors) {
  if (!errors) {
    return {};
  }
  return errors.nodeType === 1 ? { "": errors } : errors;
}

function clearSpots(spots) {
  Object.keys(spots).forEach(function (key) { showError(spots[key], ""); });
}

/* Show ``message`` in ``node`` and take every other refusal off the screen. */
function showRefusal(node, message) {
  shownErrors.forEach(function (other) {
    if (other !== node) {
      showError(other, "");
    }
  });
  shownErrors = node.hasAttribute("data-sticky") ? [] : [node];
  showError(node, message);
}

/** Editing ``control`` clears the error lines ``nodes`` (the refusal was about the old value). */
export function clearOnEdit(control, nodes) {
  ["input", "change"].forEach(function (type) {
    control.addEventListener(type, function () {
      nodes.forEach(function (node) { showError(node, ""); });
    });
  });
}

/* Emit with an ack. ``errors`` says where a refusal is explained: one error line, or
 * {"": line for the action, <payload field>: line next to that field's control, …}; the
 * server's ``field`` picks the line (static/room/refusal.js; ``aliases`` maps other fields
 * onto one). A success clears them all, so no stale error stays. ``failed`` also gets the
 * message. A change that gets no answer (a timeout, a dropped connection) is sent again
 * once connected, with the same op_id, so the server applies it at most once, after a
 * growing, jittered pause (retryDelay); any event a busy server refused is sent again after
 * at least its retry_after (busyDelay). */
export function call(event, fields, errors, done, failed, aliases) {
  var spots = spotsOf(errors);
  function refuse(refusal) {
    var key = spotFor(refusal.field, spots, aliases);
    if (spots[key]) {
      Object.keys(spots).forEach(function (other) {
        if (other !== key) {
          showError(spots[other], "");
        }
      });
      showRefusal(spots[key], refusal.message);
    }
    if (failed) {
      failed(refusal.message);
    }
  }
  var socket = liveSocket();
  if (!socket || !socket.connected) {
    refuse({ message: OFFLINE, field: null });
    return;
  }
  var payload = Object.assign({ session_id: SID }, fields || {});
  if (!READS[event]) {
    payload.op_id = opId();
  }
  function attempt(left) {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, ack) {
      var busy = !err && ack && ack.busy;  // refused before any work: nothing was applied
      if (err || busy) {
        if (left > 1 && (payload.op_id || busy)) {
          var pause = retryDelay(ATTEMPTS - left + 1, Math.random());
          window.setTimeout(function () {
            if (socket.connected) {
              attempt(left - 1);
            } else {
              socket.once("connect", function () { attempt(left - 1); });
            }
          }, busy ? Math.max(pause, busyDelay(ack, Math.random())) : pause);
          return;
        }
        refuse(refusalOf(err, busy ? ack : null));
        return;
      }
      if (!ack || !ack.ok) {
        refuse(refusalOf(null, ack));
        return;
      }
      clearSpots(spots);
      if (done) {
        done(ack);
      }
    });
  }
  attempt(ATTEMPTS);
}

export function byId(list, id) {
  for (var i = 0; i < list.length; i += 1) {
    if (list[i].id === id) {
      return list[i];
    }
  }
  return null;
}

export function stageById(id) {
  for (var p = 0; p < room.state.phases.length; p += 1) {
    var stage = byId(room.state.phases[p].stages, id);
    if (stage) {
      return stage;
    }
  }
  return null;
}

export function activePhase() {
  if (!room.state) {
    return null;
  }
  return room.state.phases.filter(function (p) { return p.status === "active"; })[0] || null;
}

export function activeStage() {
  var phase = activePhase();
  return phase ? phase.stages.filter(function (s) { return s.status === "active"; })[0] || null
    : null;
}

export function nameOf(id) {
  var member = room.state && byId(room.state.members, id);
  return member ? member.display_name : t("a former member");
}

export function isLive() {
  return room.state && room.state.session.status === "live";
}

export function holds(role) {
  return room.state && room.state.roles[role] === room.state.me;
}

export function serverNow() {
  return Date.now() + room.offset;
}

/* "reconnecting" turns into t("away") here, at away_at: the server sends nothing then. */
export function presenceOf(member) {
  if (member.presence === "reconnecting" && member.away_at &&
      serverNow() >= Date.parse(member.away_at)) {
    return t("away");
  }
  return member.presence;
}

export function agendaOpen() {
  if (!room.state || (room.state.session.status !== "scheduled" && room.state.session.status !== "live")) {
    return false;
  }
  return !room.state.phases.some(function (p) { return p.kind === "agenda" && p.status === "done"; });
}

/* Reuse each keyed child (so what is typed into it survives) and put them in order. */
export function keyed(list, items, key, make, update) {
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

html.setAttribute("data-room", "joining");
