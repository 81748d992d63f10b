/* Plain inline-SVG charts for the network pages (no chart library): a chart per round
 * (bars and lines over labelled rounds) and the Higgins–Kram quadrant with a path through it.
 * Labels reach the page only as text nodes. An ES module, imported by static/network.js.
 */
import { t } from "./i18n.js";

var SVG = "http://www.w3.org/2000/svg";
/* The Higgins–Kram types as the server names them (circles.network: hk_type). */
var TYPE_NAMES = { traditional: t("traditional"), entrepreneurial: t("entrepreneurial"),
                   receptive: t("receptive"), opportunistic: t("opportunistic") };

export function el(tag, text, cls) {
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  if (cls) {
    node.className = cls;
  }
  return node;
}

function svg(tag, attrs, text) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs || {}).forEach(function (key) {
    node.setAttribute(key, String(attrs[key]));
  });
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

function num(value, fallback) {
  var n = Number(value);
  return isFinite(n) ? n : (fallback === undefined ? 0 : fallback);
}

export function formatValue(value) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
  return String(value);
}

function scale(domainMax, pixels, offset, flip) {
  var top = domainMax > 0 ? domainMax : 1;
  return function (value) {
    var share = value / top;
    return flip ? offset + pixels - share * pixels : offset + share * pixels;
  };
}

/** Round tick values from 0 to at least ``max``: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(max, count) {
  var wanted = count || 4;
  var top = max > 0 ? max : 1;
  var raw = top / wanted;
  var power = Math.pow(10, Math.floor(Math.log10(raw)));
  var step = [1, 2, 5, 10].map(function (m) {
    return m * power;
  }).filter(function (candidate) {
    return candidate >= raw;
  })[0];
  var ticks = [];
  for (var i = 0; ticks.length === 0 || ticks[ticks.length - 1] < top - 1e-9; i++) {
    ticks.push(Number((i * step).toFixed(10)));
  }
  return ticks;
}

/**
 * A chart per round: bars (e.g. new ties) and lines (e.g. size, range) over labelled rounds,
 * all on one y scale, so give it only series measured in one unit (``options.unit`` names it
 * on the axis). series: [{key, label, kind: "bar"|"line", colour}],
 * rows: [{label, <key>: number}]; options: {unit, table} (table: the figures as a table too).
 */
export function roundChart(container, rows, series, title, options) {
  var opts = options || {};
  clear(container);
  if (!rows.length) {
    container.appendChild(el("p", t("Nothing to chart yet: this fills in as rounds go by."),
      "muted"));
    return;
  }
  var width = 480, height = 220, left = opts.unit ? 60 : 44, right = 12, top = 16, bottom = 30;
  var plotW = width - left - right, plotH = height - top - bottom;
  var max = 0;
  rows.forEach(function (row) {
    series.forEach(function (s) {
      max = Math.max(max, num(row[s.key]));
    });
  });
  var ticks = niceTicks(max);
  var y = scale(ticks[ticks.length - 1], plotH, top, true);
  var step = plotW / rows.length;
  var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
    "aria-label": title, class: "chart" });
  chart.appendChild(svg("title", {}, title));
  ticks.forEach(function (tick) {
    chart.appendChild(svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick),
      stroke: "#e5e7eb", class: "tick", "data-value": tick }));
    chart.appendChild(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end",
      "font-size": 13, fill: "#6b7280" }, String(Number(tick.toFixed(2)))));
  });
  if (opts.unit) {
    chart.appendChild(svg("text", { x: 12, y: top + plotH / 2, "text-anchor": "middle",
      "font-size": 13, fill: "#374151", class: "axis-title",
      transform: "rotate(-90 12 " + (top + plotH / 2) + ")" }, opts.unit));
  }
  var bars = series.filter(function (s) {
    return s.kind === "bar";
  });
  rows.forEach(function (row, i) {
    var x0 = left + i * step;
    var w = Math.min(28, Math.max(2, (step * 0.5) / Math.max(1, bars.length)));
    var start = x0 + step / 2 - (w * bars.length) / 2;
    bars.forEach(function (s, b) {
      var value = num(row[s.key]);
      var bar = svg("rect", { x: start + b * w, y: y(value), width: w,
        height: Math.max(0, y(0) - y(value)), fill: s.colour, opacity: 0.75,
        "data-series": s.key });
      bar.appendChild(svg("title", {}, t("%(round)s: %(value)s %(series)s",
        { round: row.label, value: formatValue(value), series: s.label.toLowerCase() })));
      chart.appendChild(bar);
    });
    chart.appendChild(svg("text", { x: x0 + step / 2, y: height - bottom + 16,
      "text-anchor": "middle", "font-size": 13, fill: "#374151" },
      String(row.label).slice(0, 18)));
  });
  series.filter(function (s) {
    return s.kind === "line";
  }).forEach(function (s) {
    var points = rows.map(function (row, i) {
      return (left + i * step + step / 2) + "," + y(num(row[s.key]));
    });
    chart.appendChild(svg("polyline", { points: points.join(" "), fill: "none",
      stroke: s.colour, "stroke-width": 2.5, "stroke-dasharray": s.dash || "" }));
    rows.forEach(function (row, i) {
      var dot = svg("circle", { cx: left + i * step + step / 2, cy: y(num(row[s.key])), r: 4,
        fill: s.colour, "data-series": s.key });
      dot.appendChild(svg("title", {}, t("%(round)s: %(series)s %(value)s",
        { round: row.label, series: s.label.toLowerCase(), value: formatValue(num(row[s.key])) })));
      chart.appendChild(dot);
    });
  });
  container.appendChild(chart);
  container.appendChild(legend(series));
  if (opts.table) {
    container.appendChild(roundTable(rows, series, title));
  }
}

