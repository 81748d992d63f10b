/* The client rule for live changes (docs/realtime.md: "Client rule", "Reconnect rule",
 * "Quiet-time check", "Retries"): which numbered change to apply when, what to hold back, when
 * to ask the server for what was missed, when to give up on changes and take a snapshot, and
 * how long to wait before sending an unanswered change again.
 *
 * Pure: no DOM, no socket, no clock of its own. The room tells it what happens (connected,
 * disconnected, a live:changed arrived) and gives it, once, how to ask the server and how
 * to apply what comes back; the timers are injected too, so tests/js/rule.test.mjs drives
 * time by hand. Changes and acks are the server's plain JSON.
 */

/** An out-of-order change waits this long for the missing one before it is fetched. */
export const GAP_WAIT_MS = 250;
/** This long without any live:changed: ask whether anything was missed. */
export const QUIET_MS = 15000;

/* Milliseconds before retry number ``attempt`` (1, 2, …) of an unanswered change: 500 ms,
 * doubling up to 8 s, drawn from half to one and a half times that (``draw`` in [0, 1)), so
 * the clients of a slow server do not all send again at once (docs/realtime.md, Retries). */
export function retryDelay(attempt, draw) {
  return Math.min(8000, 500 * Math.pow(2, attempt - 1)) * (0.5 + draw);
}

/* Milliseconds before sending again an event a busy server refused ({busy: true,
 * retry_after: seconds}): its retry_after (else 500 ms), at most 8 s, drawn from half to one
 * and a half times that (docs/realtime.md, Busy). */
export function busyDelay(ack, draw) {
  var after = ack && typeof ack.retry_after === "number" && ack.retry_after > 0
    ? ack.retry_after * 1000 : 500;
  return Math.min(8000, after) * (0.5 + draw);
}

/**
 * The rule for one room. ``room`` gives:
 *   ask(event, fields, answer)  emit a read with an ack; answer(error, ack) once
 *   snapshot(snapshot)          replace everything (the rule's version is already its version)
 *   change(change, replayed)    apply one room change; false when it cannot (a snapshot follows);
 *                               ``replayed``: it comes from a catch-up, not a broadcast
 *   caughtUp(ack)               a catch-up's events are applied: take server_now and private
 *   applied()                   broadcast changes were applied (the room redraws)
 *   settled(how)                a join/events/snapshot ack was taken: "snapshot" or "events"
 *   refused(event, error, ack)  an ack that failed (error) or said no (ack.ok false)
 *   setTimeout(fn, ms), clearTimeout(id)
 *   random()                    (optional) a draw in [0, 1) for pauses; Math.random if absent
 * A request a busy server refused is asked again after busyDelay, still holding changes.
 * It returns the handlers for the socket's events and the local version.
 */
export function liveRule(room) {
  let version = -1;        // the last change applied; -1 before the first snapshot
  let known = false;       // a snapshot was taken
  let online = false;
  let syncing = false;     // a join/events/snapshot ack is outstanding: hold changes meanwhile
  let token = 0;           // only the newest such ack counts
  let held = new Map();    // version -> change that cannot be applied yet
  let gapTimer = null;
  let quietTimer = null;

  /* On every (re)connect: the first time for a snapshot, afterwards for what was missed. */
  function connected() {
    online = true;
    request("live:join", known ? { after: version } : {});
  }

  function disconnected() {
    online = false;
    token += 1;  // an ack that never comes must not count
    syncing = false;
  }

  /* One live:changed (its session already checked by the room). */
  function changed(number, change) {
    quiet();
    if (known && number <= version) {
      return;  // had it already (a catch-up and the broadcast may both bring it)
    }
    held.set(number, change);
    if (!syncing && known) {
      drain();
    }
  }

  function fetchMissing() {
    if (!syncing && known && online) {
      request("live:events", { after: version });
    }
  }

  function resync() {
    request("live:snapshot", {});
  }

  function request(event, fields) {
    syncing = true;
    const mine = ++token;
    room.ask(event, fields, (error, ack) => {
      if (mine !== token) {
        return;  // a newer request (after a reconnect) is on its way
      }
      if (!error && ack && ack.busy) {
        room.setTimeout(() => {
          if (mine === token) {
            request(event, fields);
          }
        }, busyDelay(ack, (room.random || Math.random)()));
        return;
      }
      syncing = false;
      if (error || !ack || !ack.ok) {
        if (event === "live:join") {
          held = new Map();
        }
        room.refused(event, error || null, ack || null);
        return;
      }
      if (ack.snapshot) {
        version = ack.snapshot.version;
        known = true;
        room.snapshot(ack.snapshot);
      } else if (!catchUp(ack)) {
        return;  // the snapshot asked for instead settles it; changes stay held meanwhile
      }
      room.settled(ack.snapshot ? "snapshot" : "events");
      drain();
      quiet();
    });
  }

  /* The changes after our version, in order, then our private parts; false when they do
   * not follow on (or one cannot be applied): a snapshot is asked for instead. */
  function catchUp(ack) {
    for (const event of ack.events) {
      if (event.version <= version) {
        continue;
      }
      if (event.version !== version + 1 || room.change(event.change, true) === false) {
        resync();
        return false;
      }
      version = event.version;
    }
    room.caughtUp(ack);
    return true;
  }

  /* Apply held changes while the next version is there; wait briefly for a missing one,
   * then fetch it. */
  function drain() {
    let applied = false;
    while (held.has(version + 1)) {
      const change = held.get(version + 1);
      held.delete(version + 1);
      if (room.change(change, false) === false) {
        held = new Map();
        resync();
        return;
      }
      version += 1;
      applied = true;
    }
    for (const number of [...held.keys()]) {
      if (number <= version) {
        held.delete(number);
      }
    }
    if (applied) {
      room.applied();
    }
    if (held.size && gapTimer === null) {
      gapTimer = room.setTimeout(() => {
        gapTimer = null;
        if (held.size) {
          fetchMissing();
        }
      }, GAP_WAIT_MS);
    }
  }

  /* A change lost on its way (a message queue restarting) would only show when the next one
   * came: after a quiet spell, ask for anything after our version. */
  function quiet() {
    if (quietTimer !== null) {
      room.clearTimeout(quietTimer);
    }
    quietTimer = room.setTimeout(() => {
      quietTimer = null;
      fetchMissing();
      quiet();
    }, QUIET_MS);
  }

  return {
    connected,
    disconnected,
    changed,
    /** The last version applied (-1 before the first snapshot). */
    get version() { return version; },
    /** Whether a snapshot was taken (the room has state). */
    get known() { return known; },
    /** Versions held back, in order (for tests and debugging). */
    get held() { return [...held.keys()].sort((a, b) => a - b); },
  };
}
