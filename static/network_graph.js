/* My network's graph: the drawing (cytoscape.js), its legend and the same network as a list
 * in words. Part of static/network.js (the member's network page), from the keys of
 * /network/data.json as circles.network.ego.my_network() writes them.
 *
 * cytoscape.js is third-party code served from /vendor/ as a classic deferred script and read
 * here as window.cytoscape. Names and labels reach the page only as text.
 * The graph container carries data-node-count / data-edge-count: what is drawn, for people
 * using assistive technology ("n people") and for the browser tests.
 */
import { clear, el, formatValue } from "./network_charts.js";
import { labelPolicy, openingZoom, orient, separate, shortName } from "./network_layout.js";
import { t } from "./i18n.js";

var BIG = 300;          /* from this many people on: concentric rings, no force layout */
var PADDING = 16;       /* pixels between the drawing and the edge of its box */
var MAX_SPREAD = 2;     /* how far a small network is spread out to use its box */
var FONT = 12;          /* name size in the drawing's units */
var READABLE_ZOOM = 0.9;  /* names of 11 px on screen, where the layout allows it */
/* Colour-blind-safe first (Okabe–Ito), then more distinct hues; grey for the rest. */
var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
               "#F0E442", "#7B61FF", "#8C564B", "#17BECF", "#BCBD22", "#E377C2"];
var OTHER = "#9CA3AF";

/* ---------- colours by social system ---------- */

function colourMap(nodes) {
  var counts = {};
  nodes.forEach(function (n) {
    counts[n.system] = (counts[n.system] || 0) + 1;
  });
  var systems = Object.keys(counts).sort(function (a, b) {
    return counts[b] - counts[a] || (a < b ? -1 : 1);
  });
  var colours = {};
  systems.forEach(function (system, i) {
    colours[system] = i < PALETTE.length ? PALETTE[i] : OTHER;
  });
  return { colours: colours, systems: systems, counts: counts };
}

function drawLegend(map) {
  var legend = document.getElementById("network-legend");
  if (!legend) {
    return;
  }
  clear(legend);
  var others = 0;
  map.systems.forEach(function (system, i) {
    if (i >= PALETTE.length) {
      others += map.counts[system];
      return;
    }
    var item = el("li");
    var swatch = el("span", null, "swatch");
    swatch.style.background = map.colours[system];
    swatch.setAttribute("aria-hidden", "true");
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(system + " (" + map.counts[system] + ")"));
    legend.appendChild(item);
  });
  if (others) {
    var rest = el("li");
    var grey = el("span", null, "swatch");
    grey.style.background = OTHER;
    rest.appendChild(grey);
    rest.appendChild(document.createTextNode(t("Other systems (%(count)s)", { count: others })));
    legend.appendChild(rest);
  }
}

/* ---------- the graph ---------- */

/* Nodes as my_network() gives them: ids are strings, the ego's too ("ego": true). */
function normaliseNodes(data) {
  return data.nodes.map(function (n) {
    return {
      id: n.id,
      name: n.name,
      system: n.system || t("No organisation given"),
      kind: n.ego ? "ego" : n.kind,
      ring: n.ring,
      isNew: n["new"]
    };
  });
}

/* Edges get ids of their own: "e<index>", so a tapped edge finds its entry again. */
function normaliseEdges(data) {
  return data.edges.map(function (e, i) {
    return {
      id: "e" + i,
      source: e.source,
      target: e.target,
      strength: Math.max(1, e.strength),
      isNew: e["new"],
      how: e.how
    };
  });
}

function describeNode(node, edgesByNode, names) {
  if (node.kind === "ego") {
    return t("You. %(count)s people in your network.",
      { count: (edgesByNode[node.id] || []).length });
  }
  var who = node.name;
  if (node.kind === "external") {
    who = node.system ? t("%(name)s, outside Circles — %(system)s",
      { name: node.name, system: node.system })
      : t("%(name)s, outside Circles", { name: node.name });
  } else if (node.system) {
    who = node.name + ", " + node.system;
  }
  var own = (edgesByNode[node.id] || []).map(function (e) {
    return describeEdge(e, names);
  });
  return who + ". " + (own.length ? own.join(" ") : "");
}

/* ``how`` is the server's sentence: the tie's history for the member's own ties,
 * "They know each other." for ties among them. */