/* An HTML legend wraps on a phone, where text inside the SVG would be cut off. */
function legend(series) {
  var list = el("ul", null, "network-legend");
  series.forEach(function (s) {
    var item = el("li");
    var swatch = el("span", null, "swatch " + (s.kind === "line" ? "line" : "bar"));
    swatch.style.background = s.colour;
    swatch.setAttribute("aria-hidden", "true");
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(s.label));
    list.appendChild(item);
  });
  return list;
}

function roundTable(rows, series, title) {
  var details = el("details");
  details.appendChild(el("summary", t("The same figures as a table")));
  var table = el("table", null, "data");
  table.appendChild(el("caption", title, "visually-hidden"));
  var head = el("tr");
  head.appendChild(el("th", t("Round")));
  series.forEach(function (s) {
    head.appendChild(el("th", s.label));
  });
  table.appendChild(head);
  rows.forEach(function (row) {
    var tr = el("tr");
    tr.appendChild(el("th", row.label));
    series.forEach(function (s) {
      tr.appendChild(el("td", formatValue(num(row[s.key]))));
    });
    table.appendChild(tr);
  });
  details.appendChild(table);
  return details;
}

/* The words of one point of the quadrant: its round, range, share of strong ties and type. */
function pointTitle(p) {
  var values = { round: p.label, range: p.range, share: Math.round(p.strong * 100) + " %",
                 type: TYPE_NAMES[p.type] || p.type };
  return p.type ? t("%(round)s: range %(range)s, %(share)s strong ties (%(type)s)", values)
    : t("%(round)s: range %(range)s, %(share)s strong ties", values);
}

/**
 * The Higgins–Kram quadrant: range (x) against the share of strong ties (y), split at
 * cuts.range and cuts.strong; points [{label, range, strong, type}] joined in order, the
 * last one (now) larger.
 */
export function quadrant(box, points, cuts, title) {
  clear(box);
  var size = 300, pad = 36, plot = size - 2 * pad;
  var maxRange = Math.max(2 * cuts.range, 1 + Math.max.apply(null, points.map(function (p) {
    return p.range;
  }).concat([0])));
  var x = scale(maxRange, plot, pad, false);
  var y = scale(1, plot, pad, true);
  var chart = svg("svg", { viewBox: "0 0 " + size + " " + size, role: "img",
    "aria-label": title, class: "chart quadrant" });
  chart.appendChild(svg("title", {}, title));
  chart.appendChild(svg("rect", { x: pad, y: pad, width: plot, height: plot, fill: "#f9fafb",
    stroke: "#d1d5db" }));
  chart.appendChild(svg("line", { x1: x(cuts.range), x2: x(cuts.range), y1: pad, y2: pad + plot,
    stroke: "#9ca3af", "stroke-dasharray": "4 3" }));
  chart.appendChild(svg("line", { x1: pad, x2: pad + plot, y1: y(cuts.strong), y2: y(cuts.strong),
    stroke: "#9ca3af", "stroke-dasharray": "4 3" }));
  [[t("Traditional"), pad + 4, pad + 14, "start"],
   [t("Entrepreneurial"), pad + plot - 4, pad + 14, "end"],
   [t("Receptive"), pad + 4, pad + plot - 6, "start"],
   [t("Opportunistic"), pad + plot - 4, pad + plot - 6, "end"]].forEach(function (q) {
    chart.appendChild(svg("text", { x: q[1], y: q[2], "text-anchor": q[3], "font-size": 12,
      fill: "#6b7280", "font-weight": 600 }, q[0]));
  });
  chart.appendChild(svg("text", { x: pad + plot / 2, y: size - 8, "text-anchor": "middle",
    "font-size": 11, fill: "#374151" }, t("Range: social systems reached →")));
  chart.appendChild(svg("text", { x: 12, y: pad + plot / 2, "text-anchor": "middle",
    "font-size": 11, fill: "#374151", transform: "rotate(-90 12 " + (pad + plot / 2) + ")" },
    t("Share of strong ties →")));
  if (points.length) {
    chart.appendChild(svg("polyline", { points: points.map(function (p) {
      return x(p.range) + "," + y(p.strong);
    }).join(" "), fill: "none", stroke: "#0072B2", "stroke-width": 2 }));
    points.forEach(function (p, i) {
      var last = i === points.length - 1;
      var dot = svg("circle", { cx: x(p.range), cy: y(p.strong), r: last ? 7 : 4,
        fill: last ? "#D55E00" : "#0072B2" });
      dot.appendChild(svg("title", {}, pointTitle(p)));
      chart.appendChild(dot);
    });
  }
  box.appendChild(chart);
}
