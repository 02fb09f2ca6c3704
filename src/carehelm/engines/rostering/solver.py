"""The roster solver: constructive start, column generation and dive, large-neighbourhood search.

``solve(problem, *, time_limit, workers, seed, hint=None, on_progress=None) -> SolveResult``

1. Start: the hint if it breaks no hard rule, otherwise a constructive start that rosters one
   person at a time, pricing each (day, shift) by what it does to the cover given the people
   already rostered (and by their own shift requests): with CP-SAT for horizons up to four weeks
   and 60 people (with the weekend tie-break of the moves below), with the dynamic programmes
   of :mod:`.construct` (seconds for a year and 150 people) beyond six weeks or 60 people, the
   better of the two for five and six weeks; the dynamic programmes' start is followed by improvement
   passes that re-build each person against everyone else, while a pass gains at least 0.2% (a
   new schedule is kept if it serves the cover and the requests better, or as well with fewer
   half weekends). The dynamic programmes price half a weekend on top of the weekend itself, so
   the start works whole weekends, and value a short weekend shift above a short weekday one
   (weekend days are the scarce ones), so the start covers weekends first. All hard rules are
   per person, so this gives a roster with no hard violation when one exists. Then the cell
   moves of :mod:`.cells` (one person's day or two, or two people's same day, microseconds
   each), and best responses: each person in turn gets their optimal schedule (CP-SAT) with
   everyone else fixed, in passes, while a pass gains at least 2% and 70% of the time is left;
   then the cell moves again.
2. Small problems: CP-SAT on the full model hinted with the start (often proves optimality).
3. Horizons up to eight weeks: column generation (:mod:`.columns`; pricing duals smoothed
   toward the best-bound ones, the pool seeded with every personal schedule of the improving
   rosters so far) gives the lower bound (``lower_bound``). It runs only where 20 rounds at a
   probe's estimate (three people priced) fit its budget; where 20 rounds at its pace so far
   fit, it runs until a quarter of the time is left rather than 55%, and where they would not
   fit even then, it stops: after the first round (judged at half its pace, and cut short while
   still running) or from the third on. A converged LP's support (each person, each day: only
   what their columns in the LP solution have there) makes a small full CP-SAT model, solved in
   slices while they improve; then, when the best roster is within 1% of the bound,
   branch-and-price (:mod:`.branching`) until 30% of the time is left.
   Unconverged, a price-and-dive gives a roster instead: one person fixed at a time, the others
   re-priced, and a fix that lifts the LP by more than 2 undone and its schedule banned (up to
   three in a row); when the pace so far would not fix everyone one at a time, a third of the
   free people at once; what time leaves unfixed, HiGHS completes over the columns.
4. Large-neighbourhood search: fix most of the roster, re-optimise a rectangle (some staff x a
   window of days, chosen at random, around a badly covered shift, or all staff over a few days;
   the kind drawn half by fixed shares, half by how often each kind has improved the roster)
   with single-worker CP-SAT (full LP relaxation, linearization level 2) hinted with the current
   roster; the rectangle size adapts to what CP-SAT solves to optimality within its small budget,
   and the budget doubles while no move improves. Among rosters of equal objective, the moves
   and the best responses prefer fewer half weekends, and under-cover on weekdays to under-cover
   on weekends (a lexicographic tie-break, ``SubModel(weekend_tiebreak=True)``): weekend demand
   on the benchmark is close to what the weekend maxima allow, and a shortage moved to a weekday
   is one that far more people can fill later. Long horizons are handled by the windows
   (decomposition). Where no polish (below) is in reach, the search stops every 4 s for a round
   of cell moves, until two rounds in a row find nothing. Up to eight weeks, a search that
   stalls is polished: column generation from its roster, then HiGHS branch-and-bound over the
   columns, then the search goes on.

With ``workers=1`` every budget is CP-SAT deterministic time, so a fixed seed gives the same
roster run after run (as long as the wall-clock guard, ``time_limit``, is not what stops it).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from .evaluate import evaluate
from .formulation import Rectangle, SubModel
from .index import OFF, Grid, ProblemIndex
from .model import Problem, Roster, validate

# Cost per paid minute below a contract minimum while the search repairs its start: above any
# roster's objective, so a roster short of minutes always ranks below every roster that is not
# (at 100,000 it did not: Instance24's rosters score over 100,000 and were taken for short ones,
# which cost them their progress reports and the last 9 s of search).
SHORTFALL_COST = 10**12
# The same in the CP-SAT moves, where the objective must stay small: per minute short.
SOFT_MINIMUM_COST = 100
CONSTRUCT_CHUNK_DAYS = 28
DETERMINISTIC_SHARE = 0.5
# With one worker the wall clock stops only a run that overshoots its limit by this much or by
# twice the limit, whichever is more. The start is Python work that no budget bounds (about 10 s
# for Instance20 on the Intel Xeon of 2026-11-27, against a 5 s limit): a guard of twice the
# limit alone made the same seed give two rosters on a slower machine.
DETERMINISTIC_GUARD_SECONDS = 60.0
# Horizons up to BOTH_CONSTRUCT_MIN_DAYS start from the CP-SAT construction, longer ones up to
# CP_CONSTRUCT_MAX_DAYS from the better of it and the dynamic programmes of construct.py, the
# longest from the dynamic programmes alone: on Instances 14-24 they give a roster with no
# shortfall in 0.2-17 s, where CP-SAT left people short of minutes on 15 and 17 after 7-9 s and
# gave the year-long instances no roster within a minute; on 14 and 16 CP-SAT's start was better.
BOTH_CONSTRUCT_MIN_DAYS = 28
# Eight-week horizons (16, 17) start from the dynamic programmes alone: CP-SAT's start cost them
# 7-9 s. Paired 60 s runs, dynamic programmes alone / both (seeds 0 and 1): 16 3,346 and 3,339 /
# 3,362-3,534 (four runs) and 3,338; 17 6,084 and 5,891 / 5,902 and 6,297 and 5,987.
CP_CONSTRUCT_MAX_DAYS = 42
# Above this many people the CP-SAT start costs a quarter of a minute (Instance13, 120 people:
# 14-23 s) and led to worse rosters: 5429-6771 in three 60 s runs against 4941-5714 from the
# dynamic-programme start, built in 0.6 s.
CP_CONSTRUCT_MAX_STAFF = 60
RECONSTRUCT_PASSES = 40
# In the dynamic-programme start and its passes, a short weekend shift is worth (1 + this) times
# a short weekday one: on the benchmark the weekend maxima leave almost no weekend days to
# spare (Instance13: 482 shifts wanted, 500 weekend days allowed; 24: 6,535 and 6,818), so a
# shortage left on a weekday is one that someone can fill later, one left on a weekend mostly
# is not. The moves keep the true objective, with a tie-break the same way (SubModel). Paired
# 60 s runs (seed 0), without / with: 13 3,246 / 2,708 and 2,488; 19 4,087 / 3,568 and 3,553;
# 22 36,592 / 34,343 and 34,383; 24 74,443 / 64,421 and 63,248 (0.5 came in between on all
# four; 2.0 was worse than 1.0 on three of four).
WEEKEND_SHORT_BONUS = 1.0
# A pass that gains less than this share ends the passes. They cost a fraction of a CP-SAT best
# response per person: paired 60 s runs (seed 0) at 0.2% against 2%: 13 3,098 / 3,454 (and
# 2,764 / 2,879 with seed 1), 19 3,676 / 3,979, 22 36,239 / 36,801, 18, 20 and 24 level.
RECONSTRUCT_MIN_GAIN = 0.002
RECONSTRUCT_SHARE = 0.6  # of the time limit, at most, for the start and its improvement passes
RECONSTRUCT_MAX_CELLS = 20_000  # staff x days; the size limit of the passes with one worker
CONSTRUCT_GROUP_VARS = 1  # one person per constructive solve
# Full models up to this many shift variables are built and solved whole (for the lower bound).
FULL_MODEL_MAX_VARS = 40_000
# CP-SAT linearization level of the single-worker neighbourhood moves. Level 2 (the full LP
# relaxation of every linear constraint) proves a three-person, four-week move of Instance13
# optimal in 1.3 s where the default level (1) has not found that optimum after 3 s; in 60 s
# runs it lowered the result on all ten instances measured (bench/results/rostering-curtois.md).
MOVE_LINEARIZATION = 2
# Seconds (deterministic time with one worker) per move before escalation. Paired 60 s runs
# (seeds 0 and 1) with 0.12: Instance24 87,742 and 86,633, 23 26,865 and 27,099; with 0.4: 24
# 85,379 and 85,924, 23 26,711 and 26,588; with 0.25: 84,733, 84,140, 26,126 and 26,890.
MOVE_BUDGET = 0.25
# Moves without a strict improvement before the move budget doubles, and the largest multiple.
MOVE_STALE_STEP = 40
MOVE_ESCALATION_MAX = 8
# A search with column generation in reach (horizons up to eight weeks) that goes this many moves
# without improving is polished: columns from its roster, then HiGHS over them (``polish``).
STALL_MOVES = 2 * MOVE_STALE_STEP
MAX_POLISHES = 2
POLISH_SHARE = 0.3  # of the remaining time, for the columns and again for the MILP
POLISH_MIN_SECONDS = 6.0
# The cell moves (:mod:`.cells`). Paired 60 s runs with and without them (seeds 0 and 1):
# Instance24 84,733 and 84,140 against 90,624 and 92,013; Instance23 26,126 and 26,890 against
# 26,939 and 27,219; 13, 19, 14, 12, 9 lower with them, 18, 20, 22 within the run-to-run spread
# (bench/results/rostering-curtois.md).
CELLS_START_SHARE = 0.1  # of the time limit, at most, for the cell moves from the start
CELLS_SHARE = 0.02  # and for each later round of them
# Seconds of search between two rounds of cell moves. Paired 60 s runs (seeds 0 and 1), 4 s
# against 8 s: Instance24 83,281 and 82,748 against 83,756 and 83,385; 23 25,090 and 25,731
# against 26,403 and 25,755; 22 (seed 0) 38,575 against 39,108; 18 (seed 0) 5,494 against 5,293.
CELLS_SLICE = 4.0
# Where a move's staff are drawn around an under-covered shift on a weekend, those already
# working the other day of that weekend come first: filling it costs them no weekend of their
# allowance, and on Instance13 every shift left open is a weekend one (18 of them, with 32 half
# weekends worked and 248 of 250 weekends used). Paired 60 s runs, with / without: 13 2,169 /
# 2,358 (seed 0) and 2,380 / 2,580 (seed 1); 24 61,387 / 61,650; 16 3,446 / 3,443; 19 3,681 /
# 3,672.
WEEKEND_MATES_FIRST = True
# Tried cell moves a second (Instance23 on the AMD EPYC of the bench: 125,000).
CELL_TRIES_PER_SECOND = 120_000
BEST_RESPONSE_PASSES = 4
BEST_RESPONSE_BUDGET = 0.5  # seconds per person; most are proven optimal in a tenth of that
BEST_RESPONSE_MIN_GAIN = 0.02  # a pass that gains less than this share ends the passes
BEST_RESPONSE_MAX_DAYS = 84  # longer horizons: one window per person and pass
BEST_RESPONSE_WINDOW = 56
BEST_RESPONSE_UNTIL = 0.7  # of the time limit: the passes end when no more than this remains
# (0.5 before: paired 60 s runs, seeds 0/1, on Instance13 gave 4083/3688 against 4805/4656,
# on 24 99,054/93,330 against 103,541/96,963; 0.85 came between the two)
CG_UNTIL = 0.55  # of the time limit: column generation ends when no more than this remains
DIVE_UNTIL = 0.3  # and the dive from its columns when no more than this remains
# Where this many pricing rounds in all, at the pace of those run by CG_UNTIL, fit before only
# CG_LONG_UNTIL of the time remains, column generation goes on until then: a converged LP's
# support holds the optimum on Instance14 and one within 0.2% on 12 (support_roster), and both
# converge in about 30 rounds, the later ones faster than the first (14: 13 rounds in 22 s, 29 in
# 41 s). Slower ones (15, 3.5 s a round) stop at CG_UNTIL, since their LP is far from converged
# either way and the search needs the time. (Deciding by a one-person pricing probe instead
# extended 14 in two runs of three: the probe's estimate ranged 0.5-1.3 s a round.) After three
# rounds or more, a pace at which this many would not fit even by CG_LONG_UNTIL ends column
# generation at once (15: three rounds, about 3 s each), and the search has the time.
CG_LONG_ROUNDS = 20
CG_MAX_DAYS = 56  # longer horizons: pricing one person takes too long for column generation
CG_LONG_UNTIL = 0.25
# Of the time limit, one slice of CP-SAT over the LP's support (columns.support_roster) after
# column generation; slices follow while each improves and the dive's time lasts, and the dive
# then does not run (12's converged support gave 4,341-4,543 in 3 s, 4,041-4,140 in 15 s; with
# and without the dive after it, 12 4,045 / 4,048 and 8 1,399 / 1,404, seed 1). It solves
# Instance14's in half a second.
SUPPORT_SHARE = 0.05
# ... also when column generation stops unconverged with its LP this close to the bound (a share
# of the LP): Instance14 stopped at 1,278.15 against a bound of 1,277 in one run of two.
SUPPORT_MAX_GAP = 0.01
# Branch-and-price (.branching) follows the support only when the best roster is this close to
# the bound (a share of the roster's objective); farther off, the large-neighbourhood search
# gains more in the time: on Instance8 (8% above its bound after the support) branching from
# there gave 1,507 and 1,593 where the search gives 1,397-1,406.
BRANCH_MAX_GAP = 0.01
# Column generation runs only where this many rounds at the probe's estimate fit in its budget.
# Estimates (s a round) against the budget of about 18 s: 12 0.23 and 14 0.33, which converge;
# 13 1.2 and 15 1.1, which never did (13's rounds took 4.2 s, not 1.2): at 10 they ran and were
# abandoned, 8-14 s of the search's time gone on 13.
CG_PROBE_ROUNDS = 20
POLISH_MAX_CG_SHARE = 0.15  # of the time limit: the longest first column generation that allows polishing


@dataclass(frozen=True)
class Progress:
    objective: int
    lower_bound: int | None
    elapsed: float
    phase: str


@dataclass
class SolveResult:
    status: str  # "optimal", "feasible", "infeasible" or "unknown" (no roster found in time)
    roster: Roster | None
    objective: int | None
    lower_bound: int | None
    stats: dict = field(default_factory=dict)


class _Clock:
    def __init__(self, time_limit: float, deterministic: bool):
        self.start = time.monotonic()
        self.limit = time_limit
        self.deterministic = deterministic
        self.det_used = 0.0
        self.guard_tripped = False

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        wall = self.limit - self.elapsed()
        if self.deterministic:
            # Budget in CP-SAT deterministic time (about a second of search on an idle core) so a
            # seed replays exactly; it leaves out Python's own work, hence only a share of the
            # limit. The wall clock only stops a run that overshoots far beyond the limit.
            if wall < -max(2 * self.limit, DETERMINISTIC_GUARD_SECONDS):
                self.guard_tripped = True
                return 0.0
            return DETERMINISTIC_SHARE * self.limit - self.det_used
        return wall


class _CoverTallies:
    """The cover counts of the roster moves start from: counted afresh only when that roster is
    not the one they were kept for, carried along when a move's result is spliced in. Callers
    hold their lock."""

    def __init__(self, idx: ProblemIndex):
        self.idx = idx
        self.grid: Grid | None = None
        self.counts: dict[tuple[int, int], list[int]] = {}

    def of(self, grid: Grid) -> dict[tuple[int, int], list[int]]:
        if self.grid is not grid:
            self.grid, self.counts = grid, self.idx.cover_counts(grid)
        return self.counts

    def spliced(self, old: Grid, new: Grid, people: list[int]) -> None:
        if self.grid is old:
            self.grid, self.counts = new, self.idx.recount(self.counts, old, new, people)


class _Search:
    def __init__(self, problem, idx, time_limit, workers, seed, on_progress):
        self.problem, self.idx = problem, idx
        self.workers = max(1, workers)
        self.clock = _Clock(time_limit, deterministic=self.workers == 1)
        self.rng = random.Random(seed)
        self.seed = seed
        self.on_progress = on_progress
        self.best_grid: Grid | None = None
        self.best = None
        self.lower_bound: int | None = None
        self.columns_viable = False  # column generation ran: cheap enough to polish with
        self.time_to_best = 0.0
        self.arms: dict | None = None  # the search's kinds of move (see lns)
        self.lns_stale = [0]  # search moves since the last strict improvement
        # Every personal schedule of the improving rosters so far: column generation starts
        # from them all (kept only where column generation may run).
        self.rows_seen: list[set] | None = (
            [set() for _ in range(idx.E)] if _column_generation_runs(idx, self.clock.deterministic) else None
        )
        self.stats = {"lns_moves": 0, "lns_improving": 0, "construct_seconds": 0.0, "phases": []}

    def run_cp(
        self,
        sub: SubModel,
        budget: float,
        workers: int | None = None,
        callback=None,
        guided=False,
        first_solution=False,
    ):
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.stop_after_first_solution = first_solution
        if guided:
            # Day by day, "works" first: on long single-person models the default search can
            # fail to find any roster for seconds, this finds one in a fraction of a second.
            sub.model.AddDecisionStrategy(
                [sub.w[k] for k in sorted(sub.w)], cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE
            )
            p.search_branching = cp_model.FIXED_SEARCH
        p.num_workers = workers or self.workers
        p.random_seed = self.rng.randrange(1 << 30) if self.workers > 1 else self.seed
        if self.clock.deterministic:
            p.max_deterministic_time = max(0.01, budget)
        else:
            p.max_time_in_seconds = max(0.01, budget)
        status = solver.Solve(sub.model, callback) if callback else solver.Solve(sub.model)
        self.clock.det_used += solver.deterministic_time
        return solver, status

    def mark(self, phase: str) -> None:
        """Note in stats["phases"] when each stage began (seconds), to see where the time goes."""
        self.stats["phases"].append((phase, round(self.clock.elapsed(), 1)))

    def shortfall(self, grid: Grid) -> int:
        """Minutes below the contractual minimum, summed over staff (0 in a valid roster)."""
        idx = self.idx
        total = 0
        for e in range(idx.E):
            paid = sum(idx.paid[s] for s in grid[e] if s != OFF)
            total += max(0, idx.contracts[e].min_paid_minutes - paid)
        return total

    def value(self, grid: Grid) -> int:
        return self.idx.score(grid) + SHORTFALL_COST * self.shortfall(grid)

    def offer(self, grid: Grid, phase: str, score: int | None = None) -> bool:
        score = self.value(grid) if score is None else score
        if self.best is None or score < self.best:
            self.best, self.best_grid = score, grid
            if self.rows_seen is not None and score < SHORTFALL_COST:
                for e, row in enumerate(grid):
                    self.rows_seen[e].add(tuple(row))
            self.time_to_best = self.clock.elapsed()
            if self.on_progress and score < SHORTFALL_COST:
                self.on_progress(Progress(score, self.lower_bound, self.time_to_best, phase))
            return True
        if score == self.best:
            self.best_grid = grid  # plateau move: keeps the search moving
        return False

    # -- 1. constructive start -------------------------------------------------------------
    def construct_dp(self) -> Grid | None:
        """Large problems: each person's schedule from the fast dynamic programmes of
        :mod:`.construct`, priced by the cover the people before them leave open; a person for
        whom they fail gets the first valid schedule of a day-by-day "work first" CP-SAT search."""
        from .construct import person_schedule

        idx = self.idx
        grid: Grid = [[OFF] * idx.H for _ in range(idx.E)]
        # Fewest options first: they have least room to fit around the others.
        order = sorted(range(idx.E), key=lambda e: (len(idx.allowed[e]), self.rng.random()))
        counts = [[0] * idx.S for _ in range(idx.H)]

        self.stats["construct_fallbacks"] = 0
        empty: Grid = [[OFF] * idx.H for _ in range(idx.E)]
        need = [[_one_more(idx, d, s, counts[d][s]) for s in range(idx.S)] for d in range(idx.H)]
        for i, e in enumerate(order):
            row = None
            mine = self._with_requests(e, need)
            for attempt in range(4):  # other tie-breaks first: far cheaper than CP-SAT
                row = person_schedule(idx, e, mine, seed=attempt)
                if row is not None:
                    break
            if row is None:
                self.stats["construct_fallbacks"] += 1
                if self.clock.remaining() < 0.5 * self.clock.limit:
                    continue  # starts off; the search's shortfall moves build the schedule
                row = self._first_fit_cp(e, empty, max(0.3, 0.3 * self.clock.remaining() / max(1, idx.E - i)))
                if row is False:
                    return None
                if row is None:
                    continue
            grid[e] = row
            for d, s in enumerate(row):
                if s != OFF:
                    counts[d][s] += 1
                    need[d][s] = _one_more(idx, d, s, counts[d][s])
        # Improvement passes while the start is cheap next to the budget and a pass still gains
        # RECONSTRUCT_MIN_GAIN: re-build each person against everyone else's final schedules (the
        # first pass priced the early people by an almost empty roster). The passes get faster
        # as the prices settle.
        pass_seconds = self.clock.elapsed()  # the first pass, which began with the solve
        before = self.value(grid)
        for _ in range(RECONSTRUCT_PASSES):
            if self.clock.deterministic:
                # Wall time must not decide anything in the replayable mode: go by size.
                if idx.E * idx.H > RECONSTRUCT_MAX_CELLS:
                    break
            elif self.clock.elapsed() + pass_seconds > RECONSTRUCT_SHARE * self.clock.limit:
                break
            started = time.monotonic()
            grid = self.schedule_pass(grid, order)
            pass_seconds = time.monotonic() - started
            after = self.value(grid)
            if before - after < RECONSTRUCT_MIN_GAIN * before:
                break
            before = after
        return grid

    def schedule_pass(self, grid: Grid, order: list[int]) -> Grid:
        """One pass of fast single-person moves: each person in ``order`` gets the dynamic
        programmes' schedule against everyone else's, kept if it serves the cover and their
        requests better (the prices are exact for one person's change), or as well with fewer
        half weekends."""
        from .construct import half_weekends, person_schedule

        idx = self.idx
        grid = [list(r) for r in grid]
        counts = [[0] * idx.S for _ in range(idx.H)]
        for row in grid:
            for d, s in enumerate(row):
                if s != OFF:
                    counts[d][s] += 1

        need = [[_one_more(idx, d, s, counts[d][s]) for s in range(idx.S)] for d in range(idx.H)]
        for e in order:
            old = grid[e]
            if all(s == OFF for s in old):
                continue
            for d, s in enumerate(old):
                if s != OFF:
                    counts[d][s] -= 1
                    need[d][s] = _one_more(idx, d, s, counts[d][s])
            mine = self._with_requests(e, need)
            row = person_schedule(idx, e, mine, seed=1)
            if row is not None:
                gain_old = sum(mine[d][s] for d, s in enumerate(old) if s != OFF)
                gain_new = sum(mine[d][s] for d, s in enumerate(row) if s != OFF)
                # Equal value with fewer half weekends is kept too, as in the CP-SAT moves (see
                # formulation.SubModel): paired 60 s runs, seed 1, 13 2,983 -> 2,447, 19 4,042 ->
                # 3,976, 24 76,526 -> 75,003, 22 level (37,495 and 37,522).
                if gain_new > gain_old + 1e-9 or (
                    gain_new > gain_old - 1e-9 and half_weekends(idx, row) < half_weekends(idx, old)
                ):
                    grid[e] = row
            for d, s in enumerate(grid[e]):
                if s != OFF:
                    counts[d][s] += 1
                    need[d][s] = _one_more(idx, d, s, counts[d][s])
        return grid

    def _with_requests(self, e: int, need: list[list[float]]) -> list[list[float]]:
        """``need`` as person ``e`` sees it: their shift-on requests add their weight to working
        that shift, their shift-off requests take it away (only the requested days are copied)."""
        on, off = self.idx.on_requests[e], self.idx.off_requests[e]
        if not on and not off:
            return need
        mine = list(need)
        for (d, s), w in on.items():
            if mine[d] is need[d]:
                mine[d] = list(need[d])
            mine[d][s] += w
        for (d, s), w in off.items():
            if mine[d] is need[d]:
                mine[d] = list(need[d])
            mine[d][s] -= w
        return mine

    def _first_fit_cp(self, e: int, base: Grid, budget: float):
        """First valid schedule of person ``e`` by CP-SAT; None if none in ``budget``, False if
        the person can have none at all."""
        sub = SubModel(self.idx, base, Rectangle([e], 0, self.idx.H))
        if sub.infeasible:
            return False
        solver, status = self.run_cp(sub, budget, workers=1, guided=True, first_solution=True)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return sub.read(solver, base)[e]
        return False if status == cp_model.INFEASIBLE else None

    def construct(self) -> Grid | None:
        """The constructive start: CP-SAT up to four weeks and 60 people, the dynamic programmes
        beyond six weeks or 60 people, the better of the two in between (measured: neither
        wins on every instance there)."""
        idx = self.idx
        if idx.H > CP_CONSTRUCT_MAX_DAYS or idx.E > CP_CONSTRUCT_MAX_STAFF:
            return self.construct_dp()
        starts = [self.construct_dp()] if idx.H > BOTH_CONSTRUCT_MIN_DAYS else []
        starts.append(self.construct_cp())
        starts = [g for g in starts if g is not None]
        return min(starts, key=self.value) if starts else None

    def construct_cp(self) -> Grid | None:
        """Roster people one at a time with CP-SAT; long horizons chunk by chunk (see
        :func:`_prefix_problem`)."""
        idx = self.idx
        # Fewest options first: they have least room to fit around the others.
        order = sorted(range(idx.E), key=lambda e: (len(idx.allowed[e]), self.rng.random()))
        chunk = CONSTRUCT_CHUNK_DAYS if idx.H > CONSTRUCT_CHUNK_DAYS + 28 else idx.H
        ends = list(range(chunk, idx.H, chunk))
        if ends and idx.H - ends[-1] < chunk:
            ends.pop()  # a longer last chunk has room to land the totals inside their window
        ends.append(idx.H)
        grid: Grid = [[OFF] * idx.H for _ in range(idx.E)]
        avg = max(1.0, sum(len(a) for a in idx.allowed) / idx.E)
        # Groups of people small enough for a quick solve (one person when the chunk is long).
        group = max(1, min(idx.E, int(CONSTRUCT_GROUP_VARS / (avg * chunk))))
        groups = [order[i : i + group] for i in range(0, idx.E, group)]
        per_solve = max(0.05, min(1.0, 0.2 * self.clock.limit / max(1, len(groups) * len(ends))))
        lo = 0
        for end in ends:
            if lo and self.clock.remaining() < 0.65 * self.clock.limit:
                end = idx.H  # out of construction time: one last pass over the rest of the horizon
            part = idx if end == idx.H else ProblemIndex(_prefix_problem(self.problem, end))
            part_grid = [row[:end] for row in grid]
            for staff in groups:
                # The minimum paid minutes is soft here (an all-off chunk is always valid and is
                # the hint, so a solution always exists); the search then works any shortfall off
                # at a prohibitive cost per minute.
                solved = None
                # A block left open at the chunk edge may force work at its start, so the all-off
                # hint can fail: then try longer, then reopen the previous chunk too.
                attempts = ((lo, per_solve), (lo, 4 * per_solve + 0.5), (max(0, lo - chunk), 2.0), (lo, 6.0))
                for start, budget in attempts:
                    rect = Rectangle(sorted(staff), start, end)
                    # With the weekend tie-break, as in the moves: the start is far better (8
                    # 5,649 -> 4,218, 15 13,458 -> 8,830) and the 60 s result on 8 too (1,406 ->
                    # 1,321 and 1,506 -> 1,409, seeds 0 and 1); 12, 15 and 17 level or mixed.
                    sub = SubModel(
                        part, part_grid, rect, soft_minimum=SOFT_MINIMUM_COST, weekend_tiebreak=True
                    )
                    if sub.infeasible:
                        continue
                    sub.add_hint(_close_open_blocks(part, part_grid, rect))
                    solver, status = self.run_cp(
                        sub, budget, workers=self.workers if len(staff) > 1 else 1, guided=False
                    )
                    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                        solved = sub.read(solver, part_grid)
                        break
                if solved is None:
                    return None
                part_grid = solved
            for e in range(idx.E):
                grid[e][:end] = part_grid[e]
            lo = end
            if end == idx.H:
                break
        return grid

    def close_shortfalls(self) -> None:
        """Last resort: re-roster each person still short of minutes over the whole horizon."""
        idx = self.idx
        grid = [list(r) for r in self.best_grid]
        for e in range(idx.E):
            paid = sum(idx.paid[s] for s in grid[e] if s != OFF)
            if paid >= idx.contracts[e].min_paid_minutes:
                continue
            if self.clock.remaining() <= 0.05:
                break
            sub = SubModel(idx, grid, Rectangle([e], 0, idx.H))
            if sub.infeasible:
                continue
            budget = self.clock.remaining() / max(1, sum(1 for _ in range(idx.E)) // 10)
            solver, status = self.run_cp(
                sub, max(0.05, min(budget, self.clock.remaining())), workers=1, guided=True
            )
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                grid = sub.read(solver, grid)
        self.best = None
        self.offer(grid, "repair")

    # -- moves, shared by the best responses and the search ----------------------------------
    def solve_move(self, sub: SubModel, seed: int, budget: float):
        """One single-worker CP-SAT move (full LP relaxation) within ``budget``; (solver, status).
        The caller adds ``solver.deterministic_time`` to the clock under its lock."""
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = 1
        p.random_seed = seed
        p.linearization_level = MOVE_LINEARIZATION
        if self.clock.deterministic:
            p.max_deterministic_time = max(0.01, budget)
        else:
            p.max_time_in_seconds = max(0.01, budget)
        return solver, solver.Solve(sub.model)

    def in_threads(self, work: Callable[[], None]) -> None:
        """Run ``work`` in two threads with two or more workers (CP-SAT releases the GIL while it
        searches), in this thread otherwise."""
        if self.workers < 2:
            work()
            return
        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(self.workers, 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def cell_moves(self, share: float) -> int:
        """The microsecond moves of :mod:`.cells` until none helps or ``share`` of the time limit
        has gone. Their first second gains the most; their tail gains less per second than the
        CP-SAT moves (Instance23: 37,097 -> 33,363 in 0.5 s, then 33,363 -> 31,542 in 11.5 s)."""
        from .cells import CellSearch

        if self.best >= SHORTFALL_COST or self.clock.remaining() <= 0.05:
            return 0
        started = time.monotonic()
        cells = CellSearch(self.idx, self.best_grid, self.rng)
        seconds = min(self.clock.remaining(), share * self.clock.limit)
        if self.clock.deterministic:  # a count of tried moves, not the wall clock, ends them
            gained = cells.run(started + 3 * self.clock.limit, max_tries=int(seconds * CELL_TRIES_PER_SECOND))
            # Charged to the budget at their nominal rate, so they do not stretch the run.
            self.clock.det_used += cells.tries / CELL_TRIES_PER_SECOND
        else:
            gained = cells.run(started + seconds)
        self.stats["cell_gain"] = self.stats.get("cell_gain", 0) + gained
        self.stats["cell_seconds"] = round(self.stats.get("cell_seconds", 0) + time.monotonic() - started, 2)
        if gained:
            self.offer(cells.g, "cells")
            self.lns_stale[0] = 0
        return gained

    # -- 1b. best responses ----------------------------------------------------------------
    def best_responses(self, until: float) -> None:
        """Passes of exact single-person moves: each person in turn gets their best schedule
        (CP-SAT, proven optimal) with everyone else's fixed, over the whole horizon or, on long
        ones, a window. It drains the gross under-cover a constructive start leaves far faster
        than the mixed moves do (Instance13: 15,559 -> 6,847 in one pass of 8 s on one core,
        where the search needed 18 s on two), then stops at its first pass that gains less than
        ``BEST_RESPONSE_MIN_GAIN``; the search takes it from there."""
        idx = self.idx
        width = idx.H if idx.H <= BEST_RESPONSE_MAX_DAYS else BEST_RESPONSE_WINDOW
        lock = threading.Lock()
        tallies = _CoverTallies(idx)
        for _ in range(BEST_RESPONSE_PASSES):
            if self.best >= SHORTFALL_COST:
                return  # a start with shortfalls needs the search's shortfall moves first
            before = self.best
            order = list(range(idx.E))
            self.rng.shuffle(order)
            queue = iter(order)
            seeds = {e: self.rng.randrange(1 << 30) for e in order}
            lows = {e: self.rng.randrange(0, idx.H - width + 1) for e in order}

            def work(queue=queue, seeds=seeds, lows=lows) -> None:
                while True:
                    with lock:
                        e = next(queue, None)
                        if e is None or self.clock.remaining() <= until:
                            return
                        base = self.best_grid
                        base_counts = tallies.of(base)
                        budget = min(BEST_RESPONSE_BUDGET, self.clock.remaining() - until)
                    rect = Rectangle([e], lows[e], lows[e] + width)
                    sub = SubModel(idx, base, rect, counts=base_counts, weekend_tiebreak=True)
                    if sub.infeasible:
                        continue
                    sub.add_hint(base)
                    solver, status = self.solve_move(sub, seeds[e], budget)
                    with lock:
                        self.clock.det_used += solver.deterministic_time
                        self.stats["best_responses"] = self.stats.get("best_responses", 0) + 1
                        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                            continue
                        row = sub.read(solver, base)[e]
                        if row == self.best_grid[e]:
                            continue
                        # Only this thread changes person e; the others may have moved meanwhile,
                        # so the splice is scored afresh and kept only if it is no worse.
                        grid = list(self.best_grid)
                        grid[e] = row
                        score = self.value(grid)
                        if score <= self.best:
                            tallies.spliced(self.best_grid, grid, [e])
                            self.offer(grid, "best-response", score)

            self.in_threads(work)
            if self.clock.remaining() <= until or before - self.best < BEST_RESPONSE_MIN_GAIN * before:
                return

    # -- 2. large-neighbourhood search -------------------------------------------------------
    def choose_rectangle(self, arm: str, size: float, busy: set[int]) -> Rectangle | None:
        """A rectangle of kind ``arm`` whose size grows with ``size``; avoids staff in ``busy``."""
        idx, rng = self.idx, self.rng
        H, E = idx.H, idx.E
        free = [e for e in range(E) if e not in busy]
        if len(free) < 2:
            return None
        if arm == "days":  # every (free) person over a few days: reshuffles who covers what
            width = max(2, min(H, int(size)))
            lo = rng.randrange(0, H - width + 1)
            k = min(len(free), max(4, int(40 * 7 / width)))
            staff = self.cover_driven_staff(free, lo, lo + width, k)
            return Rectangle(sorted(staff), lo, lo + width)
        if arm == "staff":  # a few people over a long stretch: moves blocks and weekends around
            width = H if H <= 56 else min(H, 56)
            k = max(2, min(len(free), int(size)))
        else:  # "week": several people over one to two weeks
            width = min(H, rng.choice((7, 10, 14)))
            k = max(2, min(len(free), int(size)))
        lo = rng.randrange(0, H - width + 1)
        return Rectangle(sorted(self.cover_driven_staff(free, lo, lo + width, k)), lo, lo + width)

    def shortfall_rectangle(self, busy: set[int]) -> Rectangle | None:
        """A person short of minutes with two others, over a long window where they can add shifts."""
        idx, rng, grid = self.idx, self.rng, self.best_grid
        short = [
            e
            for e in range(idx.E)
            if e not in busy
            and sum(idx.paid[s] for s in grid[e] if s != OFF) < idx.contracts[e].min_paid_minutes
        ]
        if not short:
            return None
        e = rng.choice(short)
        width = min(idx.H, 56)
        lo = rng.randrange(0, idx.H - width + 1)
        others = [o for o in range(idx.E) if o != e and o not in busy]
        return Rectangle(sorted([e, *rng.sample(others, min(2, len(others)))]), lo, lo + width)

    def cover_driven_staff(self, free: list[int], lo: int, hi: int, k: int) -> list[int]:
        """``k`` people, half of them able to fix a badly covered shift in [lo, hi) when there is one."""
        rng, idx, grid = self.rng, self.idx, self.best_grid
        if k >= len(free):
            return list(free)
        chosen: list[int] = []
        if rng.random() < 0.6:
            bad = []
            for d in range(lo, hi):
                for s in range(idx.S):
                    rows = idx.cover.get((d, s))
                    if rows:
                        n = sum(1 for e in range(idx.E) if grid[e][d] == s)
                        if any(n != r.requirement for r in rows):
                            bad.append((d, s, any(n < r.requirement for r in rows)))
            if bad:
                d, s, short = rng.choice(bad)
                able = [e for e in free if s in idx.allowed[e]]
                rng.shuffle(able)
                if short and WEEKEND_MATES_FIRST and idx.problem.is_weekend(d):
                    # An open weekend shift is best filled by someone already working the other
                    # day of that weekend: it costs them no weekend of their allowance.
                    mates = [m for m in idx.weekend_days[idx.problem.weekend_index(d)] if m != d]
                    able.sort(key=lambda e: not (grid[e][d] == OFF and any(grid[e][m] != OFF for m in mates)))
                chosen = able[: max(1, k // 2)]
        rest = [e for e in free if e not in chosen]
        chosen += rng.sample(rest, min(len(rest), k - len(chosen)))
        return chosen

    def lns(self, until: float, repair_reserve: float = 0.0, stall_moves: int | None = None) -> bool:
        """Improve ``best_grid`` until ``until`` seconds remain; True if it stopped earlier
        because ``stall_moves`` moves in a row brought no strict improvement.

        With two or more workers, two threads each run single-worker CP-SAT moves on rectangles
        with disjoint staff (CP-SAT releases the GIL while it searches); a result is spliced into
        the current best roster only if none of its staff changed meanwhile, which keeps every
        hard rule (they are all per person) intact.
        """
        idx = self.idx
        H = idx.H
        if self.arms is None:  # kept from one call to the next: sizes and success rates carry on
            self.arms = {
                "week": {"size": 6.0, "lo": 2.0, "hi": float(idx.E)},
                "staff": {"size": 2.0, "lo": 2.0, "hi": float(idx.E)},
                "days": {"size": 4.0, "lo": 2.0, "hi": float(min(H, 28))},
            }
            self.arm_tried = dict.fromkeys(self.arms, 0)
            self.arm_won = dict.fromkeys(self.arms, 0)
        arms, tried, won = self.arms, self.arm_tried, self.arm_won
        weights = {"week": 0.45, "staff": 0.35, "days": 0.2}
        won_before = dict(won)
        lock = threading.Lock()
        version = [0] * idx.E
        busy: set[int] = set()
        soft = self.best >= SHORTFALL_COST
        stale = self.lns_stale
        tallies = _CoverTallies(idx)
        stalled = [False]

        def one_move() -> bool:
            with lock:
                stop = until + (repair_reserve if self.best >= SHORTFALL_COST else 0.0)
                if self.clock.remaining() <= stop + 0.02:
                    return False
                if self.lower_bound is not None and self.best <= self.lower_bound:
                    return False
                if stall_moves is not None and stale[0] >= stall_moves:
                    stalled[0] = True
                    return False
                # Half the draws by the fixed shares, half by each kind's success rate so far.
                # Paired 60 s runs against fixed shares only (seeds 0-1): 13 2886/3196,
                # 2604/2790; 19 4029/4155, 4140/4238; 12 4190/4293, 4302/4291; 15 5255/5368,
                # 4951/5154.
                rate = {a: (won[a] + 1) / (tried[a] + 2) for a in weights}
                total = sum(rate.values())
                mix = [0.5 * weights[a] + 0.5 * rate[a] / total for a in weights]
                arm = self.rng.choices(list(weights), weights=mix)[0]
                params = arms[arm]
                rect = self.choose_rectangle(arm, params["size"], busy)
                if rect is not None and self.best >= SHORTFALL_COST and self.rng.random() < 0.5:
                    rect = self.shortfall_rectangle(busy) or rect
                if rect is None:
                    return True
                base = self.best_grid
                base_counts = tallies.of(base)
                busy.update(rect.staff)
                started = {e: version[e] for e in rect.staff}
                seed = self.rng.randrange(1 << 30)
                # A search stuck at one roster gets longer moves: the large rectangles it then
                # draws are rarely solved to optimality in the base budget.
                escalate = min(MOVE_ESCALATION_MAX, 2 ** (stale[0] // MOVE_STALE_STEP))
                budget = min(MOVE_BUDGET * escalate, self.clock.remaining() - stop)
                stale[0] += 1
            try:
                sub = SubModel(
                    idx,
                    base,
                    rect,
                    soft_minimum=SOFT_MINIMUM_COST if soft else 0,
                    counts=base_counts,
                    weekend_tiebreak=True,
                )
                if sub.infeasible:
                    return True
                sub.add_hint(base)
                solver, status = self.solve_move(sub, seed, budget)
                with lock:
                    self.clock.det_used += solver.deterministic_time
                    self.stats["lns_moves"] += 1
                    tried[arm] += 1
                    spent = solver.deterministic_time if self.clock.deterministic else solver.wall_time
                    if status == cp_model.OPTIMAL and spent < 0.5 * budget:
                        params["size"] = min(params["hi"], params["size"] * 1.15 + 0.2)
                    elif status != cp_model.OPTIMAL:
                        params["size"] = max(params["lo"], params["size"] * 0.85)
                    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                        return True
                    if any(version[e] != started[e] for e in rect.staff):
                        return True
                    grid = [row for row in self.best_grid]
                    solved = sub.read(solver, base)
                    for e in rect.staff:
                        grid[e] = solved[e]
                    score = self.value(grid)
                    if score < self.best:
                        stale[0] = 0
                        won[arm] += 1
                    if score <= self.best:
                        changed = [e for e in rect.staff if grid[e] != self.best_grid[e]]
                        for e in changed:
                            version[e] += 1
                        tallies.spliced(self.best_grid, grid, changed)
                        if self.offer(grid, "lns", score):
                            self.stats["lns_improving"] += 1
                return True
            finally:
                with lock:
                    busy.difference_update(rect.staff)

        def loop() -> None:
            while one_move():
                pass

        self.in_threads(loop)
        self.stats["lns_sizes"] = {a: round(v["size"], 1) for a, v in arms.items()}
        by_arm = self.stats.setdefault("improving_by_arm", {})
        for a, n in won.items():
            if n > won_before[a]:
                by_arm[a] = by_arm.get(a, 0) + n - won_before[a]
        return stalled[0]

    def polish(self) -> None:
        """Escape a stalled search: column generation from the current roster, then HiGHS
        branch-and-bound over the columns (one schedule per person). On Instance6, a roster
        stalled at 2043 for 40 s became 1955 in 13 s this way."""
        from . import columns

        clock = self.clock
        pool, bound, _lp, _stats = columns.generate(
            self.idx,
            self.best_grid,
            deadline=time.monotonic() + POLISH_SHARE * clock.remaining(),
            workers=self.workers,
            seed=self.seed + 1,
        )
        if bound is not None:
            self.lower_bound = max(self.lower_bound or bound, bound)
        grid = columns.restricted_master_milp(
            self.idx, pool, self.best_grid, time_limit=POLISH_SHARE * clock.remaining()
        )
        self.stats["polish_rounds"] = self.stats.get("polish_rounds", 0) + 1
        if grid is not None and not self.shortfall(grid):
            self.offer(grid, "polish")

    def branch_and_price(self, pool, deadline: float) -> bool:
        """Branch-and-price from the converged pool until ``deadline``; True if it proved the
        best roster optimal."""
        from . import branching

        grid, proven, st = branching.branch_and_price(
            self.idx,
            pool,
            self.best,
            deadline=deadline,
            workers=self.workers,
            seed=self.seed,
            on_roster=lambda g: self.offer(g, "branch-and-price"),
        )
        self.stats.update(st)
        if grid is not None:
            self.offer(grid, "branch-and-price")
        if proven:
            self.lower_bound = max(self.lower_bound or 0, self.best)
        return proven

    # -- column generation: lower bound and a dived roster --------------------------------
    def column_generation(self, cg_until: float, dive_until: float) -> bool:
        """Run pricing until ``cg_until`` seconds remain; then, until ``dive_until`` remain,
        where the LP converged (or nearly): CP-SAT over the LP's support in slices while they
        improve, then branch-and-price if the best roster is within ``BRANCH_MAX_GAP`` of the
        bound; where it did not: the dive.

        Skipped (returns early) when one pricing round would eat more than 1/CG_PROBE_ROUNDS of the
        column-generation budget: then large-neighbourhood search is the better use of time.
        """
        from . import columns

        clock = self.clock
        budget = clock.remaining() - cg_until
        if budget <= 0:
            return False
        pool = columns.ColumnPool(self.idx)
        for e in range(self.idx.E):
            pool.add(e, tuple(self.best_grid[e]))
        t0 = time.monotonic()
        _, mu, pi, _x = pool.solve_master()
        master = time.monotonic() - t0
        # A round prices every person: the median of three people's pricing times, since one
        # alone ranged 0.01-0.04 s on Instance12 and flipped the decision from run to run.
        times = []
        for e in sorted({0, self.idx.E // 2, self.idx.E - 1}):
            probe = columns.Pricer(self.idx, pool, e)
            t0 = time.monotonic()
            probe.price(pi, float(mu[e]), 0.5, self.seed)
            times.append(time.monotonic() - t0)
        per_round = master + sorted(times)[len(times) // 2] * self.idx.E / self.workers
        self.stats["cg_round_estimate"] = round(per_round, 3)
        if per_round > budget / CG_PROBE_ROUNDS:
            return False

        def on_bound(lb: int) -> None:
            self.lower_bound = max(self.lower_bound or lb, lb)

        deadline = time.monotonic() + budget
        pool, bound, lp, st = columns.generate(
            self.idx,
            self.best_grid,
            deadline=deadline,
            workers=self.workers,
            seed=self.seed,
            on_bound=on_bound,
            extend_to=time.monotonic() + clock.remaining() - CG_LONG_UNTIL * clock.limit,
            extend_rounds=CG_LONG_ROUNDS,
            known=self.rows_seen,
            abandon_rounds=CG_LONG_ROUNDS,
        )
        self.stats.update(st)
        # Polishing re-runs column generation from the stalled roster: worth it only where the
        # first run converged quickly (Instance8 needs 23-36 s; polishing it cost search time).
        self.columns_viable = time.monotonic() - (deadline - budget) <= POLISH_MAX_CG_SHARE * clock.limit
        if self.lower_bound is not None and self.best <= self.lower_bound:
            return True
        near = bound is not None and lp - bound <= SUPPORT_MAX_GAP * abs(lp)
        if st["cg_converged"] or near:
            # CP-SAT over the LP's support in slices, for as long as each slice improves on the
            # best roster: on 12 it gains for 15 s, on 6 and 7 it has its roster within the
            # first slice and then found nothing in the 30 s it used to keep.
            while True:
                before = self.best
                grid = columns.support_roster(
                    self.idx,
                    pool,
                    self.best_grid,
                    time_limit=min(SUPPORT_SHARE * clock.limit, clock.remaining()),
                    workers=self.workers,
                    seed=self.seed,
                    deterministic=self.clock.deterministic,
                    stop_at=self.lower_bound,
                )
                if grid is not None and not self.shortfall(grid):
                    self.stats["support_objective"] = self.idx.score(grid)
                    self.offer(grid, "lp-support")
                at_bound = self.lower_bound is not None and self.best <= self.lower_bound
                if at_bound or self.best >= before or clock.remaining() <= dive_until:
                    break
            if at_bound:
                return True
            close = self.best - (self.lower_bound or 0) <= BRANCH_MAX_GAP * self.best
            if st["cg_converged"] and close and clock.remaining() > dive_until:
                return self.branch_and_price(pool, deadline=time.monotonic() + clock.remaining() - dive_until)
            return False
        # Abandoned (20 rounds at its pace would not fit in its time), the LP is far from
        # converged and so is a dive from it: Instance15 dived to 6,646 from a roster of 6,289 in
        # 24 s. Paired runs there (seeds 0-3), abandoning / diving: 4,731 / 5,032, 4,944 / 4,483,
        # 4,848 / 5,142, 4,661 / 4,942.
        if st["cg_abandoned"] or clock.remaining() <= dive_until:
            return False
        dive_deadline = time.monotonic() + max(0.0, clock.remaining() - dive_until)
        grid = columns.dive(self.idx, pool, deadline=dive_deadline, workers=self.workers, seed=self.seed)
        if grid is not None:
            self.stats["dive_objective"] = self.idx.score(grid)
            self.offer(grid, "dive")
        return self.lower_bound is not None and self.best <= self.lower_bound

    # -- 3. the full model ------------------------------------------------------------------
    def full_model(self, budget: float) -> bool:
        """Solve the whole model hinted with the best roster; True if optimality was proven."""
        idx = self.idx
        sub = SubModel(
            idx,
            self.best_grid or [[OFF] * idx.H for _ in range(idx.E)],
            Rectangle(list(range(idx.E)), 0, idx.H),
        )
        if self.best_grid is not None:
            sub.add_hint(self.best_grid)
        search = self

        class Improving(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self):
                grid = sub.read(self, search.best_grid or [[OFF] * idx.H for _ in range(idx.E)])
                search.offer(grid, "full")

        solver, status = self.run_cp(sub, budget, callback=Improving())
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.offer(sub.read(solver, self.best_grid), "full")
            bound = int(round(solver.BestObjectiveBound())) + idx.on_weight_total
            self.lower_bound = max(self.lower_bound or 0, bound)
        elif status == cp_model.INFEASIBLE:
            self.stats["full_model_infeasible"] = True
        return status == cp_model.OPTIMAL


def _one_more(idx: ProblemIndex, d: int, s: int, count: int) -> float:
    """What one more person on shift ``s`` of day ``d`` does to the cover, with ``count`` there
    already: the under-cover weight while short (raised by ``WEEKEND_SHORT_BONUS`` on a weekend),
    minus the over-cover weight once met."""
    rows = idx.cover.get((d, s))
    if not rows:
        return -1.0
    if count < max(r.requirement for r in rows):
        under = float(max(r.under for r in rows))
        return under * (1 + WEEKEND_SHORT_BONUS) if idx.problem.is_weekend(d) else under
    return -float(max(1, min(r.over for r in rows)))


def _close_open_blocks(idx: ProblemIndex, grid: Grid, rect: Rectangle) -> Grid:
    """``grid`` with the rectangle off, except that a work block left shorter than the minimum at
    the rectangle's start is continued to that minimum: a valid hint for a chunk's solve."""
    hint = [list(r) for r in grid]
    for e in rect.staff:
        row = hint[e]
        for d in range(rect.lo, rect.hi):
            row[d] = OFF
        lo = rect.lo
        if lo == 0 or row[lo - 1] == OFF:
            continue
        block = 0
        while lo - 1 - block >= 0 and row[lo - 1 - block] != OFF:
            block += 1
        need = idx.contracts[e].min_consecutive_work_days - block
        prev = row[lo - 1]
        for d in range(lo, min(rect.hi, lo + max(0, need))):
            options = [s for s in idx.day_options(e, d) if s not in idx.forbid_next[e][prev]]
            if not options:
                break
            prev = row[d] = prev if prev in options else options[0]
    return hint


def _prefix_problem(problem: Problem, end: int) -> Problem:
    """Days 0..end-1 of ``problem`` with the horizon-wide limits scaled to that share (plus one long
    shift of slack), so a long horizon can be rostered chunk by chunk without running out of
    minutes, weekends or shifts of a type before the end."""
    H = problem.horizon_days
    slack = max(s.paid for s in problem.shift_types)
    staff = []
    for p in problem.staff:
        c = p.contract
        # share of the person's available days (fixed days off excluded) that falls in the prefix
        frac = max(1, end - sum(1 for d in p.days_off if d < end)) / max(1, H - len(p.days_off))
        frac = min(1.0, frac)
        contract = replace(
            c,
            min_paid_minutes=max(0, int(c.min_paid_minutes * frac) - slack),
            max_paid_minutes=None
            if c.max_paid_minutes is None
            else int(c.max_paid_minutes * frac) + slack // 2,
            max_shifts_per_type={
                s: min(n, math.ceil(n * frac) + 1) for s, n in c.max_shifts_per_type.items()
            },
            max_weekends=None
            if c.max_weekends is None
            else min(c.max_weekends, math.ceil(c.max_weekends * frac) + 1),
        )
        staff.append(replace(p, contract=contract, days_off=frozenset(d for d in p.days_off if d < end)))
    return replace(
        problem,
        horizon_days=end,
        staff=tuple(staff),
        cover=tuple(c for c in problem.cover if c.day < end),
        shift_on_requests=tuple(r for r in problem.shift_on_requests if r.day < end),
        shift_off_requests=tuple(r for r in problem.shift_off_requests if r.day < end),
        pinned=tuple(p for p in problem.pinned if p.day < end),
    )


def _column_generation_runs(idx: ProblemIndex, deterministic: bool) -> bool:
    """Whether column generation may run: horizons up to eight weeks, and not in the
    deterministic (one-worker) mode, since it prices people in parallel against wall-clock
    deadlines."""
    return idx.H <= CG_MAX_DAYS and not deterministic


def _shift_var_count(idx: ProblemIndex) -> int:
    return sum(len(a) for a in idx.allowed) * idx.H


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    hint: Roster | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SolveResult:
    """Best roster found within ``time_limit`` seconds; see the module docstring."""
    validate(problem)
    idx = ProblemIndex(problem)
    search = _Search(problem, idx, time_limit, workers, seed, on_progress)
    if hint is not None and not evaluate(problem, hint).violations:
        search.offer(idx.to_grid(hint), "hint")
    else:
        t = time.monotonic()
        grid = search.construct()
        search.stats["construct_seconds"] = round(time.monotonic() - t, 3)
        if grid is None:  # not proven infeasible: the start could not be built in time
            return SolveResult("unknown", None, None, None, search.stats)
        search.offer(grid, "construct")
    search.mark("cells")
    search.cell_moves(CELLS_START_SHARE)
    search.mark("best-responses")
    search.best_responses(until=BEST_RESPONSE_UNTIL * time_limit)
    search.cell_moves(CELLS_SHARE)
    optimal = False
    small = _shift_var_count(idx) <= FULL_MODEL_MAX_VARS and idx.H <= 56
    if small:
        # Small instances are often proved optimal outright by CP-SAT on the full model.
        search.mark("full")
        optimal = search.full_model(min(search.clock.remaining(), 0.1 * time_limit))
    if (
        not optimal
        and _column_generation_runs(idx, search.clock.deterministic)
        and search.clock.remaining() > 0.3 * time_limit
    ):
        search.mark("columns")
        optimal = search.column_generation(cg_until=CG_UNTIL * time_limit, dive_until=DIVE_UNTIL * time_limit)
    if not optimal:
        search.mark("search")
        polishes = 0
        idle_cell_rounds = 0
        while True:
            may_polish = (
                search.columns_viable
                and polishes < MAX_POLISHES
                and search.clock.remaining() > POLISH_MIN_SECONDS
            )
            # Without a polish in reach, the search stops every CELLS_SLICE seconds for the cell
            # moves, which pick up at once what the CP-SAT moves left within one day's reach.
            until = 0.0
            if not may_polish and idle_cell_rounds < 2 and search.clock.remaining() > 2 * CELLS_SLICE:
                until = search.clock.remaining() - CELLS_SLICE
            stalled = search.lns(
                until=until, repair_reserve=0.15 * time_limit, stall_moves=STALL_MOVES if may_polish else None
            )
            if search.lower_bound is not None and search.best <= search.lower_bound:
                break
            if until:
                # Two rounds in a row that find nothing: the rest of the time is the search's.
                idle_cell_rounds = 0 if search.cell_moves(CELLS_SHARE) else idle_cell_rounds + 1
                continue
            if not stalled:
                break
            if search.clock.remaining() > POLISH_MIN_SECONDS:
                search.polish()
            search.lns_stale[0] = 0
            polishes += 1
    if search.shortfall(search.best_grid):
        search.close_shortfalls()
    if search.shortfall(search.best_grid):
        search.stats["shortfall_minutes"] = search.shortfall(search.best_grid)
        return SolveResult("unknown", None, None, search.lower_bound, search.stats)
    optimal = optimal or (search.lower_bound is not None and search.best <= search.lower_bound)

    roster = idx.to_roster(search.best_grid)
    evaluation = evaluate(problem, roster)
    if evaluation.violations:  # the formulation and the evaluator disagree: a bug, never hide it
        raise AssertionError(f"solver produced hard violations: {evaluation.violations[:5]}")
    lb = search.lower_bound
    if optimal:
        lb = evaluation.objective
    search.stats.update(
        time_to_best=round(search.time_to_best, 2),
        elapsed=round(search.clock.elapsed(), 2),
        deterministic_time=round(search.clock.det_used, 2),
        wall_guard_tripped=search.clock.guard_tripped,
    )
    status = "optimal" if optimal or (lb is not None and lb >= evaluation.objective) else "feasible"
    return SolveResult(status, roster, evaluation.objective, lb, search.stats)


def repair(
    problem: Problem,
    published: Roster,
    *,
    change_cost: int = 50,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> SolveResult:
    """Minimum-perturbation re-solve: the best roster for ``problem`` (changed inputs, e.g. a
    sick call as a new fixed day off or a pin) that stays as close as possible to ``published``.

    Minimises ``objective + change_cost * (number of staff-days whose assignment differs from
    the published roster)``, so a change is only made when it buys more than ``change_cost`` of
    cover or requests (with the Curtois weights, 100 per missing nurse). Cells the new rules
    make impossible are changed whatever the cost. ``stats["changes"]`` counts changed cells.
    """
    validate(problem)
    idx = ProblemIndex(problem)
    reference = idx.to_grid(published)
    search = _Search(problem, idx, time_limit, workers, seed, on_progress)
    sub = SubModel(
        idx,
        reference,
        Rectangle(list(range(idx.E)), 0, idx.H),
        reference=reference,
        change_cost=change_cost,
    )
    # Hint with the published roster minus what the new rules forbid outright.
    hint = [[s if (e, d, s) in sub.x else OFF for d, s in enumerate(row)] for e, row in enumerate(reference)]
    sub.add_hint(hint)
    solver, status = search.run_cp(sub, time_limit)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return SolveResult(name, None, None, None, {"elapsed": round(search.clock.elapsed(), 2)})
    grid = sub.read(solver, reference)
    roster = idx.to_roster(grid)
    evaluation = evaluate(problem, roster)
    if evaluation.violations:
        raise AssertionError(f"repair produced hard violations: {evaluation.violations[:5]}")
    changes = sum(1 for e in range(idx.E) for d in range(idx.H) if grid[e][d] != reference[e][d])
    stats = {"changes": changes, "elapsed": round(search.clock.elapsed(), 2)}
    if on_progress:
        on_progress(Progress(evaluation.objective, None, search.clock.elapsed(), "repair"))
    state = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return SolveResult(state, roster, evaluation.objective, None, stats)
