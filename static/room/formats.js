/* Peer-consulting formats in the live room (circles/live/formats.py): the round line (step,
 * client, recorder), the client's read-only turn-away, what each format's rounds take, the
 * clearness write-up and the airtime panel. Part of the live room (static/room.js). */
import { t } from "../i18n.js";
import { $, activeStage, el, holds, isLive, nameOf, room, show } from "./core.js";

export const FORMAT_PHASES = {
  wise_crowds: ["checkin", "rounds", "close"], troika: ["checkin", "rounds", "close"],
  clearness: ["checkin", "rounds", "close"],
  action_learning: ["review", "rounds", "commitments", "close"]
};
export const STEP_NAMES = {
  present: t("The client presents"), clarify: t("Clarifying questions"),
  discuss: t("Consultants talk; the client listens"), respond: t("The client says what was useful"),
  questions: t("Open questions only")
};
const CLIENT_WORD = { clearness: t("focus person"), action_learning: t("presenter") };
const ROUND_KINDS = ["question", "story", "resource", "idea", "reflection"];
const TURNED_AWAY = ["discuss"];

function format() {
  return room.state ? room.state.session.format || "circle" : "circle";
}

export function clientWord() {
  return CLIENT_WORD[format()] || t("client");
}

export function isClient(stage, id) {
  return Boolean(stage && stage.clients && stage.clients.indexOf(id) >= 0);
}

/* The members of my trio in a Troika phase, or null. */
export function myTrio(phase) {
  var trios = phase && phase.trios;
  if (!trios) {
    return null;
  }
  return trios.filter(function (t) { return t.indexOf(room.state.me) >= 0; })[0] || null;
}

/* The client I am consulting (my trio's, in Troika), or null. */
export function clientFor(phase, stage) {
  var trio = myTrio(phase);
  var clients = stage ? stage.clients || [] : [];
  return clients.filter(function (c) { return !trio || trio.indexOf(c) >= 0; })[0] || null;
}

export function turnedAway(phase, stage) {
  return Boolean(phase && phase.kind === "rounds" && stage && TURNED_AWAY.indexOf(stage.step) >= 0 &&
    isClient(stage, room.state.me));
}

export function roundKinds() {
  return format() === "clearness" ? ["question"] : ROUND_KINDS;
}

export function roundLine(phase, stage) {
  var rounds = phase.stages.reduce(function (n, s) { return Math.max(n, s.round + 1); }, 0);
  var text = t("Round %(round)s of %(rounds)s", { round: stage.round + 1, rounds: rounds }) + " · " +
    (STEP_NAMES[stage.step] || stage.step);
  var client = clientFor(phase, stage);
  if (client) {
    text += " · " + t("%(role)s: %(name)s", { role: clientWord(), name: client === room.state.me ? t("you") : nameOf(client) });
  } else if (myTrio(phase)) {
    text += " · " + t("your trio has a free round");
  }
  if (stage.recorder_id) {
    text += " · " + t("recorder: %(name)s", { name: stage.recorder_id === room.state.me ? t("you") : nameOf(stage.recorder_id) });
  }
  return text;
}

export function renderRound(phase) {
  var stage = activeStage();
  var inRounds = isLive() && phase && phase.kind === "rounds" && stage;
  show($("round-panel"), Boolean(inRounds || (room.state.session.writeup && format() === "clearness")));
  $("round-line").textContent = inRounds ? roundLine(phase, stage) : "";
  var writeup = format() === "clearness" ? room.state.session.writeup : "";
  show($("round-writeup"), Boolean(writeup));
  $("round-writeup").textContent = writeup ? t("%(name)s wrote: %(text)s", { name: nameOf(room.state.session.focus_person_id), text: writeup }) : "";
  show($("turned-away"), turnedAway(phase, stage));
  show($("stopped-notice"), Boolean(room.stopped));
  $("stopped-notice").textContent = room.stopped || "";
}

function percent(share) {
  return Math.round(share * 100) + " %";
}

export function renderAirtime() {
  var airtime = room.state.airtime;
  var counted = room.state.phases.some(function (p) { return p.kind === "rounds" || p.kind === "focus"; });
  show($("airtime-panel"), Boolean(airtime && counted && room.state.session.status !== "scheduled"));
  if (!airtime) {
    return;
  }
  var mine = airtime.mine;
  var shares = { client: percent(mine.client_share), role: clientWord(), turns: mine.client_turns,
    contributor: percent(mine.contributor_share), equal: percent(airtime.equal_share) };
  $("airtime-mine").textContent = mine.client_turns === 1
    ? t("Your share: %(client)s of the time as %(role)s (%(turns)s turn), %(contributor)s of the contributions. An equal share is %(equal)s.", shares)
    : t("Your share: %(client)s of the time as %(role)s (%(turns)s turns), %(contributor)s of the contributions. An equal share is %(equal)s.", shares);
  var nudge = airtime.nudges.indexOf("contributor") >= 0 ? t("You have said less than half an equal share so far: the room would like to hear from you.") :
    airtime.nudges.indexOf("client") >= 0 ? t("Your time as %(role)s was under half an equal share: ask the facilitator for more next time.", { role: clientWord() }) : "";
  show($("airtime-nudge"), Boolean(nudge));
  $("airtime-nudge").textContent = nudge;
  var everyone = airtime.everyone;
  show($("airtime-everyone"), Boolean(everyone && holds("facilitator")));
  show($("airtime-spread"), Boolean(everyone && holds("facilitator")));
  if (!everyone) {
    return;
  }
  var low = {};
  everyone.nudges.forEach(function (n) { low[n.member_id] = true; });
  $("airtime-everyone").tBodies[0].replaceChildren.apply($("airtime-everyone").tBodies[0], everyone.members.map(function (r) {
    return el("tr", { "data-member-id": r.member_id, class: low[r.member_id] ? "below-half" : null }, [
      el("th", { scope: "row", text: nameOf(r.member_id) + (low[r.member_id] ? " ⚑" : "") }),
      el("td", { text: percent(r.client_share) + " · " + Math.round(r.client_seconds / 60) + " min" }),
      el("td", { text: percent(r.contributor_share) + " · " + r.contributions })
    ]);
  }));
  $("airtime-spread").textContent = t("Spread (highest minus lowest share): %(client)s as %(role)s, %(contributor)s of contributions.", {
    client: percent(everyone.spread.client_share), role: clientWord(), contributor: percent(everyone.spread.contributor_share) }) +
    (everyone.nudges.length ? t(" ⚑ below half an equal share.") : "");
}