function describeEdge(edge, names) {
  var how = edge.how.charAt(0).toLowerCase() + edge.how.slice(1);
  var values = { one: names[edge.source], other: names[edge.target],
                 how: how.replace(/\.$/, ""), strength: formatValue(edge.strength) };
  var text = edge.isNew
    ? t("%(one)s and %(other)s: %(how)s (tie strength %(strength)s) — new this round.", values)
    : t("%(one)s and %(other)s: %(how)s (tie strength %(strength)s).", values);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function peopleList(nodes, edgesByNode, names) {
  var list = document.getElementById("network-people");
  if (!list) {
    return;
  }
  clear(list);
  nodes.filter(function (n) {
    return n.kind !== "ego";
  }).sort(function (a, b) {
    return a.ring - b.ring || (a.name < b.name ? -1 : 1);
  }).forEach(function (n) {
    var item = el("li", describeNode(n, edgesByNode, names));
    if (n.ring === 2) {
      item.classList.add("second-ring");
    }
    list.appendChild(item);
  });
}

function graphStyle() {
  return [
    { selector: "node", style: {
      "background-color": "data(colour)", "label": "data(label)",
      "font-size": FONT, "text-valign": "bottom", "text-margin-y": 3, "color": "#1f2937",
      "text-outline-color": "#fff", "text-outline-width": 2, "width": 18, "height": 18,
      "min-zoomed-font-size": 6 } },
    { selector: "node[kind = 'ego']", style: {
      "width": 28, "height": 28, "background-color": "#111827", "font-weight": "bold" } },
    { selector: "node[kind = 'external']", style: { "shape": "diamond" } },
    { selector: "node[ring = 2]", style: { "opacity": 0.55, "width": 12, "height": 12 } },
    { selector: "node[?isNew]", style: { "border-width": 4, "border-color": "#F5B700" } },
    { selector: "edge", style: {
      "width": "mapData(strength, 1, 6, 1, 7)", "line-color": "#9CA3AF", "opacity": 0.8,
      "curve-style": "haystack" } },
    { selector: "edge[?isNew]", style: { "line-color": "#F5B700", "opacity": 1 } },
    { selector: ".focus", style: { "label": "data(name)", "z-index": 10 } },
    { selector: "node.focus", style: { "border-width": 3, "border-color": "#111827" } },
    { selector: "edge.focus", style: { "line-color": "#111827", "opacity": 1 } }
  ];
}

/* Where everyone starts before the force layout: the member in the middle, their contacts on
 * a ring ordered by social system (so colours sit together), people two steps away outside.
 * Fixed starting places make the same network come out the same on every load. */
function startingPlaces(nodes, systemOrder) {
  var places = {};
  [1, 2].forEach(function (ring) {
    var around = nodes.filter(function (n) {
      return n.kind !== "ego" && (n.ring === 2) === (ring === 2);
    }).sort(function (a, b) {
      return systemOrder[a.system] - systemOrder[b.system] || (a.name < b.name ? -1 : 1);
    });
    var radius = 60 * ring + 6 * around.length;
    around.forEach(function (n, i) {
      var angle = 2 * Math.PI * i / Math.max(1, around.length) - Math.PI / 2;
      places[n.id] = { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
    });
  });
  nodes.forEach(function (n) {
    if (n.kind === "ego") {
      places[n.id] = { x: 0, y: 0 };
    }
  });
  return places;
}

function layoutFor(count) {
  if (count >= BIG) {
    return { name: "concentric", animate: false, minNodeSpacing: 4,
             concentric: function (node) {
               return 3 - node.data("ring");
             },
             levelWidth: function () {
               return 1;
             } };
  }
  return { name: "cose", animate: false, randomize: false, fit: false,
           nodeDimensionsIncludeLabels: true, nodeOverlap: 40,
           nodeRepulsion: function () {
             return 40000;
           },
           idealEdgeLength: function () {
             return 60 + Math.min(60, count);
           } };
}

/* Turn the drawing to the shape of its box, move people until no two names overlap, and open
 * fitted to the box with a margin: a small network is spread out rather than blown up, a
 * larger one on a small screen is drawn closer together until its names can be read. Without
 * names (past LABELLED_UP_TO people) only the turn and the fit: the layout spaces the dots. */
function arrange(drawing, box, labelled) {
  var nodes = drawing.nodes();
  place(nodes, orient(positions(nodes), box.clientWidth, box.clientHeight));
  if (!labelled) {
    fitView(drawing);
    return;
  }
  place(nodes, separate(labelBoxes(nodes)));
  drawing.fit(undefined, PADDING);
  for (var round = 0; round < 6 && drawing.zoom() < READABLE_ZOOM; round++) {
    /* Closer together by a quarter, apart again where names now meet: names keep their
     * size in the drawing, so the fitted zoom (and the names on screen) grow. */
    var before = drawing.zoom();
    scale(nodes, 0.75);
    place(nodes, separate(labelBoxes(nodes)));
    drawing.fit(undefined, PADDING);
    if (drawing.zoom() <= before * 1.02) {
      break;
    }
  }
  var spread = Math.min(MAX_SPREAD, drawing.zoom() / openingZoom(drawing.zoom()));
  if (spread > 1) {
    scale(nodes, spread);
  }
  fitView(drawing);
}

function positions(nodes) {
  return nodes.map(function (n) {
    return { id: n.id(), x: n.position("x"), y: n.position("y") };
  });
}

function place(nodes, points) {
  var byId = {};
  points.forEach(function (p) {
    byId[p.id] = { x: p.x, y: p.y };
  });
  nodes.positions(function (n) {
    return byId[n.id()];
  });
}

/* Each person's dot and name as one box around their position (network_layout.js). */
function labelBoxes(nodes) {
  return nodes.map(function (n) {
    var at = n.position();
    var bb = n.boundingBox({ includeLabels: true, includeOverlays: false });
    return { id: n.id(), x: at.x, y: at.y, fixed: n.data("kind") === "ego",
             left: at.x - bb.x1, right: bb.x2 - at.x, top: at.y - bb.y1, bottom: bb.y2 - at.y };
  });
}

/* Distances from the middle times ``factor``; the names keep their size. */
function scale(nodes, factor) {
  var middle = { x: 0, y: 0 };
  nodes.forEach(function (n) {
    middle.x += n.position("x") / nodes.length;
    middle.y += n.position("y") / nodes.length;
  });
  nodes.positions(function (n) {
    return { x: middle.x + (n.position("x") - middle.x) * factor,
             y: middle.y + (n.position("y") - middle.y) * factor };
  });
}

function fitView(drawing) {
  drawing.minZoom(1e-3);
  drawing.maxZoom(1e3);
  drawing.fit(undefined, PADDING);
  var fitted = drawing.zoom();
  var zoom = openingZoom(fitted);
  if (zoom < fitted) {
    drawing.zoom(zoom);
    drawing.center();
  }
  /* Zooming out past half the whole network shows nothing more; zooming in stops at 4×. */
  drawing.minZoom(zoom / 2);
  drawing.maxZoom(Math.max(4, zoom));
}

var cy = null;  /* the current drawing, replaced when the second ring is toggled */

export function drawGraph(data) {
  var box = document.getElementById("network-graph");
  var detail = document.getElementById("network-detail");
  var nodes = normaliseNodes(data);
  var edges = normaliseEdges(data);
  var names = {};
  var byId = {};
  nodes.forEach(function (n) {
    names[n.id] = n.kind === "ego" ? t("you") : n.name;
    byId[n.id] = n;
  });
  var map = colourMap(nodes.filter(function (n) {
    return n.kind !== "ego";
  }));
  var edgesByNode = {};
  edges.forEach(function (e) {
    (edgesByNode[e.source] = edgesByNode[e.source] || []).push(e);
    (edgesByNode[e.target] = edgesByNode[e.target] || []).push(e);
  });
  drawLegend(map);
  peopleList(nodes, edgesByNode, names);
  box.setAttribute("aria-label", t("Drawing of your network: %(people)s people and %(ties)s ties; the list below says the same in words.",
    { people: Math.max(0, nodes.length - 1), ties: edges.length }));
  if (cy) {
    cy.destroy();
    cy = null;
  }
  if (typeof window.cytoscape !== "function") {
    box.textContent = t("The drawing could not load (cytoscape.js is missing); the list below shows your network.");
    return;
  }
  var policy = labelPolicy(nodes.length);
  var systemOrder = {};
  map.systems.forEach(function (system, i) {
    systemOrder[system] = i;
  });
  var places = startingPlaces(nodes, systemOrder);
  var elements = nodes.map(function (n) {
    var label = n.kind === "ego" ? t("You") : (policy.labels ? (policy.short ? shortName(n.name)
      : n.name) : "");
    return { group: "nodes", position: places[n.id], data: {
      id: n.id, name: n.name, label: label, kind: n.kind, ring: n.ring, isNew: n.isNew,
      colour: map.colours[n.system] || OTHER } };
  }).concat(edges.map(function (e) {
    return { group: "edges", data: {
      id: e.id, source: e.source, target: e.target, strength: e.strength, isNew: e.isNew } };
  }));
  cy = window.cytoscape({
    container: box, elements: elements, style: graphStyle(),
    layout: { name: "preset", fit: false }, wheelSensitivity: 0.3, boxSelectionEnabled: false
  });
  var drawing = cy;
  drawing.layout(layoutFor(nodes.length)).run();
  arrange(drawing, box, policy.labels);
  /* For the browser tests and the console: the drawing behind the box. */
  box.cytoscape = drawing;

  function focus(target) {
    drawing.elements().removeClass("focus");
    if (target.isNode()) {
      target.closedNeighborhood().addClass("focus");
      detail.textContent = describeNode(byId[target.id()], edgesByNode, names);
    } else {
      target.addClass("focus");
      target.connectedNodes().addClass("focus");
      detail.textContent = describeEdge(edges[Number(target.id().slice(1))], names);
    }
  }
  ["tap", "mouseover"].forEach(function (gesture) {
    drawing.on(gesture, "node, edge", function (event) {
      focus(event.target);
    });
  });
  drawing.on("tap", function (event) {
    if (event.target === drawing) {
      drawing.elements().removeClass("focus");
    }
  });
  box.setAttribute("data-node-count", String(drawing.nodes().length));
  box.setAttribute("data-edge-count", String(drawing.edges().length));
  box.setAttribute("data-ready", "true");
}

/** Fit the current drawing to its box (the "Fit to screen" button, a turned phone). */
export function fitGraph() {
  if (cy) {
    cy.resize();
    fitView(cy);
  }
}
