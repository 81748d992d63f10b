/* Where and in which words a refused live action is explained (static/room/refusal.js,
 * docs/realtime.md "Calling events"): the server's sentence, next to the control that sent
 * the field it names, and numbers sent as typed so the server can answer in their unit. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { BUSY, NO_ANSWER, REFUSED, refusalOf, spotFor, wholeNumber } from "../../static/room/refusal.js";

test("the server's sentence is shown as it is, with the field it names", () => {
  const ack = { ok: false, error: "Give a whole number of minutes from 1 to 60.", field: "timebox_minutes" };
  assert.deepEqual(refusalOf(null, ack), { message: ack.error, field: "timebox_minutes" });
  assert.deepEqual(refusalOf(null, { ok: false, error: "Only the item's author can rename it." }),
    { message: "Only the item's author can rename it.", field: null });
  assert.deepEqual(refusalOf(new Error("timeout"), null), { message: NO_ANSWER, field: null });
  assert.deepEqual(refusalOf(null, { ok: false }), { message: REFUSED, field: null });
});

test("a busy server's refusal is shown in the member's language, not its English sentence", () => {
  const ack = { ok: false, busy: true, retry_after: 1, error: "The server is busy; send this again in a moment." };
  assert.deepEqual(refusalOf(null, ack), { message: BUSY, field: null });
});

test("a refusal goes next to the control of its field, else next to the action", () => {
  const spots = { "": "form", title: "title line", timebox_minutes: "minutes line" };
  assert.equal(spotFor("timebox_minutes", spots), "timebox_minutes");
  assert.equal(spotFor("title", spots), "title");
  assert.equal(spotFor("question_id", spots), "");
  assert.equal(spotFor(null, spots), "");
  assert.equal(spotFor("toString", spots), "");  // no inherited names
  const timer = { "": "timer line", minutes: "minutes line" };
  assert.equal(spotFor("seconds", timer, { seconds: "minutes" }), "minutes");
});

test("numbers go as typed when they are not whole, so the server explains in their unit", () => {
  assert.equal(wholeNumber("5"), 5);
  assert.equal(wholeNumber(" -5 "), -5);
  assert.equal(wholeNumber("999"), 999);
  assert.equal(wholeNumber("1.5"), "1.5");
  assert.equal(wholeNumber(""), "");
  assert.equal(wholeNumber("99999999999999999999"), "99999999999999999999");
  assert.equal(wholeNumber(null), "");
});
