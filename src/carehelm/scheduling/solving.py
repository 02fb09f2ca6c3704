"""Driving the rostering engine for a roster period: time slices, live progress, cancel, night-rule cuts.

``solve_built(built, *, time_limit, ...) -> SolveOutcome``

The engine's ``solve`` runs to its time limit without a stop hook, so the period's time budget is
cut into slices: each slice runs ``solve`` in a worker thread (hinted with the best roster so far,
so the search carries on from it) while this thread reports progress about once a second and asks
``should_stop``. A cancel therefore takes effect within one slice. Between slices the night-block
rules (which the engine does not know) are checked; a breach becomes a hard day off and the next
slice solves on. If the contracts' minimum hours cannot be met at all, the minimums are dropped
(and the outcome says so) rather than leaving the unit with no roster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import Roster
from carehelm.engines.rostering.solver import Progress, SolveResult, solve
from carehelm.scheduling.problem_builder import Built
from carehelm.scheduling.rules import Breach, breaches, night_cuts

MAX_EXTRA_SLICES = 4  # slices allowed past the time limit to clear night-rule cuts


@dataclass
class LiveFigures:
    best_penalty: int | None = None
    bound: int | None = None
    elapsed: float = 0.0
    phase: str = ""
    slices: int = 0

    def as_detail(self) -> dict:
        return {
            "best penalty": self.best_penalty if self.best_penalty is not None else "—",
            "proven bound": self.bound if self.bound is not None else "—",
            "elapsed (s)": round(self.elapsed, 1),
            "phase": self.phase,
        }


@dataclass
class SolveOutcome:
    status: str  # optimal, feasible, infeasible, cancelled
    roster: Roster | None
    objective: int | None
    lower_bound: int | None
    built: Built
    breaches: list[Breach] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    stats: dict = field(default_factory=dict)


def _run_slice(built: Built, budget: float, *, workers: int, seed: int, hint: Roster | None,
               figures: LiveFigures, t0: float, tick: Callable[[LiveFigures], bool] | None) -> tuple[SolveResult | None, bool]:
    """One engine call in a thread; returns (result, stop_asked)."""
    box: dict = {}

    def progress(p: Progress) -> None:
        figures.best_penalty = p.objective if figures.best_penalty is None else min(figures.best_penalty, p.objective)
        if p.lower_bound is not None:
            figures.bound = max(figures.bound or 0, p.lower_bound)
        figures.phase = p.phase

    def work() -> None:
        try:
            box["result"] = solve(built.problem, time_limit=budget, workers=workers, seed=seed, hint=hint,
                                  on_progress=progress)
        except Exception as exc:  # noqa: BLE001 - re-raised in the calling thread below
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    stop = False
    while thread.is_alive():
        thread.join(timeout=1.0)
        figures.elapsed = time.monotonic() - t0
        if tick is not None and tick(figures):
            stop = True
    if "error" in box:
        raise box["error"]
    return box.get("result"), stop


def _without_minimum_hours(built: Built) -> Built:
    staff = tuple(replace(p, contract=replace(p.contract, min_paid_minutes=0)) for p in built.problem.staff)
    return replace(built, problem=replace(built.problem, staff=staff))


def _clear(roster: Roster, cuts: dict[str, set[int]]) -> Roster:
    out = {k: list(v) for k, v in roster.items()}
    for key, days in cuts.items():
        for d in days:
            out[key][d] = None
    return out


def solve_built(built: Built, *, time_limit: float = 30.0, workers: int = 2, seed: int = 0,
                hint: Roster | None = None, slice_seconds: float | None = None,
                tick: Callable[[LiveFigures], bool] | None = None) -> SolveOutcome:
    """Best roster for ``built`` within about ``time_limit`` seconds. ``tick(figures)`` is called about
    once a second with the live figures; returning True asks the solve to stop (cancel)."""
    t0 = time.monotonic()
    deadline = t0 + time_limit
    slice_seconds = slice_seconds or max(3.0, min(10.0, time_limit / 3))
    figures = LiveFigures()
    notes: list[str] = []
    current = built
    best: SolveResult | None = None
    best_built = built
    extra = 0
    relaxed = False
    cancelled = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.3:
            if best is not None and not night_cuts(best_built, best.roster):
                break
            if extra >= MAX_EXTRA_SLICES:
                break
            extra += 1
            remaining = 2.0
        budget = max(1.0, min(remaining, slice_seconds))
        figures.slices += 1
        result, stop = _run_slice(current, budget, workers=workers, seed=seed + figures.slices, hint=hint,
                                  figures=figures, t0=t0, tick=tick)
        if result is None or result.roster is None:
            if not relaxed:
                relaxed = True
                notes.append("The contracts' minimum hours could not all be met; they were treated as targets.")
                current = _without_minimum_hours(current)
                hint = None
                continue
            if stop:
                cancelled = True
            break
        cuts = night_cuts(current, result.roster)
        if cuts:
            current = current.with_days_off(cuts)
            hint = _clear(result.roster, cuts)
            if best is None or night_cuts(best_built, best.roster):
                best, best_built = result, current
        else:
            if best is None or night_cuts(best_built, best.roster) or result.objective <= best.objective:
                best, best_built = result, current
            hint = best.roster
            figures.best_penalty = best.objective
            if result.status == "optimal":
                break
        if stop:
            cancelled = True
            break
    elapsed = time.monotonic() - t0
    if best is None:
        return SolveOutcome("cancelled" if cancelled else "infeasible", None, None, None, built, notes=notes,
                            elapsed=elapsed)
    found = breaches(best_built, best.roster)
    objective = evaluate(best_built.problem, best.roster).objective
    bound = figures.bound if figures.bound is not None else best.lower_bound
    status = "cancelled" if cancelled else ("optimal" if best.status == "optimal" and not found else "feasible")
    stats = dict(best.stats)
    stats["slices"] = figures.slices
    return SolveOutcome(status, best.roster, objective, bound, best_built, found, notes, elapsed, stats)
