/* What the live room says aloud (static/room/announce.js): the stage and whose turn it is,
 * who joins and leaves, the timer's last minute and its end — each once. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { MINUTE_LEFT, TIME_UP, announcements, facts, timerAnnouncement } from "../../static/room/announce.js";

const people = (ada, ben) => [{ id: 1, name: "Ada", presence: ada }, { id: 2, name: "Ben", presence: ben }];

test("the first look at the room is not news", () => {
  assert.deepEqual(announcements(null, facts("live", "Check-in", people("here", "here")), 1), []);
});

test("a new stage is said with whose turn it is", () => {
  const before = facts("live", "Check-in · 1 of 2 · your turn", people("here", "here"));
  const after = facts("live", "Check-in · 2 of 2 · Ben’s turn", people("here", "here"));
  assert.deepEqual(announcements(before, after, 1), ["Check-in · 2 of 2 · Ben’s turn"]);
  assert.deepEqual(announcements(after, after, 1), []);
});

test("others joining and leaving are said, oneself never", () => {
  const before = facts("live", "Agenda", people("absent", "absent"));
  const joined = facts("live", "Agenda", people("here", "here"));
  assert.deepEqual(announcements(before, joined, 1), ["Ben joined."]);
  assert.deepEqual(announcements(joined, facts("live", "Agenda", people("here", "left")), 1), ["Ben left."]);
  // A dropped connection that comes back is neither a leaving nor a joining.
  const flaky = facts("live", "Agenda", people("here", "reconnecting"));
  assert.deepEqual(announcements(joined, flaky, 1), []);
  assert.deepEqual(announcements(flaky, joined, 1), []);
  assert.deepEqual(announcements(flaky, facts("live", "Agenda", people("here", "away")), 1), ["Ben left."]);
});

test("the timer speaks as its last minute begins and at zero, once each", () => {
  assert.equal(timerAnnouncement(null, 300000), null);
  assert.equal(timerAnnouncement(120000, 90000), null);
  assert.equal(timerAnnouncement(60200, 59950), MINUTE_LEFT);
  assert.equal(timerAnnouncement(59950, 59700), null);
  assert.equal(timerAnnouncement(200, -50), TIME_UP);
  assert.equal(timerAnnouncement(-50, -300), null);
  assert.equal(timerAnnouncement(30000, null), null);  // stopped
  assert.equal(timerAnnouncement(1000, 61000), null);  // extended: nothing to say
});
