"""Cell moves: a fast local search over single days of single people, no CP-SAT.

On the long instances the search is short of moves, not of ideas: after the constructive start
of Instance24 (364 days, 150 people) hundreds of under-covered shifts could each be fixed by one
person changing one day, but a CP-SAT move costs a quarter of a second and a minute holds about
two hundred of them. These moves cost microseconds. :class:`CellSearch` keeps the cover counts
and each person's totals (paid minutes, shifts per type, weekends worked) up to date and checks
only what a changed day can break (successions either side, the work and off blocks around it,
its week and weekend, the totals), so every roster it returns keeps every hard rule its start
kept. Moves, each taken as soon as it lowers the objective:

- change one day of one person to another shift or to off (fills an under-covered shift from
  an over-covered one or from a day off, drops an over-covered shift, grants a request);
- the same plus the opposite change on another day of that person: work a short shift here and
  give up an over-covered one there, which keeps the paid minutes of a person at their maximum;
- a person at their most weekends works a short weekend shift and gives up a weekend where
  they are over-covered (as many days given up as taken on: paid windows are narrow);
- a chain of two people on one day: one moves from a shift that is exactly covered to an
  under-covered one and another, off that day or on an over-covered shift, takes their place.
"""

from __future__ import annotations

import random
import time

from .construct import block_keeps_rules
from .index import OFF, Grid, ProblemIndex

# Second days tried per first day in the two-day moves (drawn at random from the candidates).
PAIR_TRIES = 12


