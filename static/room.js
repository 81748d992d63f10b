/* The live room of one session (templates/live/room.html), following docs/realtime.md.
 *
 * One socket per page. base.html loads socket.io and live.js on every page of a signed-in
 * member; live.js opens the page's only connection (window.circlesLive) and keeps its state
 * on <html data-live> (connecting | connected | refused | offline). This file opens no
 * socket of its own: it is loaded (deferred) before them, waits for DOMContentLoaded, when
 * every deferred script has run, and adds the room's handlers to that socket.
 *
 * The room's own state for people and tests: <html data-room> (joining | joined |
 * reconnecting | failed) and, on #live-room, data-version / data-status / data-phase.
 *
 * Client rules: live:join on every (re)connect, the ack's snapshot replaces all state;
 * live:changed is applied in version order — old ones ignored, the next one applied, a gap
 * answered with live:snapshot; while a join or snapshot ack is outstanding changes are
 * buffered and those above the snapshot's version applied after it. "Reconnecting…" shows
 * from disconnect until the join ack.
 *
 * Everything from the server goes into the page as text (textContent, createElement),
 * never as HTML.
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

  var socket = null;
  var state = null;        // the last snapshot with every change since applied
  var version = -1;
  var syncing = false;     // a join/snapshot ack is outstanding: buffer changes meanwhile
  var syncToken = 0;       // only the newest join/snapshot ack counts
  var buffer = [];
  var privateBuffer = [];
  var offset = 0;          // server clock minus this clock, in ms
  var signalled = {};      // timers whose zero was already signalled
  var audio = null;        // created on a click only, so the browser never refuses it
  var plannedPhases = null;
  var phaseKindShown = null;

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

  /* Emit with an ack; a refusal is shown in ``errorNode`` (next to the control that caused
   * it) and handed to ``failed`` if given. */
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
    if (!socket || !socket.connected) {
      refuse("Not connected: wait until the room has reconnected, then try again.");
      return;
    }
    var payload = Object.assign({ session_id: SID }, fields || {});
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, ack) {
      if (err) {
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

  function join() {
    setRoom(state ? "reconnecting" : "joining", state ? "Reconnecting…" : "Joining the room…");
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
    socket.timeout(ACK_TIMEOUT_MS).emit(event, { session_id: SID }, function (err, ack) {
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
    if (syncing || state === null) {
      buffer.push(data);
      return;
    }
    if (data.version <= version) {
      return;
    }
    if (data.version !== version + 1) {
      resync();
      buffer.push(data);
      return;
    }
    if (apply(data.change) === false) {
      resync();
      return;
    }
    version = data.version;
    render();
  }

  function onPrivate(data) {
    if (!data || data.session_id !== SID) {
      return;
    }
    if (state === null) {
      privateBuffer.push(data.change);
      return;
    }
    applyPrivate(data.change);
    render();
  }

  // --- state --------------------------------------------------------------------------------

  function replace(snapshot) {
    state = snapshot;
    version = snapshot.version;
    offset = Date.parse(snapshot.server_now) - Date.now();
    privateBuffer.splice(0).forEach(applyPrivate);
    if (!state.phases.length && plannedPhases === null) {
      call("live:phase_order", { circle_id: CIRCLE }, null, function (ack) {
        plannedPhases = ack.phases;
        render();
      });
    }
    notes.shared.remote(state.notes.shared);
    notes["private"].remote(state.notes["private"]);
    render();
  }

  function byId(list, id) {
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].id === id) {
        return list[i];
      }
    }
    return null;
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
      var member = byId(state.members, change.member.id);
      if (!member) {
        return false;
      }
      Object.assign(member, change.member);
      if (change.phases) {
        state.phases = change.phases;
      }
    } else if (kind === "started" || kind === "advanced") {
      state.phases = change.phases;
      if (kind === "started") {
        state.session.status = change.status;
        state.session.started_at = change.started_at;
      }
      state.members.forEach(function (m) { m.ready = false; });
    } else if (kind === "ended") {
      state.session.status = change.status;
      state.session.ended_at = change.ended_at;
      state.summary = Object.assign({ feedback: state.feedback.received }, change.summary,
        state.summary && state.summary.feedback ? { feedback: state.summary.feedback } : {});
      // As the server's snapshot has it after the end: every phase done, everyone gone.
      state.phases.forEach(function (p) {
        p.status = "done";
        p.stages.forEach(function (stage) { stage.status = "done"; });
      });
      state.members.forEach(function (m) {
        m.ready = false;
        m.hand_raised_at = null;
        m.connections = 0;
        m.presence = m.presence === "absent" ? "absent" : "left";
      });
      state.hands = [];
    } else if (kind === "prompt") {
      var phase = byId(state.phases, change.phase_id);
      if (phase) {
        phase.prompt = change.prompt;
      }
    } else if (kind === "timer") {
      var stage = stageById(change.stage_id);
      if (!stage) {
        return false;
      }
      stage.timer = change.timer;
      offset = Date.parse(change.timer.server_now) - Date.now();
    } else if (kind === "agenda") {
      state.agenda = change.agenda;
    } else if (kind === "contribution") {
      upsert(state.contributions, change.contribution);
    } else if (kind === "feedback") {
      var known = state.feedback.pairs.some(function (p) {
        return p[0] === change.giver_id && p[1] === change.receiver_id;
      });
      if (!known) {
        state.feedback.pairs.push([change.giver_id, change.receiver_id]);
      }
      if (change.giver_id === state.me && state.feedback.given_to.indexOf(change.receiver_id) < 0) {
        state.feedback.given_to.push(change.receiver_id);
      }
    } else if (kind === "commitment") {
      var item = change.commitment;
      upsert(item.session_id === SID ? state.commitments.made : state.commitments.to_review, item);
    } else if (kind === "commitment_withdrawn") {
      state.commitments.made = state.commitments.made.filter(function (c) {
        return c.id !== change.commitment_id;
      });
    } else if (kind === "note") {
      state.notes.shared = change.note;
      notes.shared.remote(change.note);
    } else if (kind === "hands") {
      state.hands = change.hands;
    } else if (kind === "ready") {
      var who = byId(state.members, change.user_id);
      if (who) {
        who.ready = change.ready;
      }
    } else if (kind === "roles") {
      state.roles = change.roles;
    } else {
      return false;  // a change this page does not know: take the server's word for all
    }
    return true;
  }

  function applyPrivate(change) {
    if (change.type === "feedback_received") {
      var received = state.feedback.received.filter(function (f) {
        return f.giver_id !== change.feedback.giver_id;
      });
      received.push(change.feedback);
      state.feedback.received = received;
    } else if (change.type === "summary_feedback") {
      state.summary = Object.assign(state.summary || {}, { feedback: change.feedback });
    } else if (change.type === "note") {
      state.notes["private"] = change.note;
      notes["private"].remote(change.note);
    }
  }

  function stageById(id) {
    for (var p = 0; p < state.phases.length; p += 1) {
      var stage = byId(state.phases[p].stages, id);
      if (stage) {
        return stage;
      }
    }
    return null;
  }

  function activePhase() {
    if (!state) {
      return null;
    }
    return state.phases.filter(function (p) { return p.status === "active"; })[0] || null;
  }

  function activeStage() {
    var phase = activePhase();
    return phase ? phase.stages.filter(function (s) { return s.status === "active"; })[0] || null
      : null;
  }

  function nameOf(id) {
    var member = state && byId(state.members, id);
    return member ? member.display_name : "a former member";
  }

  function isLive() {
    return state && state.session.status === "live";
  }

  function holds(role) {
    return state && state.roles[role] === state.me;
  }

  function serverNow() {
    return Date.now() + offset;
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
    if (!state || (state.session.status !== "scheduled" && state.session.status !== "live")) {
      return false;
    }
    return !state.phases.some(function (p) { return p.kind === "agenda" && p.status === "done"; });
  }

  // --- rendering ----------------------------------------------------------------------------

  function render() {
    if (!state) {
      return;
    }
    var phase = activePhase();
    var status = state.session.status;
    root.setAttribute("data-version", String(version));
    root.setAttribute("data-status", status);
    root.setAttribute("data-phase", phase ? phase.kind : "");
    $("room-status").textContent = status === "live" ? "live now" : status;
    renderPhaseBar(phase);
    renderStageLine(phase);
    renderMembers();
    renderHands();
    renderFacilitator(phase);
    renderTakeover();
    renderTimer();
    renderPhasePanel(phase);
    renderAgenda();
    renderMyCommitments();
    renderSummary();
    show($("notes-panel"), status !== "cancelled");
  }

  function renderPhaseBar(current) {
    var kinds = state.phases.length ? state.phases : (plannedPhases || []).map(function (k) {
      return { kind: k, status: "pending", stages: [] };
    });
    $("phase-bar").replaceChildren.apply($("phase-bar"), kinds.map(function (phase) {
      var label = PHASE_NAMES[phase.kind] || phase.kind;
      var item = el("li", {
        "data-kind": phase.kind, "data-status": phase.status, class: "phase " + phase.status,
        "aria-current": current && phase === current ? "step" : null
      }, [label]);
      if (current && phase === current && phase.stages.length > 1) {
        var n = phase.stages.indexOf(activeStage()) + 1;
        item.appendChild(el("span", { class: "stage-count", text: " " + n + "/" + phase.stages.length }));
      }
      if (phase.status === "done") {
        item.appendChild(el("span", { class: "visually-hidden", text: " (done)" }));
      }
      return item;
    }));
  }

  function renderStageLine(phase) {
    var status = state.session.status;
    var text;
    if (status === "scheduled") {
      text = state.roles.facilitator ? "Waiting for " + nameOf(state.roles.facilitator) +
        " (facilitator) to start the session." : "The facilitator role is vacant: whoever starts the session facilitates it.";
    } else if (status === "ended") {
      text = "The session has ended.";
    } else if (status === "cancelled") {
      text = "This session was cancelled.";
    } else if (!phase) {
      text = "All phases are done: the facilitator can end the session.";
    } else {
      var stage = activeStage();
      text = PHASE_NAMES[phase.kind] || phase.kind;
      if (stage && phase.stages.length > 1) {
        text += " · " + (phase.stages.indexOf(stage) + 1) + " of " + phase.stages.length;
      }
      if (stage && stage.agenda_item_id) {
        var item = byId(state.agenda, stage.agenda_item_id);
        if (item) {
          text += " · “" + item.title + "”";
        }
      }
      if (stage && stage.focus_user_id) {
        text += " · " + (stage.focus_user_id === state.me ? "your turn" : nameOf(stage.focus_user_id) + "’s turn");
      }
    }
    $("stage-line").textContent = text;
  }

  function roleBadges(id) {
    var badges = [];
    ["facilitator", "timekeeper", "note_taker"].forEach(function (role) {
      if (state.roles[role] === id) {
        badges.push(el("span", { class: "badge role role-" + role, "data-role": role, text: ROLE_NAMES[role] }));
      }
    });
    var stage = activeStage();
    if (isLive() && stage && stage.focus_user_id === id) {
      badges.push(el("span", { class: "badge role role-focus", "data-role": "focus", text: "focus" }));
    }
    return badges;
  }

  function renderMembers() {
    $("members").replaceChildren.apply($("members"), state.members.map(function (m) {
      var presence = presenceOf(m);
      var hand = state.hands.indexOf(m.id);
      var parts = [el("span", { class: "presence-dot", "aria-hidden": "true" }),
        el("span", { class: "member-name", text: m.display_name + (m.id === state.me ? " (you)" : "") }),
        " ",
        el("span", { class: "presence-label", text: PRESENCE_NAMES[presence] || presence })];
      parts = parts.concat(roleBadges(m.id).map(function (b) { return [" ", b]; })
        .reduce(function (a, b) { return a.concat(b); }, []));
      if (m.ready) {
        parts.push(" ", el("span", { class: "badge ready", text: "ready" }));
      }
      if (hand >= 0) {
        parts.push(" ", el("span", { class: "badge hand", text: "hand raised #" + (hand + 1) }));
      }
      return el("li", {
        "data-member-id": m.id, "data-presence": presence, "data-ready": m.ready ? "true" : "false",
        class: "member presence-" + presence
      }, parts);
    }));
    var me = byId(state.members, state.me);
    var joined = me && me.presence === "here";
    show($("my-controls"), isLive() && joined);
    var raised = state.hands.indexOf(state.me) >= 0;
    $("hand-toggle").textContent = raised ? "Lower my hand" : "Raise hand";
    $("hand-toggle").setAttribute("aria-pressed", raised ? "true" : "false");
    var ready = Boolean(me && me.ready);
    $("ready-toggle").textContent = ready ? "Not ready yet" : "I'm ready";
    $("ready-toggle").setAttribute("aria-pressed", ready ? "true" : "false");
  }

  function renderHands() {
    var facilitating = holds("facilitator") && isLive();
    $("hands").replaceChildren.apply($("hands"), state.hands.map(function (id) {
      var item = el("li", { "data-member-id": id }, [nameOf(id)]);
      if (facilitating && id !== state.me) {
        var lower = el("button", { type: "button", class: "link", text: "lower" });
        lower.addEventListener("click", function () {
          call("live:hand", { raised: false, member_id: id }, $("hands-error"));
        });
        item.appendChild(document.createTextNode(" "));
        item.appendChild(lower);
      }
      return item;
    }));
    show($("hands-empty"), state.hands.length === 0);
  }

  function renderFacilitator(phase) {
    var status = state.session.status;
    var vacant = state.roles.facilitator === null;
    var mine = holds("facilitator");
    show($("facilitator-controls"), (status === "scheduled" && (mine || vacant)) || (status === "live" && mine));
    show($("start-session"), status === "scheduled");
    $("start-session").textContent = mine ? "Start the session" : "Start the session (and facilitate it)";
    show($("advance"), status === "live");
    show($("end-session"), status === "live");
    if (status !== "live") {
      show($("end-confirm"), false);
    }
    show($("prompt-form"), status === "live" && phase !== null && phase.kind === "checkin");
    if (phase && phase.kind === "checkin" && document.activeElement !== $("prompt-text")) {
      $("prompt-text").value = phase.prompt || "";
    }
    var here = state.members.filter(function (m) { return presenceOf(m) === "here"; });
    var ready = here.filter(function (m) { return m.ready; });
    $("ready-count").textContent = status === "live" ? "Ready: " + ready.length + " of " + here.length + " here" +
      (ready.length ? " (" + ready.map(function (m) { return m.display_name; }).join(", ") + ")" : "") : "";
  }

  function renderTakeover() {
    var facilitator = state.roles.facilitator;
    var handover = state.roles.handover;
    var away = facilitator === null || presenceOf(byId(state.members, facilitator) || { presence: "away" }) !== "here";
    var canTakeOver = isLive() && holds("timekeeper") && facilitator !== state.me && away;
    var canTakeBack = isLive() && handover !== null && handover.from === state.me && facilitator !== state.me;
    show($("take-over"), canTakeOver);
    show($("take-back"), canTakeBack);
    show($("takeover-controls"), canTakeOver || canTakeBack || (isLive() && handover !== null));
    var hint = "";
    if (handover) {
      hint = nameOf(handover.to) + " took over facilitation" +
        (handover.from ? " from " + nameOf(handover.from) : "") + ".";
    } else if (canTakeOver) {
      hint = facilitator === null ? "Nobody facilitates: you can take over." :
        nameOf(facilitator) + " (facilitator) is not here. After a short grace period you can take over; pause the timer first.";
    }
    $("takeover-hint").textContent = hint;
  }

  function renderTimer() {
    var stage = activeStage();
    var live = isLive() && stage !== null;
    show($("timer-panel"), live);
    var mayRun = live && (holds("timekeeper") || holds("facilitator"));
    show($("timer-controls"), mayRun);
    if (!live) {
      return;
    }
    var timer = stage.timer;
    show($("timer-start"), timer.state === "idle");
    show($("timer-pause"), timer.state === "running");
    show($("timer-resume"), timer.state === "paused");
    show($("timer-extend"), timer.state !== "idle");
    show($("timer-stop"), timer.state !== "idle");
    var minutes = $("timer-minutes");
    if (minutes.getAttribute("data-stage") !== String(stage.id)) {
      minutes.setAttribute("data-stage", String(stage.id));
      var item = stage.agenda_item_id && byId(state.agenda, stage.agenda_item_id);
      minutes.value = item ? String(item.timebox_minutes) : minutes.value;
    }
    tickTimer();
  }

  function formatClock(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return (minutes < 10 ? "0" : "") + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  /* Count down locally to the server's absolute end time, corrected by the clock offset. */
  function tickTimer() {
    var stage = isLive() ? activeStage() : null;
    var display = $("timer");
    if (!stage) {
      return;
    }
    var timer = stage.timer;
    var left = null;
    var shown = timer.state;
    if (timer.state === "running" && timer.ends_at) {
      left = Date.parse(timer.ends_at) - serverNow();
      if (left <= 0) {
        shown = "done";
        signalZero(stage.id + "@" + timer.ends_at);
      }
    } else if (timer.state === "paused") {
      left = timer.remaining_ms;
    }
    display.textContent = left === null ? "--:--" : formatClock(left);
    display.setAttribute("data-state", shown);
    display.setAttribute("data-remaining", left === null ? "" : String(Math.max(0, Math.round(left))));
    display.className = "timer timer-" + shown;
    show($("timer-signal"), shown === "done");
  }

  function signalZero(key) {
    if (signalled[key]) {
      return;
    }
    signalled[key] = true;
    if (!audio || !$("timer-sound").checked || audio.state !== "running") {
      return;
    }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.value = 660;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.6);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.65);
  }

  /* Browsers allow sound only after a gesture: the AudioContext is made on a click. */
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || !$("timer-sound").checked) {
      return;
    }
    if (!audio) {
      audio = new Context();
    }
    if (audio.state === "suspended") {
      audio.resume().catch(function () { /* stays silent; the visual signal remains */ });
    }
  }

  function renderPhasePanel(phase) {
    var status = state.session.status;
    var kind = phase ? phase.kind : null;
    show($("phase-panel"), status === "live" || status === "scheduled");
    $("phase-title").textContent = status === "scheduled" ? "Waiting to start" :
      kind ? PHASE_NAMES[kind] || kind : "Ready to close";
    $("phase-hint").textContent = kind ? PHASE_HINTS[kind] || "" :
      status === "scheduled" ? "You can already build the agenda below." : "";
    var prompt = kind === "checkin" && phase.prompt;
    show($("phase-prompt"), Boolean(prompt));
    $("phase-prompt").textContent = prompt || "";
    renderContributions(kind);
    renderReview(kind);
    renderFeedback(kind);
    renderCommitments(kind);
  }

  function renderContributions(kind) {
    var stage = activeStage();
    var items = stage ? state.contributions.filter(function (c) { return c.stage_id === stage.id; }) : [];
    var focusMine = kind === "focus" && stage && stage.focus_user_id === state.me;
    $("contributions").replaceChildren.apply($("contributions"), items.map(function (c) {
      var parts = [el("span", { class: "badge kind kind-" + c.kind, text: KIND_NAMES[c.kind] || c.kind }), " ",
        el("strong", { text: nameOf(c.author_id) + ": " }),
        el("span", { class: "contribution-text", text: c.text })];
      if (c.helped) {
        parts.push(" ", el("span", { class: "badge helped", text: "helped" }));
      }
      var item = el("li", { "data-contribution-id": c.id, "data-helped": c.helped ? "true" : "false" }, parts);
      if (focusMine && isLive()) {
        var error = el("p", { class: "error", role: "alert", hidden: true });
        var toggle = el("button", {
          type: "button", class: "link", "aria-pressed": c.helped ? "true" : "false",
          text: c.helped ? "Unmark helped" : "This helped"
        });
        toggle.addEventListener("click", function () {
          call("live:helped", { contribution_id: c.id, helped: !c.helped }, error);
        });
        item.appendChild(document.createTextNode(" "));
        item.appendChild(toggle);
        item.appendChild(error);
      }
      return item;
    }));
    var kinds = isLive() && kind ? KINDS_BY_PHASE[kind] : null;
    show($("contribute-form"), Boolean(kinds));
    if (kinds && phaseKindShown !== kind) {
      phaseKindShown = kind;
      $("contribute-kind").replaceChildren.apply($("contribute-kind"), kinds.map(function (k) {
        return el("option", { value: k, text: KIND_NAMES[k] || k });
      }));
      showError($("contribute-error"), "");
    }
  }

  function renderReview(kind) {
    var inReview = isLive() && kind === "review";
    show($("review-panel"), inReview);
    if (!inReview) {
      return;
    }
    var items = state.commitments.to_review;
    keyed($("review-list"), items, function (c) { return c.id; }, function (c) {
      var node = el("li", { "data-commitment-id": c.id });
      node.appendChild(el("p", { class: "what" }));
      if (c.user_id === state.me) {
        var form = el("form", { class: "stack review-form" });
        var select = el("select", { "aria-label": "How did it go?", class: "review-status" },
          REVIEW_STATUSES.map(function (s) { return el("option", { value: s, text: s }); }));
        var reflection = el("input", { "aria-label": "A line of reflection", class: "review-reflection", maxlength: 1000, placeholder: "A line of reflection" });
        var error = el("p", { class: "error", role: "alert", hidden: true });
        form.appendChild(select);
        form.appendChild(reflection);
        form.appendChild(el("button", { type: "submit", class: "button secondary", text: "Save my review" }));
        form.appendChild(error);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          call("live:review", { commitment_id: c.id, status: select.value, reflection: reflection.value }, error);
        });
        node.appendChild(form);
      }
      return node;
    }, function (node, c) {
      node.querySelector(".what").textContent = nameOf(c.user_id) + ": " + c.text +
        (c.due_on ? " (by " + c.due_on + ")" : "") + " — " + (c.status === "open" ? "not reviewed yet" : c.status) +
        (c.reflection ? ": " + c.reflection : "");
    });
  }

  function renderFeedback(kind) {
    var inFeedback = isLive() && kind === "feedback";
    show($("feedback-panel"), inFeedback);
    var received = state.feedback.received;
    show($("feedback-received-box"), received.length > 0 && state.session.status !== "ended");
    $("feedback-received").replaceChildren.apply($("feedback-received"), received.map(feedbackItem));
    if (!inFeedback) {
      return;
    }
    var others = state.members.filter(function (m) { return m.id !== state.me; });
    var everyone = state.members.length * (state.members.length - 1);
    $("feedback-progress").textContent = "Feedback given in the circle: " + state.feedback.pairs.length +
      " of " + everyone + ". You have given to " + state.feedback.given_to.length + " of " + others.length + ".";
    keyed($("feedback-forms"), others, function (m) { return m.id; }, function (m) {
      var form = el("form", { class: "card feedback-form", "data-receiver-id": m.id, "data-testid": "feedback-form" });
      var legend = el("h3", { class: "to" });
      var strength = el("textarea", { id: "feedback-strength-" + m.id, class: "strength", maxlength: 1000 });
      var suggestion = el("textarea", { id: "feedback-suggestion-" + m.id, class: "suggestion", maxlength: 1000 });
      var error = el("p", { class: "error", role: "alert", hidden: true });
      var done = el("p", { class: "given muted" });
      form.appendChild(legend);
      form.appendChild(el("label", { "for": strength.id, text: "A strength you noticed in " + m.display_name }));
      form.appendChild(strength);
      form.appendChild(el("label", { "for": suggestion.id, text: "One suggestion for " + m.display_name }));
      form.appendChild(suggestion);
      form.appendChild(el("button", { type: "submit", class: "button", text: "Give feedback to " + m.display_name }));
      form.appendChild(error);
      form.appendChild(done);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        call("live:feedback", { receiver_id: m.id, strength: strength.value, suggestion: suggestion.value }, error);
      });
      return form;
    }, function (form, m) {
      form.querySelector(".to").textContent = "To " + m.display_name;
      var given = state.feedback.given_to.indexOf(m.id) >= 0;
      form.setAttribute("data-given", given ? "true" : "false");
      form.querySelector(".given").textContent = given ? "Given — sending again rewrites it." : "";
    });
  }

  function feedbackItem(f) {
    return el("li", { "data-giver-id": f.giver_id }, [
      el("strong", { text: "From " + nameOf(f.giver_id) + ". " }),
      "Strength: ", el("span", { class: "strength", text: f.strength }),
      " Suggestion: ", el("span", { class: "suggestion", text: f.suggestion })]);
  }

  function renderCommitments(kind) {
    var inPhase = isLive() && kind === "commitments";
    show($("commitments-panel"), inPhase);
    var made = state.commitments.made;
    show($("commitments-made-box"), made.length > 0 && state.session.status !== "ended");
    $("commitments-made").replaceChildren.apply($("commitments-made"), made.map(function (c) {
      var item = el("li", { "data-commitment-id": c.id }, [
        el("strong", { text: nameOf(c.user_id) + ": " }), c.text + (c.due_on ? " (by " + c.due_on + ")" : "")]);
      if (inPhase && c.user_id === state.me) {
        var error = el("p", { class: "error", role: "alert", hidden: true });
        var withdraw = el("button", { type: "button", class: "link", text: "withdraw" });
        withdraw.addEventListener("click", function () {
          call("live:commit_withdraw", { commitment_id: c.id }, error);
        });
        item.appendChild(document.createTextNode(" "));
        item.appendChild(withdraw);
        item.appendChild(error);
      }
      return item;
    }));
  }

  function renderAgenda() {
    var open = agendaOpen();
    show($("agenda-edit"), open);
    show($("agenda-panel"), state.session.status !== "cancelled" && state.session.status !== "ended");
    show($("agenda-empty"), state.agenda.length === 0);
    var stage = activeStage();
    keyed($("agenda"), state.agenda, function (i) { return i.id; }, agendaRow, function (row, item) {
      var index = state.agenda.indexOf(item);
      row.querySelector(".title").textContent = item.title;
      row.querySelector(".by").textContent = " — " + nameOf(item.author_id);
      row.setAttribute("data-covered", item.covered ? "true" : "false");
      row.setAttribute("data-current", stage && stage.agenda_item_id === item.id ? "true" : "false");
      row.querySelector(".covered").hidden = !item.covered;
      var minutes = row.querySelector(".timebox");
      if (document.activeElement !== minutes) {
        minutes.value = String(item.timebox_minutes);
      }
      minutes.disabled = !open;
      row.querySelector(".minutes-read").textContent = item.timebox_minutes + " min";
      row.querySelector(".edit").hidden = !open;
      row.querySelector(".minutes-read").hidden = open;
      row.querySelector(".up").disabled = index === 0;
      row.querySelector(".down").disabled = index === state.agenda.length - 1;
      row.querySelector(".author-only").hidden = !(open && item.author_id === state.me);
    });
  }

  function agendaRow(item) {
    var id = item.id;
    var error = el("p", { class: "error", role: "alert", hidden: true });
    var minutes = el("input", {
      type: "number", min: 1, max: 60, class: "timebox short", inputmode: "numeric",
      "aria-label": "Minutes for this item", "data-testid": "agenda-timebox"
    });
    minutes.addEventListener("change", function () {
      var value = Number(minutes.value);
      call("live:agenda_timebox", { item_id: id, timebox_minutes: Number.isInteger(value) ? value : minutes.value }, error);
    });
    var up = el("button", { type: "button", class: "button secondary up", "aria-label": "Move up", "data-testid": "agenda-up", text: "↑" });
    var down = el("button", { type: "button", class: "button secondary down", "aria-label": "Move down", "data-testid": "agenda-down", text: "↓" });
    up.addEventListener("click", function () { move(id, -1, error); });
    down.addEventListener("click", function () { move(id, 1, error); });
    var rename = el("button", { type: "button", class: "link", text: "rename" });
    var remove = el("button", { type: "button", class: "link", text: "remove" });
    var renameForm = el("form", { class: "inline-form", hidden: true }, [
      el("input", { class: "rename-title", maxlength: 200, "aria-label": "New title" }),
      el("button", { type: "submit", class: "button secondary", text: "Save" })]);
    rename.addEventListener("click", function () {
      renameForm.hidden = !renameForm.hidden;
      var current = byId(state.agenda, id);
      renameForm.querySelector("input").value = current ? current.title : "";
    });
    renameForm.addEventListener("submit", function (event) {
      event.preventDefault();
      call("live:agenda_rename", { item_id: id, title: renameForm.querySelector("input").value }, error,
        function () { renameForm.hidden = true; });
    });
    remove.addEventListener("click", function () {
      call("live:agenda_remove", { item_id: id }, error);
    });
    return el("li", { "data-item-id": id, "data-testid": "agenda-item", class: "agenda-item" }, [
      el("span", { class: "title" }), el("span", { class: "by muted" }), " ",
      el("span", { class: "badge covered", text: "covered", hidden: true }),
      el("span", { class: "minutes-read muted" }),
      el("span", { class: "edit" }, [minutes, " min ", up, down,
        el("span", { class: "author-only" }, [" ", rename, " ", remove])]),
      renameForm, error]);
  }

  function move(id, step, error) {
    var ids = state.agenda.map(function (i) { return i.id; });
    var at = ids.indexOf(id);
    var to = at + step;
    if (at < 0 || to < 0 || to >= ids.length) {
      return;
    }
    ids.splice(at, 1);
    ids.splice(to, 0, id);
    call("live:agenda_reorder", { item_ids: ids }, error);
  }

  function renderMyCommitments() {
    var mine = state.commitments.to_review.filter(function (c) { return c.user_id === state.me; });
    $("my-commitments").replaceChildren.apply($("my-commitments"), mine.map(function (c) {
      return el("li", { "data-commitment-id": c.id }, [c.text + (c.due_on ? " (by " + c.due_on + ")" : "") +
        " — " + (c.status === "open" ? "open" : c.status) + (c.reflection ? ": " + c.reflection : "")]);
    }));
    show($("my-commitments-empty"), mine.length === 0);
  }

  function renderSummary() {
    var summary = state.summary;
    var ended = state.session.status === "ended" && summary && summary.agenda;
    show($("summary-panel"), Boolean(ended));
    if (!ended) {
      return;
    }
    $("summary-agenda").replaceChildren.apply($("summary-agenda"), summary.agenda.map(function (i) {
      return el("li", { "data-covered": i.covered ? "true" : "false" }, [
        i.title + " — " + nameOf(i.author_id) + ", " + i.timebox_minutes + " min" + (i.covered ? " (covered)" : " (not reached)")]);
    }));
    $("summary-contributions").replaceChildren.apply($("summary-contributions"), summary.contributions.map(function (c) {
      return el("li", {}, [el("span", { class: "badge kind", text: KIND_NAMES[c.kind] || c.kind }), " ",
        el("strong", { text: nameOf(c.author_id) + ": " }), c.text + (c.helped ? " (helped)" : "")]);
    }));
    $("summary-commitments").replaceChildren.apply($("summary-commitments"), summary.commitments.map(function (c) {
      return el("li", {}, [el("strong", { text: nameOf(c.user_id) + ": " }), c.text + (c.due_on ? " (by " + c.due_on + ")" : "")]);
    }));
    $("summary-attendees").textContent = summary.attendees.map(nameOf).join(", ") || "Nobody joined.";
    var feedback = summary.feedback || [];
    $("summary-feedback").replaceChildren.apply($("summary-feedback"), feedback.length ? feedback.map(feedbackItem)
      : [el("li", { class: "muted", text: "None this time." })]);
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

  // --- notes: autosaved while typing, never silently overwritten ------------------------------

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

  var notes = { shared: Note(false), "private": Note(true) };

  // --- controls -----------------------------------------------------------------------------

  function onSubmit(id, handler) {
    $(id).addEventListener("submit", function (event) {
      event.preventDefault();
      handler();
    });
  }

  function onClick(id, handler) {
    $(id).addEventListener("click", handler);
  }

  function wireControls() {
    onClick("start-session", function () { call("live:start", {}, $("facilitator-error")); });
    onClick("advance", function () {
      call("live:advance", { version: version }, $("facilitator-error"));
    });
    onClick("end-session", function () { show($("end-confirm"), true); });
    onClick("end-confirm", function () {
      show($("end-confirm"), false);
      call("live:end", {}, $("facilitator-error"));
    });
    onSubmit("prompt-form", function () {
      call("live:prompt", { prompt: $("prompt-text").value }, $("facilitator-error"));
    });
    onClick("take-over", function () { call("live:take_over", {}, $("takeover-error")); });
    onClick("take-back", function () { call("live:take_back", {}, $("takeover-error")); });

    onClick("timer-start", function () {
      var minutes = Number($("timer-minutes").value);
      call("live:timer", { action: "start", seconds: Number.isFinite(minutes) ? Math.round(minutes * 60) : null },
        $("timer-error"));
    });
    onClick("timer-pause", function () { call("live:timer", { action: "pause" }, $("timer-error")); });
    onClick("timer-resume", function () { call("live:timer", { action: "resume" }, $("timer-error")); });
    onClick("timer-extend", function () { call("live:timer", { action: "extend", seconds: 60 }, $("timer-error")); });
    onClick("timer-stop", function () { call("live:timer", { action: "stop" }, $("timer-error")); });

    onClick("hand-toggle", function () {
      call("live:hand", { raised: state.hands.indexOf(state.me) < 0 }, $("my-error"));
    });
    onClick("ready-toggle", function () {
      var me = byId(state.members, state.me);
      call("live:ready", { ready: !(me && me.ready) }, $("my-error"));
    });

    onSubmit("contribute-form", function () {
      call("live:contribute", { kind: $("contribute-kind").value, text: $("contribute-text").value },
        $("contribute-error"), function () { $("contribute-text").value = ""; });
    });
    onSubmit("agenda-add", function () {
      var minutes = Number($("agenda-minutes").value);
      call("live:agenda_add", {
        title: $("agenda-title").value,
        timebox_minutes: Number.isInteger(minutes) ? minutes : $("agenda-minutes").value
      }, $("agenda-add-error"), function () { $("agenda-title").value = ""; });
    });
    if ($("agenda-question")) {
      onSubmit("agenda-question", function () {
        call("live:agenda_add", { question_id: Number($("agenda-question-id").value) },
          $("agenda-question-error"));
      });
    }
    onSubmit("commit-form", function () {
      call("live:commit", { text: $("commit-text").value, due_on: $("commit-due").value },
        $("commit-error"), function () { $("commit-text").value = ""; });
    });
    var due = new Date(Date.now() + 14 * 86400000);
    $("commit-due").value = due.toISOString().slice(0, 10);
    $("commit-due").min = new Date().toISOString().slice(0, 10);

    document.addEventListener("click", unlockAudio, true);
    window.addEventListener("pagehide", function () {
      notes.shared.flush();
      notes["private"].flush();
    });
  }

  // --- start --------------------------------------------------------------------------------

  function start() {
    wireControls();
    socket = window.circlesLive || null;
    if (!socket) {
      setRoom("failed", "Live updates are unavailable.");
      showError($("room-error"), "The live connection could not be started; reload the page.");
      return;
    }
    socket.on("connect", join);
    socket.on("disconnect", function () {
      syncToken += 1;  // an ack that never comes must not count
      syncing = false;
      setRoom("reconnecting", "Reconnecting…");
    });
    socket.on("live:changed", onChanged);
    socket.on("live:private", onPrivate);
    window.setInterval(function () {
      if (!state) {
        return;
      }
      tickTimer();
      var flipped = state.members.some(function (m) {
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
      setRoom("joining", "Joining the room…");
    }
  }

  html.setAttribute("data-room", "joining");
  document.addEventListener("DOMContentLoaded", start);
})();
