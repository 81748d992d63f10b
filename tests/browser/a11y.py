"""Accessibility checks run inside a page: axe-core (from npm, injected by the test, never
served to people) and the few things axe leaves to a person — target sizes, a visible focus
indicator, sideways overflow at 200 % text.

Playwright evaluates scripts outside the page's Content-Security-Policy, so the app's strict
policy stays as it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Page

from tests.support.live import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe's tags).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET_PX = 24


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci` (make test does)")
    return AXE.read_text()


RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                  resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' — ' +
                                         (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160))}));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN, TAGS)
    return found


#: Visible controls smaller than 24×24 CSS px, except a link inside a line of text (WCAG
#: 2.5.8's inline exception) and controls the browser draws itself at its own size.
SMALL_TARGETS = """(min) => {
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex="0"]');
  const small = [];
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (el.tagName === 'A' && style.display === 'inline') {
      const block = el.closest('p, li, td, dd, figcaption, label, small, span.muted, h1, h2, h3');
      if (block && block.textContent.trim().length > el.textContent.trim().length) continue;
    }
    if (el.closest('label') && (el.type === 'checkbox' || el.type === 'radio')) {
      const label = el.closest('label').getBoundingClientRect();
      if (label.height >= min - 0.5) continue;  // the label is part of the target
    }
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${
        (el.textContent || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ` +
        `${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}"""


def small_targets(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
    return found


#: The focused element's indicator: an outline or a box-shadow that is drawn.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim().slice(0, 30),
          ring: Boolean(outline || shadow)};
}"""


def focused(page: Page) -> dict[str, Any] | None:
    """What has the keyboard focus and whether it shows a focus indicator."""
    found: dict[str, Any] | None = page.evaluate(FOCUS_RING)
    return found
