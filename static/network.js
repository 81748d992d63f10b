/* My network: the drawn graph (cytoscape.js), the growth chart and the Higgins–Kram quadrant
 * (plain inline SVG), and the metrics with what they mean; on a community's network page, the
 * facilitator's chart per round. The SVG charts themselves are static/network_charts.js.
 *
 * An ES module (templates/network/show.html, community.html); the graph is
 * static/network_graph.js. It reads the keys of /network/data.json as
 * circles.network.ego.my_network() writes them, and the Higgins–Kram cut-offs and the order of
 * the metrics from there too.
 *
 * Every name, organisation and label comes from members, so it reaches the page only as text
 * (textContent, SVG text nodes, cytoscape labels drawn on a canvas), never as HTML.
 */
import { clear, el, quadrant, roundChart } from "./network_charts.js";
import { drawGraph, fitGraph } from "./network_graph.js";
import { t } from "./i18n.js";

var QUADRANTS = {
  receptive: t("Receptive: few social systems, mostly weak ties"),
  traditional: t("Traditional: few social systems, mostly strong ties"),
  opportunistic: t("Opportunistic: many social systems, mostly weak ties"),
  entrepreneurial: t("Entrepreneurial: many social systems, mostly strong ties")
};

function say(text) {
  var status = document.getElementById("network-status");
  if (status) {
    status.textContent = text;
  }
}

function drawGrowth(data) {
  var box = document.getElementById("network-growth");
  if (!box) {
    return;
  }
  roundChart(box, data.growth, [
    { key: "new_ties", label: t("New ties"), kind: "bar", colour: "#F5B700" },
    { key: "size", label: t("Size"), kind: "line", colour: "#0072B2" },
    { key: "range", label: t("Range"), kind: "line", colour: "#009E73", dash: "6 3" }
  ], t("Size, range and new ties, round by round"), { table: true });
}

/* The path through the quadrant: where the network stood at the end of every round. */
function hkPoints(data) {
  return data.growth.map(function (r) {
    return { label: r.label, range: r.range, strong: r.strong_share, type: r.hk_type };
  });
}

function drawQuadrant(data) {
  var box = document.getElementById("network-quadrant");
  if (!box) {
    return;
  }
  var points = hkPoints(data);
  var hk = data.hk;
  quadrant(box, points, { range: hk.range_cut, strong: hk.strong_cut },
                  t("Your Higgins–Kram type, round by round"));
  var type = hk.type;
  var line = document.getElementById("network-hk");
  if (line) {
    line.textContent = type ? t("Now: %(type)s.", { type: QUADRANTS[type] || type }) :
      t("Your type shows once you have ties.");
  }
}

/* ---------- metrics ---------- */

/* In the server's order, from the simplest figure to the summary type. */
function metricRows(data) {
  return data.metric_order.map(function (key) {
    return Object.assign({ key: key }, data.metrics[key]);
  });
}

function drawMetrics(data) {
  var list = document.getElementById("network-metrics");
  if (!list) {
    return;
  }
  clear(list);
  metricRows(data).forEach(function (m) {
    var wrap = el("div", null, "metric");
    wrap.setAttribute("data-metric", m.key);
    wrap.appendChild(el("dt", m.label));
    wrap.appendChild(el("dd", m.display, "metric-value"));
    if (m.explanation) {
      wrap.appendChild(el("dd", m.explanation, "hint"));
    }
    list.appendChild(wrap);
  });
}

/* ---------- pages ---------- */

function load(url) {
  return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(t("the server answered %(status)s", { status: response.status }));
      }
      return response.json();
    });
}

function memberPage(root) {
  var url = root.getAttribute("data-url");
  var toggle = document.getElementById("network-second-ring");
  var box = document.getElementById("network-graph");
  load(url)
    .then(function (data) {
      drawGraph(data);
      drawGrowth(data);
      drawQuadrant(data);
      drawMetrics(data);
      say("");
      root.setAttribute("data-loaded", "true");
    })
    .catch(function (error) {
      say(t("Your network could not be loaded (%(reason)s). Reload to try again.",
        { reason: error.message }));
    });
  if (toggle) {
    toggle.addEventListener("change", function () {
      box.setAttribute("data-ready", "false");
      say(toggle.checked ? t("Adding the people two steps away…") : t("Back to your own contacts…"));
      load(url + (toggle.checked ? "?second_ring=1" : ""))
        .then(function (data) {
          drawGraph(data);
          say("");
        })
        .catch(function (error) {
          say(t("That did not load (%(reason)s). Try again.", { reason: error.message }));
        });
    });
  }
  var fit = document.getElementById("network-fit");
  if (fit) {
    fit.addEventListener("click", fitGraph);
  }
  /* A phone turned on its side: fit the drawing to its new box once the turn has settled. */
  var width = window.innerWidth;
  var pending = null;
  window.addEventListener("resize", function () {
    if (window.innerWidth === width) {
      return;
    }
    width = window.innerWidth;
    clearTimeout(pending);
    pending = setTimeout(fitGraph, 200);
  });
}

/* Two charts, one unit each: figures per member (a mean of 0.7 next to 4.9) would vanish
 * on the scale of the community's counts (123 ties). */
function communityPage(root) {
  var source = document.getElementById("community-network-data");
  var perMember = document.getElementById("community-network-chart");
  var counts = document.getElementById("community-network-counts");
  if (!source || !perMember) {
    return;
  }
  var rows = JSON.parse(source.textContent || "[]");
  var name = root.getAttribute("data-community") || t("the community");
  roundChart(perMember, rows, [
    { key: "mean_new_ties", label: t("New ties (mean)"), kind: "bar", colour: "#0072B2" },
    { key: "p10_new_ties", label: t("New ties (10th percentile)"), kind: "bar", colour: "#D55E00" },
    { key: "mean_range_growth", label: t("Range growth (mean)"), kind: "line", colour: "#009E73" }
  ], t("New ties and range growth per member, round by round, in %(name)s", { name: name }),
  { unit: t("per member") });
  if (counts) {
    roundChart(counts, rows, [
      { key: "ties_created", label: t("New ties made"), kind: "bar", colour: "#0072B2" },
      { key: "cross_org_ties", label: t("Cross-organisation ties"), kind: "bar",
        colour: "#CC79A7" }
    ], t("New ties made in %(name)s, round by round, and how many crossed organisations",
         { name: name }),
    { unit: t("ties") });
  }
}

function start() {
  var member = document.getElementById("network");
  if (member) {
    memberPage(member);
  }
  var community = document.getElementById("community-network");
  if (community) {
    communityPage(community);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
