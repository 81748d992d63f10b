/* What the live room says aloud: a change that arrives live (the stage, whose turn it is,
 * someone joining or leaving, the timer's last minute) is written into a polite live region
 * (#room-announcer, role=status), so a screen reader speaks it and not only the screen draws
 * it. Refusals are spoken by their own role=alert lines (assertive). The pure part —
 * which words, when — is unit-tested by Node (tests/js/announce.test.mjs).
 * Part of the live room (static/room.js lists its modules). */
import { t } from "../i18n.js";

export const ONE_MINUTE_MS = 60000;
export const MINUTE_LEFT = t("One minute left.");
export const TIME_UP = t("Time is up.");
var KEPT = 3;  // lines kept in the region, newest last

/* The facts a person is told about: ``members`` as {id, name, presence}. */
export function facts(status, stageLine, members) {
  var people = {};
  members.forEach(function (m) { people[m.id] = { name: m.name, presence: m.presence }; });
  return { status: status, stage: stageLine, people: people };
}

/* The sentences for the change from ``before`` to ``after`` (none for the first look at the
 * room: joining is not news). ``me`` is never announced to themself. */
export function announcements(before, after, me) {
  if (!before) {
    return [];
  }
  var said = [];
  if (after.stage && after.stage !== before.stage) {
    said.push(after.stage);
  }
  Object.keys(after.people).forEach(function (id) {
    if (Number(id) === me) {
      return;
    }
    var was = before.people[id] ? before.people[id].presence : "absent";
    var now = after.people[id].presence;
    if (now === "here" && was !== "here" && was !== "reconnecting") {
      said.push(t("%(name)s joined.", { name: after.people[id].name }));
    } else if (was === "here" || was === "reconnecting") {
      if (now === "left" || now === "away") {
        said.push(t("%(name)s left.", { name: after.people[id].name }));
      }
    }
  });
  return said;
}

/* The timer's words as its remaining time goes from ``before`` to ``now`` (ms, null when
 * not running): once as the last minute begins, once at zero. */
export function timerAnnouncement(before, now) {
  if (before === null || now === null || now >= before) {
    return null;
  }
  if (before > 0 && now <= 0) {
    return TIME_UP;
  }
  if (before > ONE_MINUTE_MS && now <= ONE_MINUTE_MS) {
    return MINUTE_LEFT;
  }
  return null;
}

/* Write ``text`` into the room's live region (the last few lines stay readable there). */
export function say(text) {
  var region = document.getElementById("room-announcer");
  if (!region || !text) {
    return;
  }
  var line = document.createElement("p");
  line.textContent = text;
  region.appendChild(line);
  while (region.childNodes.length > KEPT) {
    region.removeChild(region.firstChild);
  }
}
