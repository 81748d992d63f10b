/* Live updates for a signed-in member: one Socket.IO connection and a polite notice.
 *
 * Data from the server is only ever put into the page as text (textContent, createElement),
 * never as HTML. The state of the connection is kept on <html data-live="..."> so people
 * debugging, and browser tests, can see it: connecting | connected | refused | offline.
 */
(function () {
  "use strict";

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
    var name = data && typeof data.name === "string" ? data.name : "a new circle";
    message.appendChild(document.createTextNode("You were placed in a new circle: " + name));
    if (data && safePath(data.url)) {
      message.appendChild(document.createTextNode(" — "));
      var link = document.createElement("a");
      link.href = data.url;
      link.textContent = "open it";
      message.appendChild(link);
    }
    region.replaceChildren(message);
  }

  /* An introduction waits for this member (or went ahead): only its id and status travel. */
  function showIntroduction(data) {
    var region = noticeRegion();
    var message = document.createElement("p");
    message.className = "flash flash-ok";
    var accepted = data && data.status === "accepted";
    message.appendChild(document.createTextNode(accepted ? "An introduction went ahead."
      : "An introduction is waiting for you."));
    message.appendChild(document.createTextNode(" — "));
    var link = document.createElement("a");
    link.href = "/introductions";
    link.textContent = "see introductions";
    message.appendChild(link);
    region.replaceChildren(message);
  }

  function start() {
    if (typeof window.io !== "function") {
      setState("offline");
      return;
    }
    noticeRegion();
    setState("connecting");
    var socket = window.io({ reconnectionDelayMax: 10000 });

    socket.on("connect", function () {
      socket.emit("whoami", function (answer) {
        if (answer && answer.ok) {
          setState("connected");
        } else {
          setState("refused");
          socket.disconnect();
        }
      });
    });
    socket.on("connect_error", function () {
      /* The server refuses logged-out sockets; a reload shows the login page. */
      setState(socket.active ? "connecting" : "refused");
    });
    socket.on("disconnect", function () {
      if (root.getAttribute("data-live") !== "refused") {
        setState("offline");
      }
    });
    socket.on("circle_placed", showPlaced);
    socket.on("introduction", showIntroduction);
    window.circlesLive = socket;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
