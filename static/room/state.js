/* The live room's state: join and catch-up, changes in version order (held back across a
 * gap, which is fetched), and applying them.
 * Part of static/room.js (see there). */
(function (R) {
  "use strict";

  if (!R) {
    return;
  }

  var SID = R.SID, CIRCLE = R.CIRCLE, ACK_TIMEOUT_MS = R.ACK_TIMEOUT_MS, $ = R.$,
    showError = R.showError, setRoom = R.setRoom, call = R.call, byId = R.byId,
    stageById = R.stageById, render = R.render;

  var GAP_WAIT_MS = 250;          // an out-of-order change waits this long for the missing one
  var SYNC_INTERVAL_MS = 15000;   // this long without news: ask whether anything was missed

  var syncing = false;     // a join/events/snapshot ack is outstanding: hold changes meanwhile
  var syncToken = 0;       // only the newest such ack counts
  var held = {};           // version -> live:changed that cannot be applied yet
  var privateBuffer = [];
  var gapTimer = null;
  var quietTimer = null;

  /* On every (re)connect: the first time for a snapshot, afterwards for what was missed. */
  function join() {
    setRoom(R.state ? "reconnecting" : "joining", R.state ? "Reconnecting…" : "Joining the room…");
    request("live:join", R.state ? { after: R.version } : {});
  }

  function resync() {
    request("live:snapshot", {});
  }

  function fetchMissing() {
    if (!syncing && R.state && R.socket.connected) {
      request("live:events", { after: R.version });
    }
  }

  function request(event, fields) {
    syncing = true;
    var token = ++syncToken;
    var payload = Object.assign({ session_id: SID }, fields);
    R.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, ack) {
      if (token !== syncToken) {
        return;  // a newer request (after a reconnect) is on its way
      }
      syncing = false;
      if (err || !ack || !ack.ok) {
        showError($("room-error"), err ? "The room did not answer; reload the page to try again."
          : (ack && ack.error) || "Could not join the room.");
        if (event === "live:join") {
          held = {};
          setRoom("failed", "Not in the room.");
        }
        return;
      }
      showError($("room-error"), "");
      R.root.setAttribute("data-last-sync", ack.snapshot ? "snapshot" : "events");
      if (ack.snapshot) {
        replace(ack.snapshot);
      } else {
        catchUp(ack);
      }
      setRoom("joined", "In the room.");
      drain();
      quiet();
    });
  }

  /* Apply a catch-up: the changes after our version, in order, then our private parts. */
  function catchUp(ack) {
    for (var i = 0; i < ack.events.length; i += 1) {
      var event = ack.events[i];
      if (event.version <= R.version) {
        continue;
      }
      if (event.version !== R.version + 1 || apply(event.change, true) === false) {
        resync();
        return;
      }
      R.version = event.version;
    }
    R.offset = Date.parse(ack.server_now) - Date.now();
    applyMine(ack["private"]);
    render();
  }

  function onChanged(data) {
    if (!data || data.session_id !== SID) {
      return;
    }
    quiet();
    if (R.state !== null && data.version <= R.version) {
      return;  // had it already (a catch-up and the broadcast may both bring it)
    }
    held[data.version] = data;
    if (!syncing && R.state !== null) {
      drain();
    }
  }

  /* Apply held changes while the next version is there; wait briefly for a missing one,
   * then fetch it. */
  function drain() {
    var applied = false;
    while (held[R.version + 1]) {
      var data = held[R.version + 1];
      delete held[R.version + 1];
      if (apply(data.change, false) === false) {
        held = {};
        resync();
        return;
      }
      R.version = data.version;
      applied = true;
    }
    Object.keys(held).forEach(function (v) {
      if (Number(v) <= R.version) {
        delete held[v];
      }
    });
    if (applied) {
      render();
    }
    if (Object.keys(held).length && gapTimer === null) {
      gapTimer = window.setTimeout(function () {
        gapTimer = null;
        if (Object.keys(held).length) {
          fetchMissing();
        }
      }, GAP_WAIT_MS);
    }
  }

  /* A change lost on its way (a message queue restarting) would only show when the next one
   * came: after a quiet spell, ask for anything after our version. */
  function quiet() {
    if (quietTimer !== null) {
      window.clearTimeout(quietTimer);
    }
    quietTimer = window.setTimeout(function () {
      quietTimer = null;
      fetchMissing();
      quiet();
    }, SYNC_INTERVAL_MS);
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

  /* Apply one room change; false when it cannot be applied (then a snapshot is fetched).
   * ``replayed``: it comes from a catch-up, so its server_now is not now. */
  function apply(change, replayed) {
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
      if (!replayed) {
        R.offset = Date.parse(change.timer.server_now) - Date.now();
      }
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

  /* Our private parts as a catch-up gives them: they replace what we had. */
  function applyMine(mine) {
    R.state.feedback.received = mine.feedback_received;
    R.state.notes["private"] = mine.note;
    R.notes["private"].remote(mine.note);
    if (mine.summary_feedback) {
      R.state.summary = Object.assign(R.state.summary || {}, { feedback: mine.summary_feedback });
    }
  }

  R.join = join;
  R.onChanged = onChanged;
  R.onPrivate = onPrivate;
  R.onDisconnect = onDisconnect;
})(window.circlesRoom);
