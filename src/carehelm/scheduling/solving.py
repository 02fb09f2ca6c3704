"""Driving the rostering engine for a roster period: time slices, live progress, cancel, night-rule cuts.

``solve_built(built, *, time_limit, ...) -> SolveOutcome``

The engine's ``solve`` runs to its time limit without a stop hook, so the period's time budget is
cut into slices: each slice runs ``solve`` in a worker thread (hinted with the best roster so far,
so the search carries on from it) while this thread reports progress about once a second and asks
``should_stop``. A cancel therefore takes effect within one slice. Between slices the night-block
rules (which the engine does not know) are checked; a breach becomes a cut (an off-request at
``CUT_WEIGHT`` on that person, day and shift) and the next slice solves on. If the contracts'
minimum hours cannot be met at all, the minimums are dropped (and the outcome says so) rather than
leaving the unit with no roster.

Before the first slice, ``feasible_start`` finds a roster that keeps every hard rule (the engine
then starts from it); if time runs out with a night-rule breach left, the breaching shifts are
taken off (left open) so a saved roster never breaks a hard rule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import CoverRequirement, Roster
from carehelm.engines.rostering.solver import Progress, SolveResult, solve
from carehelm.scheduling.problem_builder import CUT_WEIGHT, Built
from carehelm.scheduling.rules import Breach, breaches, night_breaches, night_cuts

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


def _run_slice(
    built: Built,
    budget: float,
    *,
    workers: int,
    seed: int,
    hint: Roster | None,
    figures: LiveFigures,
    t0: float,
    tick: Callable[[LiveFigures], bool] | None,
) -> tuple[SolveResult | None, bool]:
    """One engine call in a thread; returns (result, stop_asked)."""
    box: dict = {}

    def progress(p: Progress) -> None:
        figures.best_penalty = (
            p.objective if figures.best_penalty is None else min(figures.best_penalty, p.objective)
        )
        if p.lower_bound is not None:
            figures.bound = max(figures.bound or 0, p.lower_bound)
        figures.phase = p.phase

    def work() -> None:
        try:
            box["result"] = solve(
                built.problem, time_limit=budget, workers=workers, seed=seed, hint=hint, on_progress=progress
            )
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


def _drop_breaching_shifts(built: Built, roster: Roster) -> tuple[Roster, int]:
    """Last resort when time ran out: take the shifts that break a night rule off the roster."""
    out = {k: list(v) for k, v in roster.items()}
    dropped = 0
    for _ in range(10):
        found = [b for b in night_breaches(built, out) if b.day is not None and b.day >= built.history_days]
        if not found:
            break
        for b in found:
            if out[b.staff_key][b.day] is not None:
                out[b.staff_key][b.day] = None
                dropped += 1
    return out, dropped


def feasible_start(
    built: Built, *, time_limit: float, workers: int, seed: int, on_progress=None
) -> Roster | None:
    """A roster that keeps every hard rule, to hint the real solve with.

    Solves a copy whose cover rows can never be exceeded (requirement = every staff member, so each
    shift worked simply counts) and which keeps the rule cuts: a quick, always-solvable start that
    respects the night-run closures, so the real solve spends its time on cover and requests. (It
    also shielded the product from an early engine bug where a constructive step could be
    reported infeasible when cover rows were already over their requirement; fixed in the engine.)
    """
    problem = built.problem
    everyone = len(problem.staff)
    slots = sorted({(c.day, c.shift_id) for c in problem.cover})
    safe = tuple(CoverRequirement(d, s, everyone, 1, 0) for d, s in slots)
    cuts = tuple(r for r in problem.shift_off_requests if r.weight >= CUT_WEIGHT)  # rules phrased as wishes
    # The engine searches to its time limit, so try a short budget first and only then the full one.
    for budget in sorted({min(2.0, time_limit), time_limit}):
        start = solve(
            replace(problem, cover=safe, shift_on_requests=(), shift_off_requests=cuts),
            time_limit=budget,
            workers=workers,
            seed=seed,
            on_progress=on_progress,
        )
        if start.roster is not None:
            return start.roster
    return None


def solve_built(
    built: Built,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    hint: Roster | None = None,
    slice_seconds: float | None = None,
    tick: Callable[[LiveFigures], bool] | None = None,
) -> SolveOutcome:
    """Best roster for ``built`` within about ``time_limit`` seconds. ``tick(figures)`` is called about
    once a second with the live figures; returning True asks the solve to stop (cancel)."""
    t0 = time.monotonic()
    deadline = t0 + time_limit
    slice_seconds = slice_seconds or max(3.0, min(10.0, time_limit / 3))
    figures = LiveFigures()
    notes: list[str] = []
    base = built  # the problem the roster is judged by (cuts are search devices, not rules)
    forbidden: set[tuple[str, int, str]] = set()
    current = built
    best_roster: Roster | None = None
    best_key: tuple | None = None
    best_status = "feasible"
    engine_bound: int | None = None
    stats: dict = {}
    extra = 0
    cancelled = False
    if hint is not None and evaluate(base.problem, hint).violations:
        hint = None
    start_budget = max(2.0, min(15.0, time_limit / 3))
    if hint is None:
        hint = feasible_start(base, time_limit=start_budget, workers=workers, seed=seed)
    if hint is None:
        notes.append("The contracts' minimum hours could not all be met; they were treated as targets.")
        base = _without_minimum_hours(base)
        current = base
        hint = feasible_start(base, time_limit=start_budget, workers=workers, seed=seed)
    if hint is None:
        return SolveOutcome("infeasible", None, None, None, built, notes=notes, elapsed=time.monotonic() - t0)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.3:
            if best_key is not None and best_key[0] == 0:
                break
            if extra >= MAX_EXTRA_SLICES:
                break
            extra += 1
            remaining = 2.0
        budget = max(1.0, min(remaining, slice_seconds))
        figures.slices += 1
        result, stop = _run_slice(
            current,
            budget,
            workers=workers,
            seed=seed + figures.slices,
            hint=hint,
            figures=figures,
            t0=t0,
            tick=tick,
        )
        if result is None or result.roster is None:
            # Cannot happen with a valid hint (the engine starts from it); stop rather than loop.
            cancelled = stop
            break
        roster = result.roster
        hint = roster
        new_cuts = night_cuts(base, roster) - forbidden
        if new_cuts:
            forbidden |= new_cuts
            current = base.with_cuts(forbidden)
        n_breaches = len(night_breaches(base, roster))
        objective = evaluate(base.problem, roster).objective
        key = (n_breaches, objective)
        if best_key is None or key < best_key or (key == best_key and result.status == "optimal"):
            best_roster, best_key, best_status = roster, key, result.status
            figures.best_penalty = objective
            stats = dict(result.stats)
        if not forbidden and result.lower_bound is not None:
            # Every slice solves the same problem (no lazy cuts yet): the best proof holds for all.
            engine_bound = max(engine_bound or 0, result.lower_bound)
        if stop:
            cancelled = True
            break
        if n_breaches == 0 and not new_cuts and result.status == "optimal":
            break
    elapsed = time.monotonic() - t0
    if best_roster is None:
        return SolveOutcome(
            "cancelled" if cancelled else "infeasible", None, None, None, built, notes=notes, elapsed=elapsed
        )
    if best_key[0]:
        best_roster, dropped = _drop_breaching_shifts(base, best_roster)
        notes.append(
            f"Time ran out before every night-block rule held; {dropped} shift(s) that broke one were left "
            "open instead (see unmet demand)."
        )
    found = breaches(base, best_roster)
    objective = evaluate(base.problem, best_roster).objective
    # The engine's bound is a bound for the problem without cuts; with cuts its bound can exceed ours.
    bound = engine_bound if engine_bound is not None and engine_bound <= objective else None
    if bound is None and not forbidden and figures.bound is not None and figures.bound <= objective:
        bound = figures.bound
    optimal = best_status == "optimal" and not found and not forbidden
    status = "cancelled" if cancelled else ("optimal" if optimal else "feasible")
    stats["slices"] = figures.slices
    stats["night_cuts"] = len(forbidden)
    return SolveOutcome(status, best_roster, objective, bound, base, found, notes, elapsed, stats)
