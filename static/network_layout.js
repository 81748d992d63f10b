/* How My network's drawing is laid out so that it reads on any screen: pure functions on plain
 * numbers, no cytoscape and no DOM (unit tests: tests/js/network_layout.test.mjs). The drawing
 * (static/network_graph.js) runs a force layout, then asks these for
 *
 *   - whether names are drawn at all, and how long (labelPolicy, shortName),
 *   - which way round the drawing fits its box (orient: a wide drawing on a tall phone is
 *     turned a quarter and stretched towards the box's shape),
 *   - where to move people so that no two name labels overlap (separate),
 *   - the zoom to open at (openingZoom: fitted, never blown up past MAX_OPENING_ZOOM).
 *
 * A "box" is a person's dot and name together, in the drawing's own units, around its
 * position: {id, x, y, left, right, top, bottom, fixed}; left/right/top/bottom are the
 * distances from (x, y) to the box's edges.
 */

/** Up to this many people every name is drawn (in full up to FULL_NAMES_UP_TO, then shortened);
 * beyond it, names appear for a person and their ties when tapped or hovered. */
export var LABELLED_UP_TO = 60;
export var FULL_NAMES_UP_TO = 30;
/** A small network is not blown up to fill the box: dots and names keep a readable size. */
export var MAX_OPENING_ZOOM = 1.25;
/** Empty room kept between two labels, in drawing units. */
export var LABEL_GAP = 4;

/** {labels: bool, short: bool} for a drawing of ``count`` people (the member included). */
export function labelPolicy(count) {
  return { labels: count <= LABELLED_UP_TO, short: count > FULL_NAMES_UP_TO };
}

/** "Freya Dlamini" → "Freya D.": first word and the initial of the last. */
export function shortName(name) {
  var words = String(name).trim().split(/\s+/);
  if (words.length < 2) {
    return words[0] || "";
  }
  return words[0] + " " + words[words.length - 1].charAt(0) + ".";
}

function extent(points) {
  var box = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
  points.forEach(function (p) {
    box.x1 = Math.min(box.x1, p.x);
    box.x2 = Math.max(box.x2, p.x);
    box.y1 = Math.min(box.y1, p.y);
    box.y2 = Math.max(box.y2, p.y);
  });
  return { x1: box.x1, y1: box.y1, w: box.x2 - box.x1, h: box.y2 - box.y1 };
}

/**
 * Points {id, x, y} turned and stretched to suit a box of width × height: a drawing that is
 * wide while the box is tall (a phone) is turned a quarter, then stretched along its shorter
 * side towards the box's proportions, by at most ``maxStretch``. New points; the input stays.
 */
export function orient(points, width, height, maxStretch) {
  var limit = maxStretch || 1.6;
  if (points.length < 2 || !(width > 0) || !(height > 0)) {
    return points.map(function (p) {
      return { id: p.id, x: p.x, y: p.y };
    });
  }
  var box = extent(points);
  var turn = (box.w > box.h) !== (width > height) && box.w !== box.h;
  var out = points.map(function (p) {
    return turn ? { id: p.id, x: p.y, y: p.x } : { id: p.id, x: p.x, y: p.y };
  });
  var turned = extent(out);
  if (turned.w <= 0 || turned.h <= 0) {
    return out;
  }
  /* Stretch the side that is short compared with the box, towards the box's shape. */
  var want = height / width;
  var have = turned.h / turned.w;
  var sy = 1, sx = 1;
  if (have < want) {
    sy = Math.min(limit, want / have);
  } else if (have > want) {
    sx = Math.min(limit, have / want);
  }
  var cx = turned.x1 + turned.w / 2, cy = turned.y1 + turned.h / 2;
  return out.map(function (p) {
    return { id: p.id, x: cx + (p.x - cx) * sx, y: cy + (p.y - cy) * sy };
  });
}

function edges(b) {
  return { x1: b.x - b.left, x2: b.x + b.right, y1: b.y - b.top, y2: b.y + b.bottom };
}

/** How far a and b overlap along x and along y (both > 0 when they overlap), gap included. */
function overlap(a, b, gap) {
  var ea = edges(a), eb = edges(b);
  return {
    x: Math.min(ea.x2, eb.x2) - Math.max(ea.x1, eb.x1) + gap,
    y: Math.min(ea.y2, eb.y2) - Math.max(ea.y1, eb.y1) + gap
  };
}

