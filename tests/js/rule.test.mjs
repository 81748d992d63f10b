/* The live client rule (static/room/rule.js) against docs/realtime.md: duplicates dropped,
 * gaps held and fetched, holding while an ack is outstanding, reconnect catch-up and the
 * snapshot fallback. Time is a fake clock moved by hand; the "server" is whatever each test
 * answers to the rule's asks. Run with `node --test tests/js/`. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { GAP_WAIT_MS, QUIET_MS, busyDelay, liveRule, retryDelay } from "../../static/room/rule.js";

/** A rule wired to a fake room: every ask, applied change and callback is recorded. */
function harness({ refuse = () => false, random = undefined } = {}) {
  const log = [];
  const asks = [];
  const applied = [];
  const timers = new Map();
  let now = 0;
  let nextId = 1;
  const room = {
    ask(event, fields, answer) {
      asks.push({ event, fields, answer });
    },
    snapshot(snapshot) {
      log.push(["snapshot", snapshot.version]);
    },
    change(change, replayed) {
      if (refuse(change)) {
        return false;
      }
      applied.push(change.n);
      log.push([replayed ? "replayed" : "change", change.n]);
      return true;
    },
    caughtUp(ack) {
      log.push(["caughtUp", ack.server_now]);
    },
    applied() {
      log.push(["applied"]);
    },
    settled(how) {
      log.push(["settled", how]);
    },
    refused(event, error, ack) {
      log.push(["refused", event, error, ack && ack.error]);
    },
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
  };
  if (random) {
    room.random = random;
  }
  const rule = liveRule(room);
  return {
    rule, log, applied,
    /** The asks not answered yet, oldest first. */
    asks,
    /** Answer the oldest outstanding ask. */
    answer(ack, error = null) {
      const ask = asks.shift();
      assert.ok(ask, "nothing was asked");
      ask.answer(error, ack);
      return ask;
    },
    /** Move the clock on, firing the timers that fall due, in order. */
    tick(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) {
          break;
        }
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    /** Broadcast live:changed for these versions (the change records its own version). */
    send(...versions) {
      versions.forEach((v) => rule.changed(v, { type: "test", n: v }));
    },
  };
}

const events = (...versions) => versions.map((v) => ({ version: v, change: { type: "test", n: v } }));
const catchUp = (version, ...versions) => ({
  ok: true, version, events: events(...versions), private: {}, server_now: `t${version}`,
});
const snapshot = (version) => ({ ok: true, version, snapshot: { version } });

/** A rule joined with a snapshot at ``version``. */
function joined(version = 5, options = {}) {
  const h = harness(options);
  h.rule.connected();
  h.answer(snapshot(version));
  h.log.length = 0;
  return h;
}

describe("joining", () => {
  test("the first join asks for a snapshot and takes its version", () => {
    const h = harness();
    h.rule.connected();
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:join", {}]]);
    assert.equal(h.rule.known, false);
    h.answer(snapshot(7));
    assert.equal(h.rule.version, 7);
    assert.equal(h.rule.known, true);
    assert.deepEqual(h.log, [["snapshot", 7], ["settled", "snapshot"]]);
  });

  test("changes broadcast before the snapshot are held; those it already has are dropped", () => {
    const h = harness();
    h.rule.connected();
    h.send(6, 7, 8);  // the join ack is outstanding
    assert.deepEqual(h.applied, []);
    h.answer(snapshot(7));
    assert.deepEqual(h.applied, [8]);
    assert.deepEqual(h.rule.held, []);
    assert.equal(h.rule.version, 8);
  });

  test("a refused join drops what was held and says so", () => {
    const h = harness();
    h.rule.connected();
    h.send(3);
    h.answer({ ok: false, error: "That session was not found." });
    assert.deepEqual(h.log, [["refused", "live:join", null, "That session was not found."]]);
    assert.deepEqual(h.rule.held, []);
    assert.equal(h.rule.known, false);
  });

  test("a join that gets no answer is reported with the error", () => {
    const h = harness();
    h.rule.connected();
    h.answer(undefined, new Error("operation has timed out"));
    assert.equal(h.log[0][0], "refused");
    assert.equal(h.log[0][1], "live:join");
    assert.ok(h.log[0][2] instanceof Error);
  });
});

