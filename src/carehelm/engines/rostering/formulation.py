"""CP-SAT formulation of a rectangle of the roster: some staff over a window of days.

Everything outside the rectangle is fixed to the current roster and enters the constraints as
constants, so the same builder gives the full model (all staff, all days), the single-person
subproblems of the constructive start and the large-neighbourhood moves.

Formulation choices (why this is stronger than one clause per rule):
- one Boolean per (person, day, allowed shift) only; days off, pins and types with a maximum of 0
  create no variable; a Boolean "works" per day equals the sum of the shift Booleans;
- successions as cliques, not pairs: for each distinct set T of shifts that some shift forbids the
  next day, ``sum(x[d,s] for s whose forbidden set contains T) + sum(x[d+1,t] for t in T) <= 1``
  (Instance13: six rows a day for its 18 shift types);
- maximum consecutive days as sliding-window sums; minimum blocks of work and of rest as the
  forbidden-pattern clauses ``off, work^l, off`` for ``l < min`` (exact, and unit-propagating);
- cover as ``n - req = over - under`` with ``under, over >= 0`` and the weights in the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from .index import OFF, Grid, ProblemIndex

# The block automaton was measured weaker than the clauses below on these instances (slower
# subproblems, no better bound); kept for experiments.
USE_AUTOMATON = False


@lru_cache(maxsize=256)
def block_automaton(max_work: int | None, min_work: int, min_off: int) -> tuple[dict, int]:
    """Deterministic automaton over "works" (1) / "off" (0) days for the block rules.

    States: ``("start",)``, ``("W", c, exempt)`` = c consecutive working days, ``("O", o, exempt)``
    = o consecutive days off (capped at ``min_off``). ``exempt`` marks a block that began on day 0,
    which the minimum-length rules exempt; blocks reaching the last day are exempt because every
    state is accepting. Returns ({(state_number, label): next_state_number}, start_number).
    """
    cap = max_work if max_work is not None else max(1, min_work)
    states: dict[tuple, int] = {}

    def sid(state: tuple) -> int:
        return states.setdefault(state, len(states))

    transitions: dict[tuple[int, int], int] = {}
    start = sid(("start",))
    todo = [("start",)]
    seen = set()
    while todo:
        st = todo.pop()
        if st in seen:
            continue
        seen.add(st)
        moves = []
        if st[0] == "start":
            moves = [(1, ("W", 1, True)), (0, ("O", 1, True))]
        elif st[0] == "W":
            _, c, ex = st
            if c + 1 <= cap:
                moves.append((1, ("W", c + 1, ex)))
            elif max_work is None:
                moves.append((1, ("W", cap, ex)))
            if ex or c >= min_work:
                moves.append((0, ("O", 1, False)))
        else:
            _, o, ex = st
            moves.append((0, ("O", min(o + 1, max(1, min_off)), ex)))
            if ex or o >= min_off:
                moves.append((1, ("W", 1, False)))
        for label, nxt in moves:
            transitions[sid(st), label] = sid(nxt)
            todo.append(nxt)
    return transitions, start


def run_automaton(transitions: dict, state: int, labels) -> int | None:
    for label in labels:
        state = transitions.get((state, label))
        if state is None:
            return None
    return state


_BOOL = Domain(0, 1)


def _new_bool(model: cp_model.CpModel) -> cp_model.IntVar:
    # The same variable as CpModel.new_bool_var(""), at two thirds of its cost (no name call):
    # the moves make them by the thousand (125,000 for 60 move models of Instance13).
    return cp_model.IntVar(model.proto).with_domain(_BOOL)


@dataclass
class Rectangle:
    staff: list[int]
    lo: int  # first day (inclusive)
    hi: int  # last day (exclusive)


class SubModel:
    """CP-SAT model of ``rect`` with the rest of ``grid`` fixed.

    ``reference`` (a grid) and ``change_cost`` add the minimum-perturbation term: each cell of
    the rectangle that differs from the reference costs ``change_cost``. ``counts`` (optional,
    :meth:`ProblemIndex.cover_counts` of ``grid``) saves scanning every person for the cover
    outside the rectangle, the slowest part of building a long, many-person model.
    ``weekend_tiebreak`` orders rosters of equal objective by their half weekends and their
    under-cover on weekends (see :meth:`_half_weekends`); the full model leaves it off, since
    its objective bound is the roster's lower bound.
    """

    def __init__(
        self,
        idx: ProblemIndex,
        grid: Grid,
        rect: Rectangle,
        *,
        reference: Grid | None = None,
        change_cost: int = 0,
        cover_weights: bool = True,
        soft_minimum: int = 0,
        counts: dict[tuple[int, int], list[int]] | None = None,
        weekend_tiebreak: bool = False,
    ):
        self.idx, self.grid, self.rect = idx, grid, rect
        self.model = m = cp_model.CpModel()
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.w: dict[tuple[int, int], cp_model.IntVar] = {}
        self.infeasible = False
        # > 0: the minimum paid minutes over the horizon becomes soft at this cost per missing
        # minute (an all-off schedule then satisfies every rule, so a start always exists).
        self.soft_minimum = soft_minimum
        self.shortfalls: list = []
        # Auxiliary variables and how to compute them from a roster, so that a hint is complete:
        # CP-SAT then starts from the hinted roster instead of searching for a first solution.
        self.cover_aux: list[tuple] = []  # (under, over, fixed count, cell variables, requirement)
        self.weekend_aux: list[tuple] = []  # (weekend variable, its "works" variables)
        self.half_aux: list[tuple] = []  # (half-weekend variable, Saturday, Sunday "works")
        self.weekend_under: list[tuple] = []  # (under-cover variable on a weekend day, its bound)
        H, lo, hi = idx.H, rect.lo, rect.hi
        objective: list = []
        coeffs: list[int] = []

        for e in rect.staff:
            row = grid[e]
            nxt, prv = idx.forbid_next[e], idx.forbid_prev[e]
            before = row[lo - 1] if lo > 0 else OFF
            after = row[hi] if hi < H else OFF
            cells: list[tuple[cp_model.IntVar, int, int]] = []  # this person's (variable, day, shift)
            for d in range(lo, hi):
                options = idx.day_options(e, d)
                if d == lo and before != OFF:
                    bad = set(nxt[before])
                    options = [s for s in options if s not in bad]
                if d == hi - 1 and after != OFF:
                    bad = set(prv[after])
                    options = [s for s in options if s not in bad]
                if idx.pinned[e][d] is not None and idx.pinned[e][d] != OFF and not options:
                    self.infeasible = True  # a pin clashes with the fixed neighbours
                vars_d = []
                for s in options:
                    v = _new_bool(m)
                    self.x[e, d, s] = v
                    vars_d.append(v)
                    cells.append((v, d, s))
                if vars_d:
                    wv = _new_bool(m)
                    self.w[e, d] = wv
                    m.add(cp_model.LinearExpr.sum(vars_d) == wv)
                    if idx.pinned[e][d] is not None and idx.pinned[e][d] != OFF:
                        m.add(wv == 1)
            self._staff_rules(e, row, cells)
            if weekend_tiebreak:
                self._half_weekends(e)

            # requests
            for (d, s), wt in idx.on_requests[e].items():
                if lo <= d < hi and (e, d, s) in self.x:
                    objective.append(self.x[e, d, s])
                    coeffs.append(-wt)
            for (d, s), wt in idx.off_requests[e].items():
                if lo <= d < hi and (e, d, s) in self.x:
                    objective.append(self.x[e, d, s])
                    coeffs.append(wt)
            if reference is not None and change_cost:
                ref = reference[e]
                for d in range(lo, hi):
                    r = ref[d]
                    if r == OFF:
                        if (e, d) in self.w:
                            objective.append(self.w[e, d])
                            coeffs.append(change_cost)
                    elif (e, d, r) in self.x:
                        objective.append(self.x[e, d, r])
                        coeffs.append(-change_cost)

        # cover
        if cover_weights:
            for d in range(lo, hi):
                for s in range(idx.S):
                    rows = idx.cover.get((d, s))
                    if not rows:
                        continue
                    for i, crow in enumerate(rows):
                        eligible = crow.eligible

                        def on_cell(people, d=d, s=s, eligible=eligible) -> int:
                            return sum(
                                1 for e in people if grid[e][d] == s and (eligible is None or e in eligible)
                            )

                        everyone = counts[d, s][i] if counts is not None else on_cell(range(idx.E))
                        fixed = everyone - on_cell(rect.staff)
                        vs = [
                            self.x[e, d, s]
                            for e in rect.staff
                            if (e, d, s) in self.x and (eligible is None or e in eligible)
                        ]
                        if not vs:
                            continue
                        under = m.new_int_var(0, max(0, crow.requirement - fixed), "")
                        over = m.new_int_var(0, max(0, fixed - crow.requirement) + len(vs), "")
                        m.add(cp_model.LinearExpr.sum(vs) + (fixed - crow.requirement) == over - under)
                        self.cover_aux.append((under, over, fixed, vs, crow.requirement))
                        if crow.under:
                            objective.append(under)
                            coeffs.append(crow.under)
                            if weekend_tiebreak and idx.problem.is_weekend(d):
                                self.weekend_under.append((under, max(0, crow.requirement - fixed)))
                        if crow.over:
                            objective.append(over)
                            coeffs.append(crow.over)
        for short in self.shortfalls:
            objective.append(short)
            coeffs.append(soft_minimum)
        self.objective_terms = (objective, coeffs)
        if self.half_aux or self.weekend_under:
            # Lexicographic: the roster's objective first, then as few half weekends and as
            # little weekend under-cover (against under-cover on weekdays) as possible.
            second = [h for h, _a, _b in self.half_aux] + [u for u, _ub in self.weekend_under]
            scale = len(self.half_aux) + sum(ub for _u, ub in self.weekend_under) + 1
            terms = [*objective, *second]
            weights = [c * scale for c in coeffs] + [1] * len(second)
            m.minimize(cp_model.LinearExpr.weighted_sum(terms, weights))
        else:
            m.minimize(cp_model.LinearExpr.weighted_sum(objective, coeffs))

    def _half_weekends(self, e: int) -> None:
        """A variable per weekend in the window that is 1 when ``e`` works only one of its days.

        Why: on these instances weekend demand is close to what the weekend maxima allow, so a
        half weekend spends a whole weekend of allowance on one day of cover. Among rosters of
        equal objective the search prefers whole weekends; the day of the week that a whole
        weekend displaces is then far easier for someone else to cover than a weekend day.
        """
        idx, m = self.idx, self.model
        if idx.contracts[e].max_weekends is None:
            return
        for days in idx.weekend_days.values():
            if len(days) != 2 or not any(self.rect.lo <= d < self.rect.hi for d in days):
                continue
            if any(not idx.day_options(e, d) for d in days):
                continue  # a fixed day off: this weekend can only ever be half
            a, b = (self._work(e, d) for d in days)
            if isinstance(a, int) and isinstance(b, int):
                continue
            h = _new_bool(m)
            m.add(h >= a - b)
            m.add(h >= b - a)
            self.half_aux.append((h, a, b))

    # value of the "works" indicator: a literal inside the rectangle, a constant outside
    def _work(self, e: int, d: int):
        if d < 0 or d >= self.idx.H:
            return 0
        if self.rect.lo <= d < self.rect.hi:
            return self.w.get((e, d), 0)
        return 1 if self.grid[e][d] != OFF else 0

    def _clause(self, literals: list) -> None:
        """Add OR(literals); literals are CP-SAT literals or Python booleans."""
        lits = []
        for lit in literals:
            if lit is True:
                return
            if lit is False:
                continue
            lits.append(lit)
        if not lits:
            self.infeasible = True
            self.model.add_bool_or([self.model.new_constant(0)])
            return
        self.model.add_bool_or(lits)

    @staticmethod
    def _pos(v):
        return v == 1 if isinstance(v, int) else v

    @staticmethod
    def _neg(v):
        return v == 0 if isinstance(v, int) else v.negated()

    def _staff_rules(self, e: int, row: list[int], cells: list[tuple[cp_model.IntVar, int, int]]) -> None:
        idx, m, rect = self.idx, self.model, self.rect
        H, lo, hi = idx.H, rect.lo, rect.hi
        c = idx.contracts[e]
        x = self.x

        # this person's shift variables by day (in shift order) and by shift type (in day order)
        by_day: dict[int, dict[int, cp_model.IntVar]] = {}
        by_type: list[list[cp_model.IntVar]] = [[] for _ in range(idx.S)]
        for v, d, s in cells:
            by_day.setdefault(d, {})[s] = v
            by_type[s].append(v)

        # successions inside the window, as cliques (see ProblemIndex.succession_cliques)
        cliques = idx.succession_cliques[e]
        for d in range(lo, hi - 1):
            today, tomorrow = by_day.get(d), by_day.get(d + 1)
            if not today or not tomorrow:
                continue
            for first, second in cliques:
                a = [today[s] for s in first if s in today]
                if a:
                    b = [tomorrow[t] for t in second if t in tomorrow]
                    if b:
                        m.add_at_most_one(a + b)

        # per-type maxima and paid minutes, with the fixed part outside the window as constants
        outside_counts = [0] * idx.S
        outside_paid = 0
        for d in range(H):
            if (d < lo or d >= hi) and row[d] != OFF:
                outside_counts[row[d]] += 1
                outside_paid += idx.paid[row[d]]
        for s in range(idx.S):
            limit = idx.max_per_type[e][s]
            if limit is None:
                continue
            vs = by_type[s]
            if vs and len(vs) > limit - outside_counts[s]:
                m.add(cp_model.LinearExpr.sum(vs) <= limit - outside_counts[s])
        paid_terms = [(v, idx.paid[s]) for v, _d, s in cells]
        if paid_terms:
            expr = cp_model.LinearExpr.weighted_sum([v for v, _ in paid_terms], [p for _, p in paid_terms])
            if c.min_paid_minutes > outside_paid:
                if self.soft_minimum:
                    short = m.new_int_var(0, c.min_paid_minutes - outside_paid, "")
                    m.add(expr + short >= c.min_paid_minutes - outside_paid)
                    self.shortfalls.append(short)
                else:
                    m.add(expr >= c.min_paid_minutes - outside_paid)
            if c.max_paid_minutes is not None:
                m.add(expr <= c.max_paid_minutes - outside_paid)
        elif (c.min_paid_minutes > outside_paid and not self.soft_minimum) or (
            c.max_paid_minutes is not None and outside_paid > c.max_paid_minutes
        ):
            self.infeasible = True

        if c.min_paid_minutes_per_week > 0 or c.max_paid_minutes_per_week is not None:
            for days in idx.week_days.values():
                if days[-1] < lo or days[0] >= hi:
                    continue
                fixed = sum(idx.paid[row[d]] for d in days if (d < lo or d >= hi) and row[d] != OFF)
                terms = [(x[e, d, s], idx.paid[s]) for d in days for s in range(idx.S) if (e, d, s) in x]
                expr = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [p for _, p in terms])
                if c.min_paid_minutes_per_week > 0:
                    m.add(expr + fixed >= c.min_paid_minutes_per_week)
                if c.max_paid_minutes_per_week is not None:
                    m.add(expr + fixed <= c.max_paid_minutes_per_week)

        work = self._work
        K = c.max_consecutive_work_days
        if USE_AUTOMATON:
            self._block_automaton(e, row)
        if K is not None and K < H:
            for a in range(max(0, lo - K), min(hi - 1, H - 1 - K) + 1):
                terms = [work(e, d) for d in range(a, a + K + 1)]
                vs = [t for t in terms if not isinstance(t, int)]
                if vs:
                    const = sum(t for t in terms if isinstance(t, int))
                    if len(vs) + const > K:
                        m.add(cp_model.LinearExpr.sum(vs) <= K - const)

        pos, neg = self._pos, self._neg
        # minimum blocks: forbid (off, work x l, off) fully inside the horizon for l < minimum
        for minimum, on_value in ((c.min_consecutive_work_days, True), (c.min_consecutive_days_off, False)):
            if minimum <= 1:
                continue
            for length in range(1, minimum):
                for b in range(max(1, lo - length), min(hi, H - length - 1) + 1):
                    if b + length < lo or b - 1 >= hi:
                        continue
                    edge = (b - 1, b + length)
                    lits = []
                    for d in edge:
                        v = work(e, d)
                        lits.append(pos(v) if on_value else neg(v))
                    for d in range(b, b + length):
                        v = work(e, d)
                        lits.append(neg(v) if on_value else pos(v))
                    if all(isinstance(lit, bool) for lit in lits):
                        continue  # wholly outside the rectangle; the fixed part is already valid
                    self._clause(lits)

        if c.max_weekends is not None:
            worked_outside = 0
            wk_vars = []
            for days in idx.weekend_days.values():
                terms = [work(e, d) for d in days]
                if any(t == 1 for t in terms if isinstance(t, int)):
                    worked_outside += 1
                    continue
                vs = [t for t in terms if not isinstance(t, int)]
                if not vs:
                    continue
                if len(vs) == 1:
                    wk_vars.append(vs[0])
                    continue
                wk = _new_bool(m)
                for v in vs:
                    m.add_implication(v, wk)
                wk_vars.append(wk)
                self.weekend_aux.append((wk, vs))
            if wk_vars and len(wk_vars) > c.max_weekends - worked_outside:
                m.add(cp_model.LinearExpr.sum(wk_vars) <= c.max_weekends - worked_outside)
            elif worked_outside > c.max_weekends:
                self.infeasible = True

    def _block_automaton(self, e: int, row: list[int]) -> None:
        """The block rules as one automaton over the window (a flow-like, tight encoding)."""
        idx, m, rect = self.idx, self.model, self.rect
        H, lo, hi = idx.H, rect.lo, rect.hi
        c = idx.contracts[e]
        transitions, start = block_automaton(
            c.max_consecutive_work_days, c.min_consecutive_work_days, c.min_consecutive_days_off
        )
        state = run_automaton(transitions, start, (1 if row[d] != OFF else 0 for d in range(lo)))
        if state is None:
            self.infeasible = True
            return
        suffix = [1 if row[d] != OFF else 0 for d in range(hi, H)]
        n_states = 1 + max(max(k[0] for k in transitions), max(transitions.values()))
        finals = [s for s in range(n_states) if run_automaton(transitions, s, suffix) is not None]
        if not finals:
            self.infeasible = True
            return
        days = [self.w.get((e, d)) for d in range(lo, hi)]
        days = [v if v is not None else m.new_constant(0) for v in days]
        m.add_automaton(days, state, finals, [(a, lab, b) for (a, lab), b in transitions.items()])

    def add_hint(self, grid: Grid) -> None:
        # Written straight into the model's hint in two bulk calls: AddHint per variable was a
        # fifth of the time to build a move's model.
        value: dict[int, int] = {}
        for (e, d, s), v in self.x.items():
            value[v.index] = 1 if grid[e][d] == s else 0
        for (e, d), v in self.w.items():
            value[v.index] = 1 if grid[e][d] != OFF else 0
        for under, over, fixed, vs, requirement in self.cover_aux:
            n = fixed + sum(value.get(v.index, 0) for v in vs)
            value[under.index] = max(0, requirement - n)
            value[over.index] = max(0, n - requirement)
        for wk, vs in self.weekend_aux:
            value[wk.index] = max(value.get(v.index, 0) for v in vs)
        for h, a, b in self.half_aux:
            va, vb = (t if isinstance(t, int) else value.get(t.index, 0) for t in (a, b))
            value[h.index] = abs(va - vb)
        hint = self.model.proto.solution_hint
        hint.vars.extend(value.keys())
        hint.values.extend(value.values())

    def read(self, solver: cp_model.CpSolver, grid: Grid) -> Grid:
        """A copy of ``grid`` with the rectangle replaced by the solver's values."""
        out = [list(r) for r in grid]
        for e in self.rect.staff:
            for d in range(self.rect.lo, self.rect.hi):
                out[e][d] = OFF
        for (e, d, s), v in self.x.items():
            if solver.BooleanValue(v):
                out[e][d] = s
        return out

    def values_from(self, values, grid: Grid) -> Grid:
        """Like :meth:`read` for a solution callback (``values`` has ``BooleanValue``)."""
        return self.read(values, grid)
