/* The pure layout rules of My network's drawing (static/network_layout.js): which names are
 * drawn, the turn to a phone's tall box, label boxes moved apart until none overlaps, and the
 * opening zoom. Run with `node --test tests/js/`. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  FULL_NAMES_UP_TO, LABELLED_UP_TO, MAX_OPENING_ZOOM, labelPolicy, openingZoom, orient,
  overlaps, separate, shortName
} from "../../static/network_layout.js";

/** A label box 80 wide and 14 tall hanging under a dot of 18 at (x, y). */
function person(id, x, y, fixed = false) {
  return { id, x, y, left: 40, right: 40, top: 9, bottom: 26, fixed };
}

describe("names", () => {
  test("every name in full for a small network, shortened for a larger one, none beyond", () => {
    assert.deepEqual(labelPolicy(8), { labels: true, short: false });
    assert.deepEqual(labelPolicy(FULL_NAMES_UP_TO + 1), { labels: true, short: true });
    assert.deepEqual(labelPolicy(LABELLED_UP_TO + 1), { labels: false, short: true });
  });

  test("a short name is the first name and the last initial", () => {
    assert.equal(shortName("Freya Dlamini"), "Freya D.");
    assert.equal(shortName("  Ana María  de la Cruz "), "Ana C.");
    assert.equal(shortName("Cher"), "Cher");
  });
});

describe("orient", () => {
  const wide = [{ id: "a", x: 0, y: 0 }, { id: "b", x: 300, y: 20 }, { id: "c", x: 150, y: 60 }];

  test("a wide drawing is turned for a tall phone box and stretched towards its shape", () => {
    const out = orient(wide, 320, 560);
    const xs = out.map((p) => p.x), ys = out.map((p) => p.y);
    const w = Math.max(...xs) - Math.min(...xs), h = Math.max(...ys) - Math.min(...ys);
    assert.ok(h > w, `now tall: ${w} × ${h}`);
    assert.ok(Math.abs(h - 300) < 1e-9, "the long side keeps its length");
    assert.ok(w > 60 && w <= 60 * 1.6 + 1e-9, `the short side is stretched at most 1.6×: ${w}`);
  });

  test("a wide drawing in a wide box is left as it is, apart from a stretch", () => {
    const out = orient(wide, 1200, 560);
    assert.deepEqual(out.map((p) => p.x), [0, 300, 150]);
  });

  test("one person or no box: unchanged", () => {
    assert.deepEqual(orient([{ id: "a", x: 3, y: 4 }], 320, 560), [{ id: "a", x: 3, y: 4 }]);
    assert.deepEqual(orient(wide, 0, 0), wide);
  });
});

describe("separate", () => {
  test("a clump of people comes apart with a gap between every two labels", () => {
    const clump = [person("me", 0, 0, true)];
    for (let i = 0; i < 30; i++) {
      clump.push(person(`p${i}`, (i % 5) * 3, Math.floor(i / 5) * 2));
    }
    assert.ok(overlaps(clump).length > 0);
    const out = separate(clump, 4);
    assert.deepEqual(overlaps(out, 3.9), []);
  });

  test("the member stays where they are; the others move", () => {
    const out = separate([person("me", 0, 0, true), person("a", 5, 5)], 4);
    assert.deepEqual([out[0].x, out[0].y], [0, 0]);
    assert.ok(out[1].x !== 5 || out[1].y !== 5);
  });

  test("labels far apart are not touched, and the input is not changed", () => {
    const apart = [person("a", 0, 0), person("b", 500, 500)];
    const out = separate(apart, 4);
    assert.deepEqual(out, apart);
    assert.notEqual(out[0], apart[0]);
  });
});

test("the opening zoom never blows a small network up", () => {
  assert.equal(openingZoom(0.5), 0.5);
  assert.equal(openingZoom(3), MAX_OPENING_ZOOM);
});
