/* Applying what the server sends to the room's state: one room change (broadcast or from a
 * catch-up), one private change, the private parts of a catch-up. They change room.state
 * only; the caller redraws. Part of the live room (static/room.js lists its modules). */
import { SID, byId, room, stageById } from "./core.js";
import { notes } from "./notes.js";

function upsert(list, item) {
  for (var i = 0; i < list.length; i += 1) {
    if (list[i].id === item.id) {
      list[i] = item;
      return;
    }
  }
  list.push(item);
}

/* Apply one room change; false when it cannot be applied (then a snapshot is fetched).
 * ``replayed``: it comes from a catch-up, so its server_now is not now. */
export function apply(change, replayed) {
  var kind = change.type;
  if (kind === "presence") {
    var member = byId(room.state.members, change.member.id);
    if (!member) {
      return false;
    }
    Object.assign(member, change.member);
    if (change.phases) {
      room.state.phases = change.phases;
    }
  } else if (kind === "started" || kind === "advanced") {
    room.state.phases = change.phases;
    if (kind === "started") {
      room.state.session.status = change.status;
      room.state.session.started_at = change.started_at;
    }
    room.state.members.forEach(function (m) { m.ready = false; });
  } else if (kind === "ended") {
    room.state.session.status = change.status;
    room.state.session.ended_at = change.ended_at;
    room.state.feedback.open_until = change.feedback_open_until || null;
    room.state.summary = Object.assign({ feedback: room.state.feedback.received }, change.summary,
      room.state.summary && room.state.summary.feedback ? { feedback: room.state.summary.feedback } : {});
    // As the server's snapshot has it after the end: every phase done, everyone gone.
    room.state.phases.forEach(function (p) {
      p.status = "done";
      p.stages.forEach(function (stage) { stage.status = "done"; });
    });
    room.state.members.forEach(function (m) {
      m.ready = false;
      m.hand_raised_at = null;
      m.connections = 0;
      m.presence = m.presence === "absent" ? "absent" : "left";
    });
    room.state.hands = [];
  } else if (kind === "prompt") {
    var phase = byId(room.state.phases, change.phase_id);
    if (phase) {
      phase.prompt = change.prompt;
    }
  } else if (kind === "timer") {
    var stage = stageById(change.stage_id);
    if (!stage) {
      return false;
    }
    stage.timer = change.timer;
    if (!replayed) {
      room.offset = Date.parse(change.timer.server_now) - Date.now();
    }
  } else if (kind === "agenda") {
    room.state.agenda = change.agenda;
  } else if (kind === "contribution") {
    upsert(room.state.contributions, change.contribution);
  } else if (kind === "trio_contribution") {
    // Said in another trio, or in mine: its text comes privately (live:private) to my trio.
  } else if (kind === "contribution_stopped") {
    room.state.contributions = room.state.contributions.filter(function (c) {
      return c.id !== change.contribution_id;
    });
  } else if (kind === "feedback") {
    var known = room.state.feedback.pairs.some(function (p) {
      return p[0] === change.giver_id && p[1] === change.receiver_id;
    });
    if (!known) {
      room.state.feedback.pairs.push([change.giver_id, change.receiver_id]);
    }
    if (change.giver_id === room.state.me && room.state.feedback.given_to.indexOf(change.receiver_id) < 0) {
      room.state.feedback.given_to.push(change.receiver_id);
    }
  } else if (kind === "commitment") {
    var item = change.commitment;
    upsert(item.session_id === SID ? room.state.commitments.made : room.state.commitments.to_review, item);
  } else if (kind === "commitment_withdrawn") {
    room.state.commitments.made = room.state.commitments.made.filter(function (c) {
      return c.id !== change.commitment_id;
    });
  } else if (kind === "note") {
    room.state.notes.shared = change.note;
    notes.shared.remote(change.note);
  } else if (kind === "hands") {
    room.state.hands = change.hands;
  } else if (kind === "ready") {
    var who = byId(room.state.members, change.user_id);
    if (who) {
      who.ready = change.ready;
    }
  } else if (kind === "roles") {
    room.state.roles = change.roles;
  } else {
    return false;  // a change this page does not know: take the server's word for all
  }
  return true;
}

export function applyPrivate(change) {
  if (change.type === "feedback_received") {
    var received = room.state.feedback.received.filter(function (f) {
      return f.giver_id !== change.feedback.giver_id;
    });
    received.push(change.feedback);
    room.state.feedback.received = received;
    if (room.state.summary) {  // feedback given after the end joins the summary's
      room.state.summary.feedback = received.slice();
    }
  } else if (change.type === "summary_feedback") {
    room.state.summary = Object.assign(room.state.summary || {}, { feedback: change.feedback });
  } else if (change.type === "note") {
    room.state.notes["private"] = change.note;
    notes["private"].remote(change.note);
  } else if (change.type === "contribution") {  // said in my Troika trio
    upsert(room.state.contributions, change.contribution);
  } else if (change.type === "contribution_stopped") {
    room.stopped = change.message + " (“" + change.text + "”)";
  } else if (change.type === "airtime") {
    room.state.airtime = change.airtime;
  }
}

/* Our private parts as a catch-up gives them: they replace what we had. */
export function applyMine(mine) {
  room.state.feedback.received = mine.feedback_received;
  room.state.notes["private"] = mine.note;
  notes["private"].remote(mine.note);
  (mine.trio_contributions || []).forEach(function (c) { upsert(room.state.contributions, c); });
  if (mine.airtime !== undefined) {
    room.state.airtime = mine.airtime;
  }
  if (mine.summary_feedback) {
    room.state.summary = Object.assign(room.state.summary || {}, { feedback: mine.summary_feedback });
  }
}