describe("changes in version order", () => {
  test("the next version is applied at once", () => {
    const h = joined(5);
    h.send(6, 7);
    assert.deepEqual(h.applied, [6, 7]);
    assert.equal(h.rule.version, 7);
    assert.deepEqual(h.log, [["change", 6], ["applied"], ["change", 7], ["applied"]]);
  });

  test("duplicates are dropped: the current version and anything older", () => {
    const h = joined(5);
    h.send(6, 6, 5, 3, 7, 6);
    assert.deepEqual(h.applied, [6, 7]);
    assert.deepEqual(h.rule.held, []);
  });

  test("a duplicate is not even held while an ack is outstanding", () => {
    const h = joined(5);
    h.send(7);
    h.tick(GAP_WAIT_MS);
    h.send(5, 4, 8);
    assert.deepEqual(h.rule.held, [7, 8]);
  });

  test("one beyond a gap is held back until the gap is filled, then both go in order", () => {
    const h = joined(5);
    h.send(8, 7);
    assert.deepEqual(h.applied, []);
    assert.deepEqual(h.rule.held, [7, 8]);
    h.send(6);  // the late one: broadcasts from different threads overtake each other
    assert.deepEqual(h.applied, [6, 7, 8]);
    assert.deepEqual(h.log.filter((e) => e[0] === "applied"), [["applied"]]);  // one redraw
    h.tick(GAP_WAIT_MS * 4);
    assert.deepEqual(h.asks, [], "a gap filled in time is not fetched");
  });

  test("a gap still open after 250 ms is fetched with live:events after the local version", () => {
    const h = joined(5);
    h.send(6, 8);
    assert.deepEqual(h.applied, [6]);
    h.tick(GAP_WAIT_MS - 1);
    assert.deepEqual(h.asks, []);
    h.tick(1);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 6 }]]);
    h.log.length = 0;
    h.answer(catchUp(8, 7, 8));  // the ack brings the held one too: applied once
    assert.deepEqual(h.applied, [6, 7, 8]);
    assert.deepEqual(h.log, [["replayed", 7], ["replayed", 8], ["caughtUp", "t8"],
      ["settled", "events"]]);
    assert.deepEqual(h.rule.held, []);
  });

  test("while a fetch is outstanding changes are held, then applied after its ack", () => {
    const h = joined(5);
    h.send(7);
    h.tick(GAP_WAIT_MS);
    assert.equal(h.asks.length, 1);
    h.send(6, 8);  // even the missing one waits for the ack
    assert.deepEqual(h.applied, []);
    h.answer(catchUp(7, 6, 7));
    assert.deepEqual(h.applied, [6, 7, 8]);
    assert.equal(h.rule.version, 8);
    h.tick(GAP_WAIT_MS);
    assert.deepEqual(h.asks, []);
  });

  test("a gap that stays open after a fetch is fetched again", () => {
    const h = joined(5);
    h.send(8);
    h.tick(GAP_WAIT_MS);
    h.answer(catchUp(6, 6));  // 7 is not committed yet, or the ack raced it
    assert.deepEqual(h.applied, [6]);
    assert.deepEqual(h.rule.held, [8]);
    h.tick(GAP_WAIT_MS);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 6 }]]);
  });

  test("a failed fetch keeps what is held; the next change tries again", () => {
    const h = joined(5);
    h.send(7);
    h.tick(GAP_WAIT_MS);
    h.answer({ ok: false, error: "You are sending too fast; wait a moment and try again." });
    assert.deepEqual(h.rule.held, [7]);
    h.send(8);
    h.tick(GAP_WAIT_MS);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 5 }]]);
  });
});

describe("reconnecting", () => {
  test("a reconnect joins with after: the local version and applies exactly what was missed",
    () => {
      const h = joined(5);
      h.send(6);
      h.rule.disconnected();
      h.rule.connected();
      assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:join", { after: 6 }]]);
      h.send(9);  // a broadcast overtakes the join ack: held
      h.answer(catchUp(9, 6, 7, 8, 9));
      assert.deepEqual(h.applied, [6, 7, 8, 9]);
      assert.equal(h.rule.version, 9);
      assert.deepEqual(h.rule.held, []);
    });

  test("an ack asked for before the disconnect no longer counts", () => {
    const h = joined(5);
    h.send(7);
    h.tick(GAP_WAIT_MS);
    const stale = h.asks.shift();
    h.rule.disconnected();
    h.rule.connected();
    stale.answer(null, catchUp(7, 6, 7));
    assert.deepEqual(h.applied, []);
    assert.equal(h.asks[0].event, "live:join");
    h.answer(catchUp(7, 6, 7));
    assert.deepEqual(h.applied, [6, 7]);
  });

  test("an ack failing after the disconnect (socket.io ends its pending acks) is ignored", () => {
    const h = joined(5);
    h.rule.disconnected();
    h.rule.connected();
    const join = h.asks.shift();
    h.rule.disconnected();
    join.answer(new Error("socket has been disconnected"), undefined);
    assert.deepEqual(h.log, [], "not refused: the next connect joins again");
  });

  test("nothing is fetched while disconnected", () => {
    const h = joined(5);
    h.send(7);
    h.rule.disconnected();
    h.tick(QUIET_MS * 2);
    assert.deepEqual(h.asks, []);
  });

  test("a join ack with a snapshot (the log cannot fill the gap) replaces everything", () => {
    const h = joined(5);
    h.rule.disconnected();
    h.rule.connected();
    h.send(700, 702);
    h.answer(snapshot(701));  // 700 is in it, 702 follows it
    assert.deepEqual(h.log, [["snapshot", 701], ["settled", "snapshot"], ["change", 702],
      ["applied"]]);
    assert.equal(h.rule.version, 702);
    assert.deepEqual(h.rule.held, []);
  });
});

