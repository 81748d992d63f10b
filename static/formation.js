/* Form circles: the progress bar of a formation run, moving on to its preview when done;
 * on the preview, moving a member refreshes the circles' reasons and the figures in place.
 *
 * Progress comes over the member's Socket.IO connection (live.js, event "formation_progress")
 * when it is connected, and from the run's status endpoint otherwise. Polling also continues,
 * slowly, beside a connected socket: a message sent before the socket connected is not lost.
 * Server data reaches the page only as text (textContent), never as HTML.
 * An ES module (templates/formation/progress.html and preview.html).
 */
import { t } from "./i18n.js";
import { liveSocket } from "./live.js";

var FAST_POLL_MS = 1000;  /* no socket: poll every second */
var SLOW_POLL_MS = 4000;  /* socket connected: a safety net only */

function start() {
  var box = document.getElementById("formation-run");
  var bar = document.getElementById("formation-progress");
  if (!box || !bar) {
    return;
  }
  var runId = Number(box.getAttribute("data-run-id"));
  var statusUrl = box.getAttribute("data-status-url");
  var text = document.getElementById("formation-progress-text");
  var finished = false;

  function show(fraction) {
    if (typeof fraction !== "number" || !isFinite(fraction)) {
      return;
    }
    var pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    if (pct < Number(bar.value)) {
      return;  /* an older message arrived late */
    }
    bar.value = pct;
    bar.textContent = pct + " %";
    if (text) {
      text.textContent = pct + " % done";
    }
  }

  /* The same URL now renders the preview (or the reason it failed). */
  function finish() {
    if (finished) {
      return;
    }
    finished = true;
    show(1);
    if (text) {
      text.textContent = t("Done — opening the preview…");
    }
    window.location.reload();
  }

  var socket = liveSocket();
  function socketConnected() {
    return Boolean(socket && socket.connected);
  }
  if (socket) {
    socket.on("formation_progress", function (data) {
      if (!data || data.run_id !== runId) {
        return;
      }
      show(data.fraction);
      if (data.done) {
        finish();
      }
    });
  }

  function poll() {
    if (finished) {
      return;
    }
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && answer.status && answer.status !== "computing") {
          finish();
          return;
        }
        if (answer) {
          show(answer.fraction);
        }
        window.setTimeout(poll, socketConnected() ? SLOW_POLL_MS : FAST_POLL_MS);
      })
      .catch(function () {
        window.setTimeout(poll, SLOW_POLL_MS);
      });
  }
  poll();
}

/* ---- preview: move a member without a reload ---------------------------------------
 * The form posts as usual (its CSRF token included) asking for JSON; the answer carries the
 * round's circles (reasons) and the recomputed figures. Anything unexpected falls back to
 * the plain form submission, which re-renders the page. */

function textItems(list, lines) {
  var items = lines.map(function (line) {
    var item = document.createElement("li");
    item.textContent = String(line);
    return item;
  });
  list.replaceChildren.apply(list, items);
}

function clearError(row, select) {
  row.classList.remove("has-error");
  select.removeAttribute("aria-invalid");
  select.removeAttribute("aria-describedby");
  row.querySelectorAll("p.error").forEach(function (p) { p.remove(); });
}

function showErrors(row, select, errors) {
  clearError(row, select);
  var details = row.querySelector("details");
  if (details) {
    details.open = true;
  }
  var id = select.id + "-error";
  row.classList.add("has-error");
  select.setAttribute("aria-invalid", "true");
  select.setAttribute("aria-describedby", id);
  errors.forEach(function (message) {
    var p = document.createElement("p");
    p.className = "error";
    p.id = id;
    p.setAttribute("role", "alert");
    p.textContent = String(message);
    row.appendChild(p);
  });
}

function say(message) {
  var region = document.getElementById("formation-status");
  if (region) {
    var p = document.createElement("p");
    p.className = "flash flash-ok";
    p.textContent = String(message);
    region.replaceChildren(p);
  }
}

/* The whole round as the server re-formed it: every member's row goes to the circle the
 * answer lists them in (the move re-optimises the other circles too), each row's "Move to"
 * offers the other circles, and every circle's reasons and rule breaks are redrawn. */
function applyMove(form, answer) {
  var row = form.closest("li");
  var select = form.querySelector("select[name=to_circle]");
  var round = form.querySelector("input[name=round_no]").value;
  if (!row || !Array.isArray(answer.circles)) {
    return false;
  }
  var rows = {};
  document.querySelectorAll('article[data-round="' + round + '"] ul.members > li')
    .forEach(function (item) {
      var uid = item.querySelector("input[name=user_id]");
      if (uid) {
        rows[uid.value] = item;
      }
    });
  clearError(row, select);
  answer.circles.forEach(function (circle) {
    var article = document.querySelector(
      'article[data-round="' + round + '"][data-index="' + Number(circle.index) + '"]');
    if (!article) {
      return;
    }
    var list = article.querySelector("ul.members");
    circle.member_ids.forEach(function (uid) {
      var item = rows[String(uid)];
      if (item) {
        list.appendChild(item);
        var options = answer.circles.filter(function (other) {
          return other.index !== circle.index;
        }).map(function (other) {
          var option = document.createElement("option");
          option.value = String(Number(other.index));
          option.textContent = String(other.name);
          return option;
        });
        var choice = item.querySelector("select[name=to_circle]");
        if (choice) {
          choice.replaceChildren.apply(choice, options);
        }
        var details = item.querySelector("details");
        if (details) {
          details.open = false;
        }
      }
    });
    textItems(article.querySelector("ul.why"), circle.why);
    var breaks = article.querySelector("ul.breaks");
    if (breaks) {
      textItems(breaks, circle.breaks || []);
      breaks.hidden = !(circle.breaks && circle.breaks.length);
    }
  });
  (answer.figures || []).forEach(function (figure) {
    var tableRow = document.querySelector('tr[data-figure-key="' + figure.key + '"]');
    if (!tableRow) {
      return;
    }
    var cells = { plan: figure.plan, baseline: figure.random, greedy: figure.greedy };
    (figure.rounds || []).forEach(function (value, i) {
      cells["round-" + (i + 1)] = value;
    });
    Object.keys(cells).forEach(function (name) {
      var cell = tableRow.querySelector('[data-figure="' + name + '"]');
      if (cell) {
        cell.textContent = String(cells[name]);
      }
    });
  });
  say(answer.message);
  return true;
}

function onMove(event) {
  var form = event.currentTarget;
  event.preventDefault();
  var row = form.closest("li");
  var select = form.querySelector("select[name=to_circle]");
  fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      return response.json();
    })
    .then(function (answer) {
      if (answer && answer.ok && Array.isArray(answer.circles) && applyMove(form, answer)) {
        return;
      }
      if (answer && Array.isArray(answer.errors) && row && select) {
        showErrors(row, select, answer.errors);
        return;
      }
      form.submit();
    })
    .catch(function () {
      form.submit();
    });
}

function startPreview() {
  document.querySelectorAll("form.move").forEach(function (form) {
    form.addEventListener("submit", onMove);
  });
}

/* The socket can open once the document has been parsed (live.js): start then. */
function startAll() {
  start();
  startPreview();
}
if (document.readyState === "complete") {
  startAll();
} else {
  window.addEventListener("DOMContentLoaded", startAll);
}
