"""Page checks a browser test runs on every page it visits: labels, headings, contrast, width.

``accessibility_problems(page)`` returns a list of readable problems (empty when the page passes):

* every visible form control (input, select, textarea) has a label: a ``<label for>``, a wrapping
  label, ``aria-label`` or ``aria-labelledby``;
* exactly one ``h1``, and heading levels never skip downwards (h2 → h4);
* text in status badges, messages, muted text, table headers and links has a contrast ratio of at
  least 4.5:1 against the background it sits on (WCAG 2.1 AA, 1.4.3);
* the page does not scroll sideways (wide tables scroll inside their own box).
"""

from __future__ import annotations

_CHECK_JS = r"""
() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
                          && getComputedStyle(el).visibility !== "hidden";
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "");

  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) continue;
    if (!visible(el)) continue;
    const byLabel = el.labels && Array.from(el.labels).some((l) => l.textContent.trim());
    const byAria = (el.getAttribute("aria-label") || "").trim()
      || (el.getAttribute("aria-labelledby") || "").split(/\s+/).some((id) => id && document.getElementById(id));
    if (!byLabel && !byAria) problems.push("form control without a label: " + describe(el));
  }

  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push("expected exactly one h1, found " + h1s.length);
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push("heading skips a level: h" + last + " then " + h.tagName.toLowerCase() + " '" + h.textContent.trim() + "'");
    last = level;
  }

  const rgb = (s) => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 1]; };
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  // The colour behind an element: its own and its ancestors' backgrounds, translucent ones blended.
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      const a = c.length > 3 ? c[3] : 1;
      if (a > 0) layers.push([c[0], c[1], c[2], a]);
      if (a >= 1) break;
    }
    let colour = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) colour = [r * a + colour[0] * (1 - a), g * a + colour[1] * (1 - a), b * a + colour[2] * (1 - a)];
    return colour;
  };
  const selectors = ".badge, .msg, .muted, th, a, .stat .n, .stat .l, .problems, label, button";
  for (const el of document.querySelectorAll(selectors)) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const style = getComputedStyle(el);
    const fg = rgb(style.color), bg = background(el);
    const alpha = fg.length > 3 ? fg[3] * Number(style.opacity || 1) : Number(style.opacity || 1);
    const blended = fg.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
    const l1 = lum(blended), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + ":1 for " + describe(el) + "." + el.className + " '" + el.textContent.trim().slice(0, 30) + "'");
  }

  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push("page scrolls sideways: " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
  return problems;
}
"""


def accessibility_problems(page) -> list[str]:
    """Problems found on the page as it is now shown (see the module docstring)."""
    return page.evaluate(_CHECK_JS)