/** The pairs of boxes that overlap (with ``gap`` of room between them), as [i, j]. */
export function overlaps(boxes, gap) {
  var g = gap === undefined ? 0 : gap;
  var found = [];
  for (var i = 0; i < boxes.length; i++) {
    for (var j = i + 1; j < boxes.length; j++) {
      var o = overlap(boxes[i], boxes[j], g);
      if (o.x > 0 && o.y > 0) {
        found.push([i, j]);
      }
    }
  }
  return found;
}

function clashes(box, placed, gap) {
  for (var i = 0; i < placed.length; i++) {
    var o = overlap(box, placed[i], gap);
    if (o.x > 0 && o.y > 0) {
      return true;
    }
  }
  return false;
}

/* The nearest free place for ``box`` among ``placed``: rings of growing radius around where it
 * is, each tried from the direction pointing away from ``centre`` round both ways. */
function nearestFree(box, placed, gap, centre) {
  var step = Math.max(4, Math.min(box.top + box.bottom, box.left + box.right) / 2);
  var away = Math.atan2(box.y - centre.y, box.x - centre.x) || 0;
  for (var ring = 1; ring < 2000; ring++) {
    var r = ring * step;
    var tries = Math.max(8, Math.ceil(2 * Math.PI * r / step));
    for (var k = 0; k < tries; k++) {
      var turn = Math.ceil(k / 2) * (k % 2 ? 1 : -1) * 2 * Math.PI / tries;
      var candidate = Object.assign({}, box, { x: box.x + r * Math.cos(away + turn),
                                               y: box.y + r * Math.sin(away + turn) });
      if (!clashes(candidate, placed, gap)) {
        return candidate;
      }
    }
  }
  return box;
}

/**
 * Move boxes apart until none overlaps another (with ``gap`` between them). First gentle
 * pushes, which keep the drawing's shape: each overlapping pair is pushed apart along the axis
 * where that takes the shortest move, shared between the two (a ``fixed`` box, the member,
 * does not move), for up to ``maxSweeps`` sweeps. Whatever still overlaps then goes to the
 * nearest free place, fixed boxes and those nearest the middle first, so the result never
 * overlaps. Returns new boxes in the same order. O(n² · sweeps), meant for the few dozen
 * labelled people of a drawing.
 */
export function separate(boxes, gap, maxSweeps) {
  var g = gap === undefined ? LABEL_GAP : gap;
  var sweeps = maxSweeps === undefined ? 40 : maxSweeps;
  var out = boxes.map(function (b) {
    return Object.assign({}, b);
  });
  for (var sweep = 0; sweep < sweeps; sweep++) {
    var moved = false;
    for (var i = 0; i < out.length; i++) {
      for (var j = i + 1; j < out.length; j++) {
        var a = out[i], b = out[j];
        if (a.fixed && b.fixed) {
          continue;
        }
        var o = overlap(a, b, g);
        if (o.x <= 0 || o.y <= 0) {
          continue;
        }
        moved = true;
        var shareA = a.fixed ? 0 : (b.fixed ? 1 : 0.5);
        var shareB = 1 - shareA;
        /* Labels are wide and short: moving up or down is usually the shorter way. A tiny
         * extra keeps a pair from meeting again at exactly zero distance. */
        if (o.y <= o.x) {
          var down = b.y > a.y || (b.y === a.y && j > i) ? 1 : -1;
          a.y -= down * (o.y + 0.01) * shareA;
          b.y += down * (o.y + 0.01) * shareB;
        } else {
          var right = b.x > a.x || (b.x === a.x && j > i) ? 1 : -1;
          a.x -= right * (o.x + 0.01) * shareA;
          b.x += right * (o.x + 0.01) * shareB;
        }
      }
    }
    if (!moved) {
      return out;
    }
  }
  var centre = { x: 0, y: 0 };
  out.forEach(function (b) {
    centre.x += b.x / out.length;
    centre.y += b.y / out.length;
  });
  var order = out.map(function (b, i) {
    return i;
  }).sort(function (i, j) {
    var a = out[i], b = out[j];
    return (b.fixed ? 1 : 0) - (a.fixed ? 1 : 0)
      || Math.hypot(a.x - centre.x, a.y - centre.y) - Math.hypot(b.x - centre.x, b.y - centre.y)
      || i - j;
  });
  var placed = [];
  order.forEach(function (i) {
    var box = out[i];
    if (!box.fixed && clashes(box, placed, g)) {
      box = nearestFree(box, placed, g, centre);
      out[i] = box;
    }
    placed.push(box);
  });
  return out;
}

/** The zoom to open at: the fitted zoom, but never above MAX_OPENING_ZOOM. */
export function openingZoom(fitted) {
  return Math.min(fitted, MAX_OPENING_ZOOM);
}
