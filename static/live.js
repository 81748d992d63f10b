/* Live updates for a signed-in member: one Socket.IO connection and a polite notice.
 *
 * An ES module (templates/_live.html), also imported by the pages that use the connection
 * (static/room.js, static/formation.js): a module runs once per page, so they all share the
 * one socket liveSocket() returns. The socket.io client itself is third-party code served
 * from /vendor/ as a classic deferred script and read here as window.io.
 *
 * Data from the server is only ever put into the page as text (textContent, createElement),
 * never as HTML. The state of the connection is kept on <html data-live="..."> so people
 * debugging, and browser tests, can see it: connecting | connected | refused | offline.
 */
import { t } from "./i18n.js";

var socket = null;
var root = document.documentElement;

function setState(state) {
  root.setAttribute("data-live", state);
}

/* The live region exists before any message arrives, so screen readers announce changes. */
function noticeRegion() {
  var region = document.getElementById("live-notice");
  if (region) {
    return region;
  }
  region = document.createElement("div");
  region.id = "live-notice";
  region.className = "live-notice";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  var main = document.getElementById("main") || document.body;
  main.insertBefore(region, main.firstChild);
  return region;
}

/* Only same-site paths are linked: a URL from a message can never run script. */
function safePath(url) {
  return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" &&
    url.charAt(1) !== "\\";
}

function showPlaced(data) {
  var region = noticeRegion();
  var message = document.createElement("p");
  message.className = "flash flash-ok";
  var name = data && typeof data.name === "string" ? data.name : t("a new circle");
  message.appendChild(document.createTextNode(t("You were placed in a new circle: %(name)s", { name: name })));
  if (data && safePath(data.url)) {
    message.appendChild(document.createTextNode(" — "));
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = t("open it");
    message.appendChild(link);
  }
  region.replaceChildren(message);
  refreshCircles();
}

/* The dashboard's circle list is fetched again (the new circle in, a closed one out). The
 * fragment is the server's own page markup, parsed inert (DOMParser runs no script) and
 * only ever swapped in for the region it replaces. */
function refreshCircles() {
  var region = document.getElementById("my-circles-region");
  var url = region ? region.getAttribute("data-refresh") : null;
  if (!region || !safePath(url)) {
    return Promise.resolve(false);
  }
  return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) {
      return response.ok ? response.text() : null;
    })
    .then(function (html) {
      var fresh = html && new DOMParser().parseFromString(html, "text/html")
        .getElementById("my-circles-region");
      if (!fresh) {
        return false;
      }
      region.replaceChildren.apply(region, Array.from(fresh.childNodes));
      return true;
    })
    .catch(function () {
      return false;
    });
}

/* A new notification: the badge in the menu shows the count that came with it. */
function showUnread(data) {
  var count = data && Number.isInteger(data.unread) ? data.unread : null;
  var link = document.querySelector(".notifications-link");
  if (count === null || !link) {
    return;
  }
  var badge = link.querySelector(".unread-count");
  if (count === 0) {
    if (badge) {
      badge.remove();
    }
    return;
  }
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "badge unread-count";
    link.appendChild(document.createTextNode(" "));
    link.appendChild(badge);
  }
  badge.textContent = String(count);
  badge.setAttribute("aria-label", count + " unread");
}

/* An introduction waits for this member (or went ahead): only its id and status travel. */
function showIntroduction(data) {
  var region = noticeRegion();
  var message = document.createElement("p");
  message.className = "flash flash-ok";
  var accepted = data && data.status === "accepted";
  message.appendChild(document.createTextNode(accepted ? t("An introduction went ahead.")
    : t("An introduction is waiting for you.")));
  message.appendChild(document.createTextNode(" — "));
  var link = document.createElement("a");
  link.href = "/introductions";
  link.textContent = t("see introductions");
  message.appendChild(link);
  region.replaceChildren(message);
}

/** The page's one connection, opened on the first call; null while the socket.io client
 * is not there (it never is for a visitor who is not signed in). */
export function liveSocket() {
  if (socket === null && typeof window.io === "function") {
    socket = open(window.io);
  }
  return socket;
}

function open(io) {
  noticeRegion();
  setState("connecting");
  var opened = io({ reconnectionDelayMax: 10000 });

  opened.on("connect", function () {
    opened.emit("whoami", function (answer) {
      if (answer && answer.ok) {
        setState("connected");
      } else {
        setState("refused");
        opened.disconnect();
      }
    });
  });
  opened.on("connect_error", function () {
    /* The server refuses logged-out sockets; a reload shows the login page. */
    setState(opened.active ? "connecting" : "refused");
  });
  opened.on("disconnect", function () {
    if (root.getAttribute("data-live") !== "refused") {
      setState("offline");
    }
  });
  /* A page that goes away says goodbye, so the server gives back its socket slot at once
   * (realtime/slots.py): left to time out, a socket still held its slot for up to 45 s,
   * and a member who went through a dozen pages was refused live updates on the next one.
   * A connection still on long-polling (before its upgrade to a websocket) is closed with a
   * beacon, the one request a page that is going away can still send; a websocket closes
   * with the page. A page the browser brings back from its history connects again. */
  window.addEventListener("pagehide", function () {
    var engine = opened.io.engine;
    if (engine && engine.id && engine.transport && engine.transport.name === "polling" &&
        navigator.sendBeacon) {
      navigator.sendBeacon("/socket.io/?EIO=4&transport=polling&sid=" +
                           encodeURIComponent(engine.id), "1");
    }
    opened.disconnect();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      opened.connect();
    }
  });
  opened.on("circle_placed", showPlaced);
  opened.on("notification", showUnread);
  opened.on("introduction", showIntroduction);
  return opened;
}

function start() {
  if (liveSocket() === null) {
    setState("offline");
  }
}

/* Modules run before DOMContentLoaded but, imported by a page's module, possibly before the
 * socket.io script that comes later in the page: by DOMContentLoaded every deferred script
 * has run. (A module runs once, from the page's own <script type="module">, never later.) */
if (document.readyState === "complete") {
  start();
} else {
  document.addEventListener("DOMContentLoaded", start);
}
