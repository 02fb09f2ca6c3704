"""Column generation: the schedule-per-person (Dantzig-Wolfe) relaxation and a price-and-branch roster.

Every hard rule concerns one person, so a roster is one feasible personal schedule ("column")
per person, and only the cover couples people. The master LP chooses a convex combination of
columns per person; its cover duals price each (day, shift) and a single-person CP-SAT model
(all that person's hard rules) finds the schedule of most negative reduced cost. This
relaxation is far tighter than the LP of the compact model (which on these instances bounds
almost nothing), so it yields:

- a valid lower bound at every full pricing round (the Lagrangian bound at the pricing duals:
  those duals . requirements + each person's least reduced cost; the duals are smoothed toward
  the best-bound ones, Wentges-style, which any point of the dual box allows), and
- a pool of good schedules from which CP-SAT picks one per person (restricted master IP), and
- the LP's support, over which the full CP-SAT model is small (:func:`support_roster`).

:func:`generate` is used by :mod:`.solver`; it is not part of the public API.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csc_matrix, csr_matrix, vstack

from .formulation import Rectangle, SubModel
from .index import OFF, Grid, ProblemIndex

PRICING_PRESOLVE = False
DIVE_TOLERANCE = 2.0
DIVE_MAX_BANS = 3
DIVE_COMPLETION_SHARE = 0.15
# Wentges' smoothing factor for the pricing duals of column generation. Time to convergence from
# the same rosters (14 / 12): 0.3 29.5 / 28.1 s, 0.5 30.7 / 27.7 s, 0.7 39.4 / 33.5 s.
SMOOTHING = 0.5
ARTIFICIAL_COST = 10.0**7
ABANDON_FIRST_PACE = 0.5
SCALE = 10000  # duals are fractional; pricing objectives are integers scaled by this


class ColumnPool:
    def __init__(self, idx: ProblemIndex):
        self.idx = idx
        self.columns: list[tuple[int, tuple[int, ...]]] = []  # (person, schedule)
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        # cover rows: (day, shift) -> list of (row number, eligible set or None)
        self.rows: list[tuple[int, int, int, int, int, frozenset | None]] = []
        self.rows_at: dict[tuple[int, int], list[tuple[int, frozenset | None]]] = {}
        for (d, s), crs in idx.cover.items():
            for cr in crs:
                self.rows_at.setdefault((d, s), []).append((len(self.rows), cr.eligible))
                self.rows.append((d, s, cr.requirement, cr.under, cr.over, cr.eligible))
        self.on_total = [sum(r.values()) for r in idx.on_requests]
        self._lp: _MasterLP | None = None
        # The pool's columns as a columns x cover rows matrix, grown as columns arrive.
        self._matrix = None
        self._costs = np.zeros(0)
        self._owner = np.zeros(0, dtype=int)

    def cost(self, e: int, schedule: tuple[int, ...]) -> int:
        idx = self.idx
        c = self.on_total[e]
        on, off = idx.on_requests[e], idx.off_requests[e]
        for d, s in enumerate(schedule):
            if s != OFF:
                c += off.get((d, s), 0) - on.get((d, s), 0)
        return c

    def reduced_cost(self, e: int, schedule: tuple[int, ...], cover_duals: np.ndarray) -> float:
        """``cost - cover_duals . column`` (without the person's convexity dual)."""
        return self.cost(e, schedule) - sum(cover_duals[r] for r in self.cover_entries(e, schedule))

    def add(self, e: int, schedule: tuple[int, ...]) -> bool:
        key = (e, schedule)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.columns.append(key)
        return True

    def cover_entries(self, e: int, schedule: tuple[int, ...]) -> list[int]:
        out = []
        for d, s in enumerate(schedule):
            if s != OFF:
                for r, eligible in self.rows_at.get((d, s), ()):
                    if eligible is None or e in eligible:
                        out.append(r)
        return out

    def best_reduced_costs(self, cover_duals: np.ndarray) -> np.ndarray:
        """Per person, the least ``cost - cover_duals . column`` over their columns in the pool."""
        n = len(self.columns)
        have = 0 if self._matrix is None else self._matrix.shape[0]
        if have < n:
            costs, starts, index = self.schedule_columns(have)
            E = self.idx.E
            lengths = np.diff(np.array(starts + [len(index)]))
            owner = np.repeat(np.arange(n - have), lengths)
            rows = np.array(index) - E
            keep = rows >= 0  # drop the convexity rows
            block = csr_matrix(
                (np.ones(int(keep.sum())), (owner[keep], rows[keep])), shape=(n - have, len(self.rows))
            )
            self._matrix = block if self._matrix is None else vstack([self._matrix, block], format="csr")
            self._costs = np.concatenate([self._costs, np.array(costs, dtype=float)])
            self._owner = np.concatenate(
                [self._owner, np.array([e for e, _ in self.columns[have:]], dtype=int)]
            )
        reduced = self._costs - self._matrix @ cover_duals
        best = np.full(self.idx.E, np.inf)
        np.minimum.at(best, self._owner, reduced)
        return best

    def schedule_columns(self, start: int = 0) -> tuple[list[int], list[int], list[int]]:
        """The schedule columns from ``start`` on, in compressed-column form (every coefficient
        is 1): (cost per column, where each column's rows begin, row numbers). A column has its
        person's convexity row, then the cover rows it counts towards."""
        E = self.idx.E
        costs, starts, index = [], [], []
        for e, sched in self.columns[start:]:
            costs.append(self.cost(e, sched))
            starts.append(len(index))
            index.append(e)
            index.extend(E + r for r in self.cover_entries(e, sched))
        return costs, starts, index

    def slack_columns(self) -> tuple[list[int], list[int], list[int], list[float]]:
        """The under- and over-cover column of each cover row, in that order: (cost, where each
        column's rows begin, row numbers, coefficients)."""
        E = self.idx.E
        costs, starts, index, values = [], [], [], []
        for r, (_d, _s, _req, under, over, _el) in enumerate(self.rows):
            for sign, c in ((1.0, under), (-1.0, over)):
                costs.append(c)
                starts.append(len(index))
                index.append(E + r)
                values.append(sign)
        return costs, starts, index, values

    def rhs(self) -> np.ndarray:
        """1 per convexity row, then each cover row's requirement."""
        return np.concatenate([np.ones(self.idx.E), np.array([row[2] for row in self.rows], dtype=float)])

    def schedule_upper(self, fixed: dict | None = None, banned: set | None = None) -> np.ndarray:
        """Upper bound per schedule column: 0 where ``fixed`` gives the person another schedule
        or ``banned`` holds the (person, schedule) pair, else unbounded."""
        upper = np.full(len(self.columns), np.inf)
        if fixed or banned:
            for j, (e, sched) in enumerate(self.columns):
                if (fixed and e in fixed and fixed[e] != sched) or (banned and (e, sched) in banned):
                    upper[j] = 0.0
        return upper

    def master(
        self, fixed: dict | None = None, banned: set | None = None
    ) -> tuple[np.ndarray, csc_matrix, np.ndarray, np.ndarray]:
        """The master problem over the pool as (cost, A, b, upper), ``A x = b``: one convexity row
        per person, then one row per cover requirement, each with an under- and an over-cover
        column after the schedule columns; ``upper`` as in :meth:`schedule_upper`."""
        E, R, n = self.idx.E, len(self.rows), len(self.columns)
        costs, starts, index = self.schedule_columns()
        slack_costs, slack_starts, slack_index, slack_values = self.slack_columns()
        indptr = starts + [len(index) + k for k in slack_starts] + [len(index) + len(slack_index)]
        data = [1.0] * len(index) + slack_values
        A = csc_matrix((data, index + slack_index, indptr), shape=(E + R, n + 2 * R))
        cost = np.array(costs + slack_costs, dtype=float)
        upper = np.concatenate([self.schedule_upper(fixed, banned), np.full(2 * R, np.inf)])
        return cost, A, self.rhs(), upper

    def solve_master(
        self, fixed: dict | None = None, banned: set | None = None
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """LP optimum: (value, convexity duals per person, cover duals per row, column values),
        with ``fixed`` and ``banned`` as in :meth:`master` (diving)."""
        if self._lp is None:
            self._lp = _MasterLP(self)
        return self._lp.solve(fixed, banned)


def _new_highs():
    """A silent HiGHS instance (its first construction in a process prints a banner to the
    standard output, which would land in the CLI's output)."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


class _MasterLP:
    """The master LP kept alive in HiGHS between solves: new columns are appended and bounds
    changed in place, so each re-solve starts from the last basis (on Instance12 a cold solve
    of 6,800 columns took 1.6 s, most of a column-generation round). The same rows and columns
    as :meth:`ColumnPool.master`, the slacks first."""

    def __init__(self, pool: ColumnPool):
        import highspy

        self.pool, self.inf, self.optimal = pool, highspy.kHighsInf, highspy.HighsModelStatus.kOptimal
        self.h = _new_highs()
        # Primal simplex: new columns leave the last basis primal feasible, so a re-solve starts
        # where the last one ended (Instance12: 0.06-0.26 s a round, 0.3-0.7 s by the default).
        self.h.setOptionValue("simplex_strategy", 4)
        b = pool.rhs()
        self.h.addRows(
            len(b), b, b, 0, np.zeros(len(b), dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)
        )
        self._add(*pool.slack_columns())
        # One artificial column per person, at a prohibitive cost, so that the LP stays
        # feasible when branching (.branching) bans every column of a person in the pool.
        E = pool.idx.E
        self._add([ARTIFICIAL_COST] * E, list(range(E)), list(range(E)), [1.0] * E)
        self.slacks = 2 * len(pool.rows) + E
        self.upper = np.zeros(0)  # the schedule columns' bounds as HiGHS has them

    def _add(self, costs, starts, index, values) -> None:
        k = len(costs)
        if k:
            self.h.addCols(
                k,
                np.array(costs, dtype=float),
                np.zeros(k),
                np.full(k, self.inf),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(values, dtype=float),
            )

    def solve(self, fixed, banned):
        pool, E = self.pool, self.pool.idx.E
        synced = len(self.upper)
        costs, starts, index = pool.schedule_columns(synced)
        self._add(costs, starts, index, [1.0] * len(index))
        self.upper = np.concatenate([self.upper, np.full(len(costs), self.inf)])
        upper = pool.schedule_upper(fixed, banned)
        changed = np.flatnonzero(upper != self.upper)
        if len(changed):
            self.h.changeColsBounds(
                len(changed), (changed + self.slacks).astype(np.int32), np.zeros(len(changed)), upper[changed]
            )
            self.upper = upper
        self.h.run()
        status = self.h.getModelStatus()
        if status != self.optimal:
            raise RuntimeError(f"master LP failed: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)[self.slacks :]
        duals = np.asarray(sol.row_dual)
        return float(self.h.getInfo().objective_function_value), duals[:E], duals[E:], x


class Pricer:
    """One reusable single-person CP-SAT model per person; only the objective changes."""

    def __init__(self, idx: ProblemIndex, pool: ColumnPool, e: int):
        self.idx, self.pool, self.e = idx, pool, e
        empty = [[OFF] * idx.H for _ in range(idx.E)]
        self.sub = SubModel(idx, empty, Rectangle([e], 0, idx.H), cover_weights=False)
        self.cells = list(self.sub.x.items())

    def assume(self, decisions: list[tuple[int, int, bool]]) -> bool:
        """From now on, schedules keep the branching decisions (day, shift, holds): the person
        works that shift that day (shift OFF: is off), or does not. False if a decision asks
        for a shift the person cannot work that day, so no schedule keeps them."""
        e, sub = self.e, self.sub
        model = sub.model
        model.ClearAssumptions()
        literals = []
        for d, s, holds in decisions:
            v = sub.w.get((e, d)) if s == OFF else sub.x.get((e, d, s))
            if v is None:  # no variable: the person is off that day always (OFF), or never on s
                if (s == OFF) != holds:
                    return False
                continue
            literals.append((v.Not() if holds else v) if s == OFF else (v if holds else v.Not()))
        if literals:
            model.AddAssumptions(literals)
        return True

    def ban(self, schedule: tuple[int, ...]) -> None:
        """No schedule this pricer returns from now on equals ``schedule``."""
        e, sub = self.e, self.sub
        worked = [sub.x[e, d, s] for d, s in enumerate(schedule) if s != OFF]
        rested = [w for (p, d), w in sub.w.items() if p == e and schedule[d] == OFF]
        sub.model.add(sum(worked) - sum(rested) <= len(worked) - 1)

    def price(self, cover_duals: np.ndarray, mu: float, time_limit: float, seed: int):
        """(columns with negative reduced cost, lower bound on the reduced cost, deterministic time)."""
        idx, e, pool = self.idx, self.e, self.pool
        on, off = idx.on_requests[e], idx.off_requests[e]
        coeffs = []
        for (_e, d, s), _v in self.cells:
            c = off.get((d, s), 0) - on.get((d, s), 0)
            for r, eligible in pool.rows_at.get((d, s), ()):
                if eligible is None or e in eligible:
                    c -= cover_duals[r]
            coeffs.append(int(round(c * SCALE)))
        model = self.sub.model
        model.ClearObjective()
        model.Minimize(cp_model.LinearExpr.WeightedSum([v for _, v in self.cells], coeffs))
        constant = pool.on_total[e] - mu
        found: list[tuple[int, ...]] = []
        cells = self.cells
        H = idx.H

        class Collect(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self):
                if self.ObjectiveValue() / SCALE + constant < -1e-6 and len(found) < 5:
                    sched = [OFF] * H
                    for (_e, d, s), v in cells:
                        if self.BooleanValue(v):
                            sched[d] = s
                    found.append(tuple(sched))

        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_deterministic_time = time_limit
        # The model is tiny and re-solved hundreds of times: presolve costs more than it saves.
        solver.parameters.cp_model_presolve = PRICING_PRESOLVE
        status = solver.Solve(model, Collect())
        if status == cp_model.OPTIMAL:
            bound = solver.ObjectiveValue() / SCALE + constant
        elif status == cp_model.FEASIBLE:
            bound = solver.BestObjectiveBound() / SCALE + constant
        elif status == cp_model.INFEASIBLE:
            return [], math.inf, solver.deterministic_time  # no schedule keeps the assumptions
        else:
            bound = -math.inf
        # Coefficients were rounded: widen the bound by the largest possible rounding error.
        bound -= 0.5 * H / SCALE if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
        return found, bound, solver.deterministic_time


def generate(
    idx: ProblemIndex,
    start: Grid,
    *,
    deadline: float,
    workers: int,
    seed: int,
    on_bound: Callable[[int], None] | None = None,
    extend_to: float | None = None,
    extend_rounds: int = 0,
    known: list[set] | None = None,
    abandon_rounds: int = 0,
) -> tuple[list[tuple[int, tuple[int, ...]]], int | None, float, dict]:
    """Column generation until converged or ``deadline`` (time.monotonic()).

    At ``deadline``, unconverged, it goes on until ``extend_to`` if ``extend_rounds`` rounds at
    the pace so far fit in the time from its start to ``extend_to``. With ``abandon_rounds``, it
    stops after three rounds or more once that many rounds at its pace would not fit in all its
    time (stats["cg_abandoned"]).
    Returns (column pool, best Lagrangian lower bound or None, LP value, stats).
    """
    started = time.monotonic()
    pool = ColumnPool(idx)
    for e in range(idx.E):
        pool.add(e, tuple(start[e]))
        for sched in known[e] if known else ():
            pool.add(e, sched)
    pricers = [Pricer(idx, pool, e) for e in range(idx.E)]
    best_bound: int | None = None
    lp_value = math.inf
    rounds = 0
    det = 0.0
    converged = abandoned = False
    requirements = pool.rhs()[idx.E :]
    center: np.ndarray | None = None  # the cover duals of the best Lagrangian bound so far
    center_value = -math.inf
    mispriced = 0
    executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    window = max(deadline, extend_to or 0) - started  # all its time, extension included
    try:
        while True:
            now = time.monotonic()
            pace = (now - started) / max(1, rounds)
            # After one round the pace (which includes building every pricing model) is judged
            # at ABANDON_FIRST_PACE of itself, from the third at full: Instance13's first round
            # took 4.2 s, so 20 would not fit, and waiting for three cost it 10 s more (14's first
            # takes 0.9 s, 12's 0.5 s; both go on).
            if (
                abandon_rounds
                and rounds >= 1
                and pace * abandon_rounds * (1.0 if rounds >= 3 else ABANDON_FIRST_PACE) > window
            ):
                abandoned = True  # at this pace it cannot get near convergence in its time
                break
            if now >= deadline:
                if extend_to is None or not rounds or pace * extend_rounds > extend_to - started:
                    break
                deadline, extend_to = extend_to, None
            lp_value, mu, pi, _x = pool.solve_master()
            rounds += 1
            per = max(0.05, min(2.0, (deadline - time.monotonic()) / 4))
            # Wentges smoothing: price at a point between the best-bound duals and the LP's, which
            # oscillate from round to round; each round that finds nothing pricing out at the
            # LP's duals (a mis-pricing) moves the point toward them, down to the LP's own.
            step = 0.0 if center is None else max(0.0, 1.0 - (mispriced + 1) * (1.0 - SMOOTHING))
            duals = pi if step == 0.0 else step * center + (1.0 - step) * pi
            least = pool.best_reduced_costs(duals)
            jobs = [(p, float(least[p.e]), per, seed + rounds * 7919 + p.e) for p in pricers]
            # The first round is cut short once it runs past what the abandoning rule would
            # allow it (Instance13: 8 s for a round its probe had put at 0.5-1.2 s).
            cutoff = math.inf
            if abandon_rounds and rounds == 1:
                cutoff = started + window / (abandon_rounds * ABANDON_FIRST_PACE)
            results = _price_all(executor, jobs, duals, cutoff)
            if results is None:
                abandoned = True
                break
            useful = 0
            lagrange = float(duals @ requirements) + float(least.sum())
            for (p, *_rest), (found, bound, dt) in zip(jobs, results, strict=True):
                det += dt
                lagrange += min(0.0, bound)
                for sched in found:
                    if pool.add(p.e, sched) and pool.reduced_cost(p.e, sched, pi) < mu[p.e] - 1e-6:
                        useful += 1
            if lagrange > center_value:
                center, center_value = duals, lagrange
            if lagrange > -math.inf:
                # Every penalty is non-negative, so 0 bounds any roster: early rounds' Lagrangian
                # bounds fall far below it (Instance13: -123,039 after one round).
                lb = max(0, math.ceil(lagrange - 1e-6))
                if best_bound is None or lb > best_bound:
                    best_bound = lb
                    if on_bound:
                        on_bound(lb)
            if best_bound is not None and math.ceil(lp_value - 1e-6) <= best_bound:
                converged = True  # the LP cannot fall below the proven bound: the pool is as good as it gets
                break
            if useful:
                mispriced = 0
            elif step == 0.0:
                converged = True  # no schedule prices out at the LP's duals
                break
            else:
                mispriced += 1
    finally:
        if executor is not None:
            executor.shutdown()
    stats = {
        "cg_rounds": rounds,
        "cg_columns": len(pool.columns),
        "cg_lp": round(lp_value, 2),
        "cg_converged": converged,
        "cg_abandoned": abandoned,
    }
    return pool, best_bound, lp_value, stats


def _price_all(executor, jobs, duals, cutoff: float):
    """Every job's pricing result in order, or None once ``cutoff`` (time.monotonic()) passes
    before they are all in (jobs not yet started are then dropped)."""
    if executor is None:
        results = []
        for p, m, t, s in jobs:
            if time.monotonic() > cutoff:
                return None
            results.append(p.price(duals, m, t, s))
        return results
    futures = [executor.submit(p.price, duals, m, t, s) for p, m, t, s in jobs]
    results = []
    for f in futures:
        results.append(f.result())
        if time.monotonic() > cutoff and len(results) < len(futures):
            for g in futures:
                g.cancel()
            return None
    return results


def _cp_solver(time_limit: float, workers: int, seed: int, deterministic: bool) -> cp_model.CpSolver:
    """A CP-SAT solver for the roster-wide models here, limited in deterministic time when the run
    must replay, in wall time otherwise."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if deterministic:
        solver.parameters.max_deterministic_time = max(0.05, time_limit)
    else:
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    return solver


def restricted_master_ip(
    idx: ProblemIndex,
    pool: ColumnPool,
    hint: Grid,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    deterministic: bool,
) -> Grid | None:
    """Best roster made of one pooled column per person (CP-SAT), hinted with ``hint``."""
    for e in range(idx.E):
        pool.add(e, tuple(hint[e]))
    m = cp_model.CpModel()
    by_person: list[list[tuple[cp_model.IntVar, tuple[int, ...]]]] = [[] for _ in range(idx.E)]
    cover_terms: list[list[cp_model.IntVar]] = [[] for _ in pool.rows]
    obj_vars, obj_coeffs = [], []
    for e, sched in pool.columns:
        v = m.NewBoolVar("")
        by_person[e].append((v, sched))
        m.AddHint(v, 1 if list(sched) == list(hint[e]) else 0)
        c = pool.cost(e, sched)
        if c:
            obj_vars.append(v)
            obj_coeffs.append(c)
        for r in pool.cover_entries(e, sched):
            cover_terms[r].append(v)
    for e in range(idx.E):
        m.AddExactlyOne([v for v, _ in by_person[e]])
    for r, (_d, _s, req, under_w, over_w, _el) in enumerate(pool.rows):
        terms = cover_terms[r]
        under = m.NewIntVar(0, req, "")
        over = m.NewIntVar(0, max(0, len(terms)), "")
        m.Add(sum(terms) + under - over == req)
        if under_w:
            obj_vars.append(under)
            obj_coeffs.append(under_w)
        if over_w:
            obj_vars.append(over)
            obj_coeffs.append(over_w)
    m.Minimize(cp_model.LinearExpr.WeightedSum(obj_vars, obj_coeffs))
    solver = _cp_solver(time_limit, workers, seed, deterministic)
    status = solver.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    grid: Grid = []
    for e in range(idx.E):
        chosen = next(sched for v, sched in by_person[e] if solver.BooleanValue(v))
        grid.append(list(chosen))
    return grid


def restricted_master_milp(
    idx: ProblemIndex,
    pool: ColumnPool,
    hint: Grid | None,
    *,
    time_limit: float,
    fixed: dict[int, tuple[int, ...]] | None = None,
) -> Grid | None:
    """Same as :func:`restricted_master_ip` with HiGHS branch-and-bound (strong on set
    partitioning); ``fixed`` maps people to the only schedule they may take."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    if hint is not None:
        for e in range(idx.E):
            pool.add(e, tuple(hint[e]))
    E, R, n = idx.E, len(pool.rows), len(pool.columns)
    cost, A, b, upper = pool.master(fixed)
    integrality = np.zeros(n + 2 * R)
    integrality[:n] = 1
    upper[:n] = np.minimum(upper[:n], 1)
    res = milp(
        cost,
        constraints=LinearConstraint(A, b, b),
        integrality=integrality,
        bounds=Bounds(np.zeros(n + 2 * R), upper),
        options={"time_limit": max(0.1, time_limit), "disp": False},
    )
    if res.x is None or not np.isfinite(res.x).all():
        return None
    grid: Grid = [[OFF] * idx.H for _ in range(E)]
    for j, (e, sched) in enumerate(pool.columns):
        if res.x[j] > 0.5:
            grid[e] = list(sched)
    return grid


def support_roster(
    idx: ProblemIndex,
    pool: ColumnPool,
    hint: Grid,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    deterministic: bool,
    stop_at: int | None = None,
) -> Grid | None:
    """Best roster found by CP-SAT over the master LP's support: each person may work, on each
    day, only what one of their columns with a positive LP value has there (off included), and
    the full model (every rule, the cover) decides the rest, hinted with ``hint``.

    Unlike the restricted master, this mixes days of different columns of one person, and it is
    far smaller than the full model: on Instance14 the support leaves 1.3 options per person and
    day, and CP-SAT finds the optimum (1,278, the LP value) in half a second, where the dive
    from the same columns gave 1,688 in 17 s. ``stop_at`` (a proven lower bound) ends the search
    at the first roster that reaches it, which CP-SAT, not knowing the bound, would go on trying
    to prove optimal for the rest of its time."""
    _lp, _mu, _pi, x = pool.solve_master()
    support: list[list[set[int]]] = [[set() for _ in range(idx.H)] for _ in range(idx.E)]
    for j, (e, sched) in enumerate(pool.columns):
        if x[j] > 1e-6:  # solve_master has synced every column, so x covers them all
            for d, s in enumerate(sched):
                support[e][d].add(s)
    sub = SubModel(idx, hint, Rectangle(list(range(idx.E)), 0, idx.H))
    if sub.infeasible:
        return None
    for (e, d, s), v in sub.x.items():
        if s not in support[e][d]:
            sub.model.add(v == 0)
    for (e, d), w in sub.w.items():
        if OFF not in support[e][d]:
            sub.model.add(w == 1)
    sub.add_hint(hint)

    class StopAtBound(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            if idx.score(sub.read(self, hint)) <= stop_at:
                self.StopSearch()

    solver = _cp_solver(time_limit, workers, seed, deterministic)
    status = solver.Solve(sub.model, StopAtBound() if stop_at is not None else None)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return sub.read(solver, hint)


def dive(
    idx: ProblemIndex,
    pool: ColumnPool,
    *,
    deadline: float,
    workers: int,
    seed: int,
    rounds_per_step: int = 1,
    events: list[tuple[str, int]] | None = None,
) -> Grid | None:
    """Price-and-dive with backtracking: fix the people whose LP schedule is integral, otherwise
    the one most-chosen schedule, and re-price the others. A fix that raises the LP by more than
    ``DIVE_TOLERANCE`` is undone and that schedule banned for the person (in the LP and in their
    pricing), up to ``DIVE_MAX_BANS`` times in a row. When the pace so far would not fix every
    free person one at a time, twice over, before the deadline, a third of them are fixed at
    once with no way back (on Instance12, whose pricing is slow, one at a time ran out of time
    and gave rosters of 18,000-19,500). The last ``DIVE_COMPLETION_SHARE`` of the time completes
    the roster by HiGHS over the columns, the fixed people kept; failing that, the people still
    free take their most-used schedule, so a roster always comes back. ``events``, if given,
    receives ("trial", person), ("ban", person) and ("stand", person) as they happen."""
    fixed: dict[int, tuple[int, ...]] = {}
    banned: set[tuple[int, tuple[int, ...]]] = set()
    pricers = {e: Pricer(idx, pool, e) for e in range(idx.E)}
    executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    step = 0
    trial: tuple[int, tuple[int, ...]] | None = None  # the last single fix, still on trial
    before = math.inf  # the LP before that fix
    bans_in_row = 0
    started = time.monotonic()
    # The last share of the time completes the roster by branch-and-bound over the columns
    # (HiGHS), with the people fixed so far kept.
    reserve = DIVE_COMPLETION_SHARE * max(0.0, deadline - started)
    deadline -= reserve
    try:
        while len(fixed) < idx.E:
            out_of_time = time.monotonic() >= deadline
            if out_of_time:
                grid = restricted_master_milp(idx, pool, None, time_limit=reserve, fixed=fixed)
                if grid is not None:
                    return grid
            for _ in range(0 if out_of_time else rounds_per_step):
                lp_value, mu, pi, x = pool.solve_master(fixed, banned)
                free = [e for e in range(idx.E) if e not in fixed]
                per = max(0.02, min(0.5, (deadline - time.monotonic()) / 8))
                jobs = [(pricers[e], float(mu[e]), per, seed + step * 104729 + e) for e in free]
                if executor is not None:
                    results = list(executor.map(lambda j, pi=pi: j[0].price(pi, j[1], j[2], j[3]), jobs))
                else:
                    results = [p.price(pi, m, t, s) for p, m, t, s in jobs]
                added = 0
                for (p, *_rest), (found, _bound, _dt) in zip(jobs, results, strict=True):
                    for sched in found:
                        added += pool.add(p.e, sched)
                if added == 0 or time.monotonic() >= deadline:
                    break
            lp_value, mu, pi, x = pool.solve_master(fixed, banned)
            step += 1
            # Trials only while the time left would let every free person be fixed one at a
            # time at the pace so far, twice over.
            pace = (time.monotonic() - started) / step
            free_left = idx.E - len(fixed)
            may_ban = deadline - time.monotonic() > 2 * pace * free_left
            if trial is not None and not out_of_time and lp_value > before + DIVE_TOLERANCE:
                e, sched = trial
                # A person must keep one schedule the LP may use, or the LP has no solution.
                spare = any(p == e and c != sched and (p, c) not in banned for p, c in pool.columns)
                if bans_in_row < DIVE_MAX_BANS and may_ban and spare:
                    del fixed[e]
                    banned.add(trial)
                    pricers[e].ban(sched)
                    bans_in_row += 1
                    if events is not None:
                        events.append(("ban", e))
                    trial = None
                    continue
            if trial is not None:
                bans_in_row = 0  # the fix on trial stands
                if events is not None:
                    events.append(("stand", trial[0]))
            trial = None
            best_by_person: dict[int, tuple[float, tuple[int, ...]]] = {}
            for j, (e, sched) in enumerate(pool.columns):
                if e in fixed or j >= len(x) or (e, sched) in banned:
                    continue
                if e not in best_by_person or x[j] > best_by_person[e][0]:
                    best_by_person[e] = (float(x[j]), sched)
            ranked = sorted(best_by_person.items(), key=lambda kv: -kv[1][0])
            near = [(e, sched) for e, (val, sched) in ranked if val > 0.99]
            if out_of_time:  # round the rest: each person's most-used schedule
                near = [(e, sched) for e, (_v, sched) in ranked]
            elif not near and may_ban:
                e, (_v, sched) = ranked[0]
                near = [(e, sched)]
                trial = (e, sched)
                before = lp_value
                if events is not None:
                    events.append(("trial", e))
            elif not near:  # short of time: a third of the free people at once, no way back
                near = [(e, sched) for e, (_v, sched) in ranked[: max(1, len(ranked) // 3)]]
            for e, sched in near:
                fixed[e] = sched
    finally:
        if executor is not None:
            executor.shutdown()
    return [list(fixed[e]) for e in range(idx.E)]
