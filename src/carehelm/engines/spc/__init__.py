"""Statistical process control (SPC) engine: pure numpy/scipy, no Django.

Reproduces qicharts2 0.8.1 (Anhøj rules; run, I, MR, Xbar, S, T, P, P′, C, U, U′ and G
charts) and NHSRplotthedots 0.2.2 (NHS "Making Data Count" XmR chart, its four rules and its
icons) to 1e-9. The semantics are written down in tests/engines/spc/fixtures/FORMULAS.md.

Public API
----------

``spc(y, x=None, n=None, *, chart="i", freeze=None, parts=None, exclude=None, screen_mr=False,
rules="anhoej", improvement="increase", target=None, on_progress=None) -> SpcResult``

- ``y``: one value per input row (None/NaN = missing); counts for p, pp, c, u, up.
- ``x``: optional subgroup key per row (str, number or date). Rows are grouped by key and the
  subgroups sorted numerically / chronologically / as text; without ``x`` each row is a point.
- ``n``: optional denominator per row (required by p, pp, u, up; with run, i, mr the point is
  Σy/Σn).
- ``chart``: one of ``CHARTS`` = run, i, mr, xbar, s, t, p, pp (Laney P′), c, u, up (Laney U′), g.
- ``freeze=K``: limits from points 1..K (1-based), extended to later points.
- ``parts=[K1, K2, ...]``: a new part (recalculated centre line and limits) after point K;
  overrides ``freeze``.
- ``exclude=[I, ...]``: 1-based points left out of centre line, limits and runs analysis.
- ``screen_mr``: drop moving ranges ≥ 3.267·AMR before the limits (i, t, pp, up, MDC).
- ``rules``: ``"anhoej"`` (qicharts2) or ``"mdc"`` (Making Data Count; i chart only).
- ``improvement``: ``"increase"``, ``"decrease"`` or ``"neutral"`` (MDC only).
- ``target``: MDC assurance target.
- ``on_progress(done_parts, total_parts)``: optional callback.

Raises ``SpcInputError`` (a ``ValueError`` with ``row`` = 0-based input row and ``field``) on
bad input.

``SpcResult`` (dataclass): ``chart``, ``rules``, ``points: list[SpcPoint]`` (x, y, cl, lcl, ucl,
part, baseline, included, sigma_signal, special_cause, and for MDC rule, direction,
near_lcl/near_ucl), ``parts: list[SpcPart]`` (Anhøj statistics per part), ``variation_icon``,
``assurance_icon`` and ``signals: list[Signal]`` (each with plain-words ``text`` such as
"7 points above the mean from 2024-03 to 2024-09: special cause, improvement").
``SpcResult.to_dict()`` is the document ``carehelm spc --json`` prints (None for undefined
numbers); ``SpcResult.explain()`` lists the signals' texts.

The command line lives in ``carehelm.engines.spc.cli`` (``main(argv) -> int``).
"""

from carehelm.engines.spc.chart import CHARTS, IMPROVEMENTS, RULES, SpcInputError, spc
from carehelm.engines.spc.result import Signal, SpcPart, SpcPoint, SpcResult

__all__ = [
    "CHARTS",
    "IMPROVEMENTS",
    "RULES",
    "Signal",
    "SpcInputError",
    "SpcPart",
    "SpcPoint",
    "SpcResult",
    "spc",
]