class CellSearch:
    def __init__(self, idx: ProblemIndex, grid: Grid, rng: random.Random):
        self.idx, self.rng = idx, rng
        problem = idx.problem
        self.g = [list(r) for r in grid]
        self.counts = idx.cover_counts(self.g)
        self.objective = idx.score(self.g)
        E, H, S = idx.E, idx.H, idx.S
        self.week_of = [problem.week_index(d) for d in range(H)]
        self.weekend_of = [problem.weekend_index(d) if problem.is_weekend(d) else None for d in range(H)]
        self.forbid = [[frozenset(f) for f in per] for per in idx.forbid_next]
        self.allowed = [frozenset(a) for a in idx.allowed]
        self.paid = [sum(idx.paid[s] for s in row if s != OFF) for row in self.g]
        self.types = [[0] * S for _ in range(E)]
        for e, row in enumerate(self.g):
            for s in row:
                if s != OFF:
                    self.types[e][s] += 1
        self.weekends = [
            sum(1 for days in idx.weekend_days.values() if any(row[d] != OFF for d in days)) for row in self.g
        ]
        # Requests by person and day: [(shift, weight)] for on and off requests.
        self.on_day: list[dict[int, list[tuple[int, int]]]] = [{} for _ in range(E)]
        self.off_day: list[dict[int, list[tuple[int, int]]]] = [{} for _ in range(E)]
        for e in range(E):
            for (d, s), w in idx.on_requests[e].items():
                self.on_day[e].setdefault(d, []).append((s, w))
            for (d, s), w in idx.off_requests[e].items():
                self.off_day[e].setdefault(d, []).append((s, w))
        self.tries = 0
        self.deadline, self.max_tries = 0.0, 0

    # -- objective deltas ----------------------------------------------------------------------
    def _cover_delta(self, e: int, d: int, s: int, step: int) -> int:
        rows = self.idx.cover.get((d, s))
        if not rows:
            return 0
        tally = self.counts[d, s]
        delta = 0
        for i, row in enumerate(rows):
            if row.eligible is not None and e not in row.eligible:
                continue
            n = tally[i]
            if step > 0:
                delta += row.over if n >= row.requirement else -row.under
            else:
                delta += -row.over if n > row.requirement else row.under
        return delta

    def _request_penalty(self, e: int, d: int, s: int) -> int:
        pen = 0
        for t, w in self.on_day[e].get(d, ()):
            if t != s:
                pen += w
        for t, w in self.off_day[e].get(d, ()):
            if t == s:
                pen += w
        return pen

    def delta(self, e: int, d: int, new: int) -> int:
        old = self.g[e][d]
        if old == new:
            return 0
        out = 0
        if old != OFF:
            out += self._cover_delta(e, d, old, -1)
        if new != OFF:
            out += self._cover_delta(e, d, new, +1)
        if self.on_day[e] or self.off_day[e]:
            out += self._request_penalty(e, d, new) - self._request_penalty(e, d, old)
        return out

    # -- hard rules ----------------------------------------------------------------------------
    def _run_ok(self, e: int, x: int) -> bool:
        """Whether the block of working or off days through day ``x`` keeps the block rules."""
        row, H = self.g[e], self.idx.H
        work = row[x] != OFF
        a = x
        while a > 0 and (row[a - 1] != OFF) == work:
            a -= 1
        b = x + 1
        while b < H and (row[b] != OFF) == work:
            b += 1
        return block_keeps_rules(self.idx.contracts[e], work, b - a, a > 0 and b < H)

    def _fits(self, e: int, changes: list[tuple[int, int, int]]) -> bool:
        """Whether person ``e``'s row, which already holds the ``changes`` (day, old, new), keeps
        every hard rule, given that it did before them."""
        idx, row, H = self.idx, self.g[e], self.idx.H
        c = idx.contracts[e]
        forbid = self.forbid[e]
        dpaid = 0
        flips = []
        for d, old, new in changes:
            pin = idx.pinned[e][d]
            if new == OFF:
                if pin is not None and pin != OFF:
                    return False
            else:
                if pin is not None:
                    if pin != new:
                        return False
                elif new not in self.allowed[e] or d in idx.days_off[e]:
                    return False
                if d > 0 and row[d - 1] != OFF and new in forbid[row[d - 1]]:
                    return False
                if d + 1 < H and row[d + 1] != OFF and row[d + 1] in forbid[new]:
                    return False
                dpaid += idx.paid[new]
                cap = idx.max_per_type[e][new]
                if (
                    cap is not None
                    and self.types[e][new] + sum((n == new) - (o == new) for _, o, n in changes) > cap
                ):
                    return False
            if old != OFF:
                dpaid -= idx.paid[old]
            if (old == OFF) != (new == OFF):
                flips.append(d)
        paid = self.paid[e] + dpaid
        if paid < c.min_paid_minutes or (c.max_paid_minutes is not None and paid > c.max_paid_minutes):
            return False
        if c.max_paid_minutes_per_week is not None or c.min_paid_minutes_per_week:
            for w in {self.week_of[d] for d, _, _ in changes}:
                days = idx.week_days[w]
                week = sum(idx.paid[row[x]] for x in days if row[x] != OFF)
                if c.max_paid_minutes_per_week is not None and week > c.max_paid_minutes_per_week:
                    return False
                if len(days) == 7 and week < c.min_paid_minutes_per_week:
                    return False
        if not flips:
            return True
        if c.max_weekends is not None:
            ends = {self.weekend_of[d] for d in flips} - {None}
            before = {d: old for d, old, _ in changes}
            if ends and self._weekends_after(e, ends, before) > c.max_weekends:
                return False
        seen = set()
        for d in flips:
            for x in (d - 1, d, d + 1):
                if 0 <= x < H and x not in seen:
                    seen.add(x)
                    if not self._run_ok(e, x):
                        return False
        return True

    def _weekends_after(self, e: int, ends: set[int], before: dict[int, int]) -> int:
        """Weekends worked by ``e`` with the row as it stands, from the count before the change
        (``self.weekends``), the weekends in ``ends`` (the only ones it touched) and ``before``,
        the changed days' shifts before it."""
        row, idx = self.g[e], self.idx
        total = self.weekends[e]
        for w in ends:
            now = any(row[x] != OFF for x in idx.weekend_days[w])
            was = any(before.get(x, row[x]) != OFF for x in idx.weekend_days[w])
            total += now - was
        return total

    # -- applying ------------------------------------------------------------------------------
    def try_move(self, e: int, changes: list[tuple[int, int]], gain_below: int = 0) -> bool:
        """Apply ``changes`` [(day, new shift)] to person ``e`` if they lower the objective by
        more than ``-gain_below`` and keep every hard rule; True if applied."""
        self.tries += 1
        row = self.g[e]
        delta = 0
        full = []
        for d, new in changes:
            delta += self.delta(e, d, new)  # days differ, so the deltas add up
            full.append((d, row[d], new))
        if delta >= gain_below:
            return False
        for d, _, new in full:
            row[d] = new
        if not self._fits(e, full):
            for d, old, _ in full:
                row[d] = old
            return False
        self._commit(e, full)
        self.objective += delta
        return True

    def _commit(self, e: int, full: list[tuple[int, int, int]]) -> None:
        """Bring the tallies up to date with the changes ``full`` (day, old, new), which person
        ``e``'s row already holds."""
        idx = self.idx
        ends = set()
        for d, old, new in full:
            for s, step in ((old, -1), (new, 1)):
                if s == OFF:
                    continue
                self.paid[e] += step * idx.paid[s]
                self.types[e][s] += step
                rows = idx.cover.get((d, s))
                if rows:
                    tally = self.counts[d, s]
                    for i, r in enumerate(rows):
                        if r.eligible is None or e in r.eligible:
                            tally[i] += step
            if self.weekend_of[d] is not None:
                ends.add(self.weekend_of[d])
        if ends:
            self.weekends[e] = self._weekends_after(e, ends, {d: old for d, old, _ in full})

    # -- the search ----------------------------------------------------------------------------
    def _short(self, d: int, s: int) -> bool:
        return any(n < r.requirement for n, r in zip(self.counts[d, s], self.idx.cover[d, s], strict=True))

    def _surplus(self, d: int, s: int) -> bool:
        rows = self.idx.cover.get((d, s))
        if not rows:
            return True
        return all(n > r.requirement for n, r in zip(self.counts[d, s], rows, strict=True))

    def _out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline or self.tries >= self.max_tries

    def run(self, deadline: float, max_tries: int | None = None) -> int:
        """Improve until no move helps, ``deadline`` (time.monotonic()) passes or ``max_tries``
        moves have been tried (a budget that replays exactly); returns the objective gained."""
        idx, rng = self.idx, self.rng
        self.deadline = deadline
        self.max_tries = self.tries + max_tries if max_tries is not None else float("inf")
        start = self.objective
        while not self._out_of_time():
            before = self.objective
            short = [key for key in idx.cover if self._short(*key)]
            rng.shuffle(short)
            for d, s in short:
                if self._out_of_time():
                    break
                if self._short(d, s):
                    self._fill(d, s)
            self._requests_and_surplus()
            if self.objective >= before:
                break
        return start - self.objective

    def _fill(self, d: int, s: int) -> bool:
        idx, g, rng = self.idx, self.g, self.rng
        people = [
            e
            for e in range(idx.E)
            if g[e][d] != s
            and s in self.allowed[e]
            and any(
                (r.eligible is None or e in r.eligible) and n < r.requirement
                for n, r in zip(self.counts[d, s], idx.cover[d, s], strict=True)
            )
        ]
        rng.shuffle(people)
        # One person, one day.
        for e in people:
            if self.try_move(e, [(d, s)]):
                return True
        # One person, two days: this one, and another given up (or made shorter).
        for e in people:
            if g[e][d] != OFF:
                continue
            gain = self.delta(e, d, s)
            if gain >= 0:
                continue
            row = g[e]
            # Days near first (a block too long or too short is fixed there), then any day
            # (paid minutes are fixed anywhere).
            near = [x for x in range(max(0, d - 6), min(idx.H, d + 7)) if row[x] != OFF]
            rng.shuffle(near)
            worked = [x for x in range(idx.H) if row[x] != OFF]
            tries = 0
            for x in near + rng.sample(worked, min(4 * PAIR_TRIES, len(worked))):
                if not self._surplus(x, row[x]):
                    continue
                if self.try_move(e, [(d, s), (x, OFF)]):
                    return True
                tries += 1
                if tries == PAIR_TRIES:
                    break
        # One person, two weekends: give up one where they are surplus for this one.
        if self.weekend_of[d] is not None:
            for e in people:
                if self._swap_weekend(e, d, s):
                    return True
        # Two people, one day: one leaves a shift for s, another takes that shift.
        for e in people:
            t = g[e][d]
            if t == OFF or self._surplus(d, t):
                continue
            takers = [
                o
                for o in range(idx.E)
                if o != e and t in self.allowed[o] and (g[o][d] == OFF or self._surplus(d, g[o][d]))
            ]
            rng.shuffle(takers)
            for o in takers[:PAIR_TRIES]:
                if self._chain(e, o, d, s, t):
                    return True
        return False

    def _swap_weekend(self, e: int, d: int, s: int) -> bool:
        """Person ``e``, at their most weekends, works ``s`` on weekend day ``d`` and gives up a
        weekend where every shift they work is over-covered. Paid windows are often narrower
        than two shifts, so the move works as many days here as it gives up there: the other day
        of this weekend joins in (on one of its three most needed shifts) when two are given up."""
        idx, row, c = self.idx, self.g[e], self.idx.contracts[e]
        if c.max_weekends is None or self.weekends[e] < c.max_weekends or row[d] != OFF:
            return False
        mine = self.weekend_of[d]
        if any(row[x] != OFF for x in idx.weekend_days[mine]):
            return False
        spare = [
            w
            for w, days in idx.weekend_days.items()
            if w != mine
            and any(row[x] != OFF for x in days)
            and all(row[x] == OFF or self._surplus(x, row[x]) for x in days)
        ]
        if not spare:
            return False
        partner = [x for x in idx.weekend_days[mine] if x != d]
        pairs = []
        for x in partner:
            ranked = sorted(self.allowed[e], key=lambda t: self.delta(e, x, t))
            pairs += [[(x, t)] for t in ranked[:3]]
        for w in self.rng.sample(spare, min(PAIR_TRIES, len(spare))):
            drop = [(x, OFF) for x in idx.weekend_days[w] if row[x] != OFF]
            extras = [[], *pairs] if len(drop) < 2 else [*pairs, []]
            for extra in extras:
                if self.try_move(e, [(d, s), *extra, *drop]):
                    return True
        return False

    def _chain(self, e: int, o: int, d: int, s: int, t: int) -> bool:
        """``e`` moves from ``t`` to ``s`` on day ``d`` and ``o`` takes ``t``: both or neither."""
        total = self.delta(e, d, s)
        if not self.try_move(e, [(d, s)], gain_below=10**15):
            return False
        total_o = self.delta(o, d, t)
        if total + total_o < 0 and self.try_move(o, [(d, t)], gain_below=10**15):
            return True
        undone = self.try_move(e, [(d, t)], gain_below=10**15)
        assert undone, "undoing a move that kept the rules must keep them"
        return False

    def _requests_and_surplus(self) -> None:
        idx, g = self.idx, self.g
        people = list(range(idx.E))
        self.rng.shuffle(people)
        for e in people:
            if self._out_of_time():
                return
            row = g[e]
            for d, wants in self.on_day[e].items():
                for s, _w in wants:
                    if row[d] != s:
                        self.try_move(e, [(d, s)])
            for d, unwanted in self.off_day[e].items():
                for s, _w in unwanted:
                    if row[d] == s:
                        if not self.try_move(e, [(d, OFF)]):
                            for t in self.allowed[e]:
                                if t != s and self.try_move(e, [(d, t)]):
                                    break
            for d in range(idx.H):
                s = row[d]
                if s != OFF and self._surplus(d, s):
                    self.try_move(e, [(d, OFF)])