describe("the snapshot fallback", () => {
  test("a catch-up that does not follow on asks for a snapshot, holding changes meanwhile",
    () => {
      const h = joined(5);
      h.rule.disconnected();
      h.rule.connected();
      h.answer(catchUp(9, 6, 8, 9));  // 7 is missing
      assert.deepEqual(h.applied, [6]);
      assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:snapshot", {}]]);
      assert.ok(!h.log.some((e) => e[0] === "settled"), "not settled before the snapshot");
      h.send(10, 11);
      assert.deepEqual(h.applied, [6]);
      h.answer(snapshot(10));
      assert.deepEqual(h.applied, [6, 11]);
      assert.deepEqual(h.log.slice(-4), [["snapshot", 10], ["settled", "snapshot"],
        ["change", 11], ["applied"]]);
    });

  test("a broadcast change the room cannot apply drops what is held and takes a snapshot", () => {
    const h = joined(5, { refuse: (change) => change.n === 7 });
    h.send(8, 6, 7);
    assert.deepEqual(h.applied, [6]);
    assert.deepEqual(h.rule.held, []);
    assert.deepEqual(h.asks.map((a) => a.event), ["live:snapshot"]);
    h.answer(snapshot(8));
    assert.equal(h.rule.version, 8);
  });

  test("a replayed change the room cannot apply takes a snapshot too", () => {
    const h = joined(5, { refuse: (change) => change.n === 6 });
    h.send(7);
    h.tick(GAP_WAIT_MS);
    h.answer(catchUp(7, 6, 7));
    assert.deepEqual(h.applied, []);
    assert.deepEqual(h.asks.map((a) => a.event), ["live:snapshot"]);
  });
});

describe("the quiet-time check", () => {
  test("after 15 s without a change the rule asks for anything after its version", () => {
    const h = joined(5);
    h.tick(QUIET_MS - 1);
    assert.deepEqual(h.asks, []);
    h.tick(1);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 5 }]]);
    h.answer(catchUp(5));
    h.tick(QUIET_MS);
    assert.equal(h.asks.length, 1, "and again after the next quiet spell");
  });

  test("every live:changed, even a duplicate, restarts the quiet time", () => {
    const h = joined(5);
    h.tick(QUIET_MS - 10);
    h.send(5);
    h.tick(QUIET_MS - 10);
    assert.deepEqual(h.asks, []);
    h.tick(10);
    assert.equal(h.asks.length, 1);
  });
});

describe("retries of an unanswered change", () => {
  test("wait 0.5 s, then twice as long each time up to 8 s, jittered by ±50 %", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((k) => retryDelay(k, 0.5)),
      [500, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(retryDelay(1, 0), 250);
    assert.ok(retryDelay(3, 0.999) < 3000 && retryDelay(3, 0.999) > 2990);
  });
});

describe("a busy server (docs/realtime.md, Busy)", () => {
  const BUSY = { ok: false, busy: true, retry_after: 1, error: "The server is busy." };

  test("waits the server's retry_after, jittered by ±50 %, at most 8 s", () => {
    assert.equal(busyDelay(BUSY, 0.5), 1000);
    assert.equal(busyDelay(BUSY, 0), 500);
    assert.equal(busyDelay({ busy: true }, 0.5), 500);  // no retry_after: 0.5 s
    assert.equal(busyDelay({ busy: true, retry_after: 600 }, 0.5), 8000);
  });

  test("a join refused as busy is asked again after the pause, holding changes meanwhile", () => {
    const h = harness({ random: () => 0.5 });
    h.rule.connected();
    h.send(8);
    h.answer(BUSY);
    assert.deepEqual(h.log, []);  // not refused: nothing shown, nothing dropped
    assert.deepEqual(h.asks, []);
    h.tick(999);
    assert.deepEqual(h.asks, []);
    h.tick(1);
    assert.deepEqual(h.asks.map((a) => a.event), ["live:join"]);
    h.answer(snapshot(7));
    assert.deepEqual(h.applied, [8]);  // what came meanwhile was held, then applied
  });

  test("a catch-up refused as busy is asked again; a reconnect's newer ask replaces it", () => {
    const h = joined(5, { random: () => 0.5 });
    h.send(7);
    h.tick(GAP_WAIT_MS);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 5 }]]);
    h.answer(BUSY);
    h.tick(1000);
    assert.deepEqual(h.asks.map((a) => [a.event, a.fields]), [["live:events", { after: 5 }]]);
    h.answer(catchUp(7, 6, 7));
    assert.deepEqual(h.applied, [6, 7]);
    h.send(9);
    h.tick(GAP_WAIT_MS);
    h.answer(BUSY);
    h.rule.disconnected();
    h.rule.connected();  // a newer ask (the join) is on its way
    h.tick(1000);  // the busy retry of the old ask is dropped
    assert.deepEqual(h.asks.map((a) => a.event), ["live:join"]);
  });
});
