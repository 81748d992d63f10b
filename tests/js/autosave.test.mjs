/* The note autosave rule (static/room/autosave.js): words typed while offline are sent as
 * soon as the room has rejoined, without another keystroke; a stale base is refused and
 * left to the member; anything unsaved is "pending" (the page warns before closing) and
 * kept as a draft that a reload restores. A fake clock and a hand-answered server. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { WAITING, autosave } from "../../static/room/autosave.js";

function harness({ online = true, draft = null } = {}) {
  const box = { text: "", online, draft, status: "", conflict: false, sends: [] };
  const timers = new Map();
  let nextId = 1;
  const saver = autosave({
    read: () => box.text,
    write: (body) => { box.text = body; },
    online: () => box.online,
    send: (body, base, done, failed) => box.sends.push({ body, base, done, failed }),
    say: (status) => { box.status = status; },
    keep: (base, body) => { box.draft = { base, body }; },
    drop: () => { box.draft = null; },
    draft: () => box.draft,
    conflict: (shown) => { box.conflict = shown; },
    setTimeout: (fn) => { const id = nextId++; timers.set(id, fn); return id; },
    clearTimeout: (id) => { timers.delete(id); },
    debounceMs: 700,
  });
  /** Let every timer due run (the debounce has passed). */
  function wait() {
    while (timers.size) {
      const [id, fn] = timers.entries().next().value;
      timers.delete(id);
      fn();
    }
  }
  function type(text) {
    box.text = text;
    saver.typed();
  }
  return { box, saver, wait, type };
}

const saved = (version, body) => ({ id: 1, private: false, version, body, author_id: 7 });

test("a note typed offline is sent when the room rejoins, without another keystroke", () => {
  const { box, saver, wait, type } = harness();
  saver.remote(null);
  box.online = false;
  type("Bring three numbers");
  wait();
  assert.equal(box.status, WAITING);
  assert.equal(box.sends.length, 0);
  assert.equal(saver.pending, true);
  assert.deepEqual(box.draft, { base: 0, body: "Bring three numbers" });

  box.online = true;
  saver.resume();  // the room settled after the reconnect: nothing typed since
  wait();
  assert.equal(box.sends.length, 1);
  assert.deepEqual([box.sends[0].body, box.sends[0].base], ["Bring three numbers", 0]);
  box.sends[0].done(saved(1, "Bring three numbers"));
  assert.equal(box.status, "Saved.");
  assert.equal(saver.pending, false);
  assert.equal(box.draft, null);
});

test("a save cut off by the connection waits for the next rejoin, and is then sent", () => {
  const { box, saver, wait, type } = harness();
  saver.remote(saved(3, "a"));
  type("ab");
  wait();
  assert.equal(box.sends.length, 1);
  box.online = false;
  box.sends[0].failed("No answer from the server; please try again.");
  assert.equal(box.status, WAITING);
  assert.equal(saver.pending, true);
  box.online = true;
  saver.resume();
  wait();
  assert.equal(box.sends.length, 2);
  assert.deepEqual([box.sends[1].body, box.sends[1].base], ["ab", 3]);
});

test("resume sends nothing when everything was saved", () => {
  const { box, saver, wait } = harness();
  saver.remote(saved(2, "done"));
  saver.resume();
  wait();
  assert.equal(box.sends.length, 0);
  assert.equal(saver.pending, false);
});

test("someone else's save meanwhile is the member's choice, never overwritten", () => {
  const { box, saver, wait, type } = harness();
  saver.remote(saved(1, "x"));
  box.online = false;
  type("x mine");
  assert.equal(saver.remote(saved(2, "x theirs")), "mine");  // caught up on reconnect
  assert.equal(box.text, "x mine");
  box.online = true;
  saver.resume();
  wait();
  assert.equal(box.sends.length, 1);
  assert.equal(box.sends[0].base, 1);
  box.sends[0].failed("The note changed meanwhile (now version 2); reload it and apply your edit again.");
  assert.equal(box.conflict, true);
  assert.equal(box.text, "x mine");
  saver.keepMine();
  wait();
  assert.deepEqual([box.sends[1].body, box.sends[1].base], ["x mine", 2]);
});

test("a draft left by a closed tab is restored on reload and saved", () => {
  const { box, saver, wait } = harness({ draft: { base: 4, body: "typed before the tab closed" } });
  assert.equal(saver.remote(saved(4, "older")), "draft");
  assert.equal(box.text, "typed before the tab closed");
  assert.equal(saver.pending, true);
  wait();
  assert.deepEqual([box.sends[0].body, box.sends[0].base], ["typed before the tab closed", 4]);
});

test("typing while a save is on its way saves again after it", () => {
  const { box, saver, wait, type } = harness();
  saver.remote(null);
  type("a");
  wait();
  type("ab");
  wait();
  assert.equal(box.sends.length, 1);  // one at a time
  box.sends[0].done(saved(1, "a"));
  assert.equal(saver.pending, true);
  wait();
  assert.deepEqual([box.sends[1].body, box.sends[1].base], ["ab", 1]);
});
