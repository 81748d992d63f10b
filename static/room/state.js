/* The live room's state: join and snapshot, version order of changes, and applying them.
 * Part of static/room.js (see there). */
(function (R) {
  "use strict";

  if (!R) {
    return;
  }

  var SID = R.SID, CIRCLE = R.CIRCLE, ACK_TIMEOUT_MS = R.ACK_TIMEOUT_MS, $ = R.$,
    showError = R.showError, setRoom = R.setRoom, call = R.call, byId = R.byId,
    stageById = R.stageById, render = R.render;

  var syncing = false;     // a join/snapshot ack is outstanding: buffer changes meanwhile
  var syncToken = 0;       // only the newest join/snapshot ack counts
  var buffer = [];
  var privateBuffer = [];

  function join() {
    setRoom(R.state ? "reconnecting" : "joining", R.state ? "Reconnecting…" : "Joining the room…");
    requestSnapshot("live:join");
  }

  function resync() {
    if (!syncing) {
      requestSnapshot("live:snapshot");
    }
  }

  function requestSnapshot(event) {
    syncing = true;
    var token = ++syncToken;
    R.socket.timeout(ACK_TIMEOUT_MS).emit(event, { session_id: SID }, function (err, ack) {
      if (token !== syncToken) {
        return;  // a newer join (after a reconnect) is on its way
      }
      syncing = false;
      if (err || !ack || !ack.ok) {
        buffer = [];
        showError($("room-error"), err ? "The room did not answer; reload the page to try again."
          : (ack && ack.error) || "Could not join the room.");
        setRoom("failed", "Not in the room.");
        return;
      }
      showError($("room-error"), "");
      replace(ack.snapshot);
      setRoom("joined", "In the room.");
      var waiting = buffer.sort(function (a, b) { return a.version - b.version; });
      buffer = [];
      waiting.forEach(onChanged);
    });
  }

  function onChanged(data) {
    if (!data || data.session_id !== SID) {
      return;
    }
    if (syncing || R.state === null) {
      buffer.push(data);
      return;
    }
    if (data.version <= R.version) {
      return;
    }
    if (data.version !== R.version + 1) {
      resync();
      buffer.push(data);
      return;
    }
    if (apply(data.change) === false) {
      resync();
      return;
    }
    R.version = data.version;
    render();
  }

  function onPrivate(data) {
    if (!data || data.session_id !== SID) {
      return;
    }
    if (R.state === null) {
      privateBuffer.push(data.change);
      return;
    }
    applyPrivate(data.change);
    render();
  }

  function onDisconnect() {
    syncToken += 1;  // an ack that never comes must not count
    syncing = false;
    setRoom("reconnecting", "Reconnecting…");
  }

  // --- applying what the server sends -------------------------------------------------------

  function replace(snapshot) {
    R.state = snapshot;
    R.version = snapshot.version;
    R.offset = Date.parse(snapshot.server_now) - Date.now();
    privateBuffer.splice(0).forEach(applyPrivate);
    if (!R.state.phases.length && R.plannedPhases === null) {
      call("live:phase_order", { circle_id: CIRCLE }, null, function (ack) {
        R.plannedPhases = ack.phases;
        render();
      });
    }
    R.notes.shared.remote(R.state.notes.shared);
    R.notes["private"].remote(R.state.notes["private"]);
    render();
  }

  function upsert(list, item) {
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].id === item.id) {
        list[i] = item;
        return;
      }
    }
    list.push(item);
  }

  /* Apply one room change; false when it cannot be applied (then a snapshot is fetched). */
  function apply(change) {
    var kind = change.type;
    if (kind === "presence") {
      var member = byId(R.state.members, change.member.id);
      if (!member) {
        return false;
      }
      Object.assign(member, change.member);
      if (change.phases) {
        R.state.phases = change.phases;
      }
    } else if (kind === "started" || kind === "advanced") {
      R.state.phases = change.phases;
      if (kind === "started") {
        R.state.session.status = change.status;
        R.state.session.started_at = change.started_at;
      }
      R.state.members.forEach(function (m) { m.ready = false; });
    } else if (kind === "ended") {
      R.state.session.status = change.status;
      R.state.session.ended_at = change.ended_at;
      R.state.summary = Object.assign({ feedback: R.state.feedback.received }, change.summary,
        R.state.summary && R.state.summary.feedback ? { feedback: R.state.summary.feedback } : {});
      // As the server's snapshot has it after the end: every phase done, everyone gone.
      R.state.phases.forEach(function (p) {
        p.status = "done";
        p.stages.forEach(function (stage) { stage.status = "done"; });
      });
      R.state.members.forEach(function (m) {
        m.ready = false;
        m.hand_raised_at = null;
        m.connections = 0;
        m.presence = m.presence === "absent" ? "absent" : "left";
      });
      R.state.hands = [];
    } else if (kind === "prompt") {
      var phase = byId(R.state.phases, change.phase_id);
      if (phase) {
        phase.prompt = change.prompt;
      }
    } else if (kind === "timer") {
      var stage = stageById(change.stage_id);
      if (!stage) {
        return false;
      }
      stage.timer = change.timer;
      R.offset = Date.parse(change.timer.server_now) - Date.now();
    } else if (kind === "agenda") {
      R.state.agenda = change.agenda;
    } else if (kind === "contribution") {
      upsert(R.state.contributions, change.contribution);
    } else if (kind === "feedback") {
      var known = R.state.feedback.pairs.some(function (p) {
        return p[0] === change.giver_id && p[1] === change.receiver_id;
      });
      if (!known) {
        R.state.feedback.pairs.push([change.giver_id, change.receiver_id]);
      }
      if (change.giver_id === R.state.me && R.state.feedback.given_to.indexOf(change.receiver_id) < 0) {
        R.state.feedback.given_to.push(change.receiver_id);
      }
    } else if (kind === "commitment") {
      var item = change.commitment;
      upsert(item.session_id === SID ? R.state.commitments.made : R.state.commitments.to_review, item);
    } else if (kind === "commitment_withdrawn") {
      R.state.commitments.made = R.state.commitments.made.filter(function (c) {
        return c.id !== change.commitment_id;
      });
    } else if (kind === "note") {
      R.state.notes.shared = change.note;
      R.notes.shared.remote(change.note);
    } else if (kind === "hands") {
      R.state.hands = change.hands;
    } else if (kind === "ready") {
      var who = byId(R.state.members, change.user_id);
      if (who) {
        who.ready = change.ready;
      }
    } else if (kind === "roles") {
      R.state.roles = change.roles;
    } else {
      return false;  // a change this page does not know: take the server's word for all
    }
    return true;
  }

  function applyPrivate(change) {
    if (change.type === "feedback_received") {
      var received = R.state.feedback.received.filter(function (f) {
        return f.giver_id !== change.feedback.giver_id;
      });
      received.push(change.feedback);
      R.state.feedback.received = received;
    } else if (change.type === "summary_feedback") {
      R.state.summary = Object.assign(R.state.summary || {}, { feedback: change.feedback });
    } else if (change.type === "note") {
      R.state.notes["private"] = change.note;
      R.notes["private"].remote(change.note);
    }
  }

  R.join = join;
  R.onChanged = onChanged;
  R.onPrivate = onPrivate;
  R.onDisconnect = onDisconnect;
})(window.circlesRoom);
