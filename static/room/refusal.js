/* Where a refused live action is explained, and in which words (docs/realtime.md, "Calling
 * events"): the server's ack says what is wrong in a sentence for people and, apart, which
 * payload ``field`` it is about; the room shows the sentence next to the control that sent
 * that field, or next to the action's button when no control matches.
 *
 * Pure: no DOM and no socket, so tests/js/refusal.test.mjs checks it with Node.
 */
import { t } from "../i18n.js";

export const OFFLINE = t("You are offline, so this was not sent: try again once the room has reconnected.");
export const NO_ANSWER = t("No answer from the server; please try again.");
export const REFUSED = t("That did not work.");
export const BUSY = t("The server is busy, so this was not sent: try again in a moment.");

/**
 * The refusal to show for one answer: ``{message, field}``.
 *
 * ``error`` is the socket's own failure (no ack came); ``ack`` is the server's answer. A
 * field is given only when the server named one.
 */
export function refusalOf(error, ack) {
  if (error) {
    return { message: NO_ANSWER, field: null };
  }
  if (ack && ack.busy) {  // the server's sentence is English only (realtime/busy.py)
    return { message: BUSY, field: null };
  }
  var message = ack && typeof ack.error === "string" && ack.error ? ack.error : REFUSED;
  var field = ack && typeof ack.field === "string" ? ack.field : null;
  return { message: message, field: field };
}

/**
 * Which of an action's error spots shows a refusal about ``field``: the spot named after
 * the field, else one the action maps it to (``aliases``: the timer's "minutes" field also
 * answers for "seconds"), else the action's own spot "".
 */
export function spotFor(field, spots, aliases) {
  if (field !== null && field !== undefined) {
    if (Object.prototype.hasOwnProperty.call(spots, field)) {
      return field;
    }
    var alias = aliases && aliases[field];
    if (alias !== undefined && Object.prototype.hasOwnProperty.call(spots, alias)) {
      return alias;
    }
  }
  return "";
}

/**
 * A number typed into a field, as the payload carries it: a whole number as a number, and
 * anything else as typed (the server then says, in the field's unit, what it takes), so
 * "1.5" or "" are refused in words rather than rounded or dropped.
 */
export function wholeNumber(raw) {
  var text = String(raw === null || raw === undefined ? "" : raw).trim();
  if (/^-?\d+$/.test(text)) {
    var value = Number(text);
    if (Number.isSafeInteger(value)) {
      return value;
    }
  }
  return text;
}
