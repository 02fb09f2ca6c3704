"""Integer-indexed tables of a :class:`Problem`, the shape the solver works on.

Staff, days and shift types become 0-based integers; a roster is ``list[list[int]]`` with ``OFF``
(-1) for a day off. :func:`score` computes the objective of such a roster quickly (the solver's
own bookkeeping; :mod:`.evaluate` is the independent check).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Problem, Roster, rest_forbidden_successions

OFF = -1
Grid = list[list[int]]


@dataclass
class CoverRow:
    requirement: int
    under: int
    over: int
    eligible: frozenset[int] | None  # staff indexes holding the skill; None = everyone counts


def succession_cliques(forbid_next: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """The forbidden successions as cliques: for each distinct set T of shifts that some shift
    forbids the next day, (every shift whose forbidden set contains T, T). No two members of one
    clique can both be worked on a day and the next (one shift a day; each today's shift forbids
    every shift of T), so each gives one at-most-one row that covers all its pairs at once."""
    out = []
    for T in sorted({tuple(f) for f in forbid_next if f}):
        today = [s for s, f in enumerate(forbid_next) if set(T) <= set(f)]
        out.append((today, list(T)))
    return out


class ProblemIndex:
    def __init__(self, problem: Problem):
        self.problem = problem
        self.H = H = problem.horizon_days
        self.shift_ids = [s.id for s in problem.shift_types]
        self.staff_ids = [p.id for p in problem.staff]
        self.S, self.E = len(self.shift_ids), len(self.staff_ids)
        sidx = {s: i for i, s in enumerate(self.shift_ids)}
        eidx = {e: i for i, e in enumerate(self.staff_ids)}
        self.shift_index, self.staff_index = sidx, eidx
        self.paid = [s.paid for s in problem.shift_types]
        self.contracts = [p.contract for p in problem.staff]
        self.max_per_type: list[list[int | None]] = [
            [c.max_shifts_per_type.get(s) for s in self.shift_ids] for c in self.contracts
        ]
        self.allowed: list[list[int]] = [[s for s in range(self.S) if m[s] != 0] for m in self.max_per_type]

        base = {(sidx[a], sidx[b]) for a, b in problem.forbidden_successions}
        cache: dict[float, tuple] = {}
        self.forbid_next: list[list[list[int]]] = []
        self.forbid_prev: list[list[list[int]]] = []
        self.succession_cliques: list[list[tuple[list[int], list[int]]]] = []
        for c in self.contracts:
            if c.min_rest_hours not in cache:
                pairs = base | {
                    (sidx[a], sidx[b])
                    for a, b in rest_forbidden_successions(problem.shift_types, c.min_rest_hours)
                }
                nxt = [sorted(b for a, b in pairs if a == s) for s in range(self.S)]
                prv = [sorted(a for a, b in pairs if b == s) for s in range(self.S)]
                cache[c.min_rest_hours] = (nxt, prv, succession_cliques(nxt))
            self.forbid_next.append(cache[c.min_rest_hours][0])
            self.forbid_prev.append(cache[c.min_rest_hours][1])
            self.succession_cliques.append(cache[c.min_rest_hours][2])

        # pinned[e][d]: None (free), OFF or a shift index.
        self.pinned: list[list[int | None]] = [[None] * H for _ in range(self.E)]
        for pin in problem.pinned:
            self.pinned[eidx[pin.staff_id]][pin.day] = OFF if pin.shift_id is None else sidx[pin.shift_id]
        self.days_off = [p.days_off for p in problem.staff]

        self.on_requests: list[dict[tuple[int, int], int]] = [{} for _ in range(self.E)]
        self.off_requests: list[dict[tuple[int, int], int]] = [{} for _ in range(self.E)]
        for r in problem.shift_on_requests:
            key = (r.day, sidx[r.shift_id])
            self.on_requests[eidx[r.staff_id]][key] = (
                self.on_requests[eidx[r.staff_id]].get(key, 0) + r.weight
            )
        for r in problem.shift_off_requests:
            key = (r.day, sidx[r.shift_id])
            self.off_requests[eidx[r.staff_id]][key] = (
                self.off_requests[eidx[r.staff_id]].get(key, 0) + r.weight
            )
        self.on_weight_total = sum(r.weight for r in problem.shift_on_requests)

        self.cover: dict[tuple[int, int], list[CoverRow]] = {}
        for c in problem.cover:
            eligible = None
            if c.skill is not None:
                eligible = frozenset(i for i, p in enumerate(problem.staff) if c.skill in p.skills)
            self.cover.setdefault((c.day, sidx[c.shift_id]), []).append(
                CoverRow(c.requirement, c.under_weight, c.over_weight, eligible)
            )

        self.weekend_days: dict[int, list[int]] = {}
        self.week_days: dict[int, list[int]] = {}
        for d in range(H):
            if problem.is_weekend(d):
                self.weekend_days.setdefault(problem.weekend_index(d), []).append(d)
            self.week_days.setdefault(problem.week_index(d), []).append(d)

    def day_options(self, e: int, d: int) -> list[int]:
        """Shift indexes staff ``e`` may work on day ``d`` before any succession rule."""
        pin = self.pinned[e][d]
        if pin is not None:
            return [] if pin == OFF else [pin]
        if d in self.days_off[e]:
            return []
        return self.allowed[e]

    def to_grid(self, roster: Roster) -> Grid:
        return [
            [OFF if s is None else self.shift_index[s] for s in roster.get(eid, [None] * self.H)]
            for eid in self.staff_ids
        ]

    def to_roster(self, grid: Grid) -> Roster:
        return {
            eid: [None if s == OFF else self.shift_ids[s] for s in row]
            for eid, row in zip(self.staff_ids, grid, strict=True)
        }

    def cover_counts(self, grid: Grid) -> dict[tuple[int, int], list[int]]:
        """For each cover cell (day, shift), how many eligible people ``grid`` puts on it, one
        count per cover row (in the order of ``cover[(day, shift)]``)."""
        counts = {key: [0] * len(rows) for key, rows in self.cover.items()}
        cover = self.cover
        for e in range(self.E):
            for d, s in enumerate(grid[e]):
                if s == OFF:
                    continue
                rows = cover.get((d, s))
                if rows:
                    tally = counts[d, s]
                    for i, row in enumerate(rows):
                        if row.eligible is None or e in row.eligible:
                            tally[i] += 1
        return counts

    def recount(self, counts, old: Grid, new: Grid, people) -> dict[tuple[int, int], list[int]]:
        """:meth:`cover_counts` of ``new``, given those of ``old`` and the people whose rows differ
        (a copy: ``counts`` itself is left as it was)."""
        out = dict(counts)
        for e in people:
            for d, (was, now) in enumerate(zip(old[e], new[e], strict=True)):
                if was == now:
                    continue
                for s, step in ((was, -1), (now, 1)):
                    rows = self.cover.get((d, s)) if s != OFF else None
                    if not rows:
                        continue
                    tally = out[d, s] = list(out[d, s]) if out[d, s] is counts[d, s] else out[d, s]
                    for i, row in enumerate(rows):
                        if row.eligible is None or e in row.eligible:
                            tally[i] += step
        return out

    def score(self, grid: Grid) -> int:
        """Objective of ``grid``: request penalty plus weighted under- and over-cover."""
        total = 0
        for e in range(self.E):
            row = grid[e]
            for (d, s), w in self.on_requests[e].items():
                if row[d] != s:
                    total += w
            for (d, s), w in self.off_requests[e].items():
                if row[d] == s:
                    total += w
        # Not cover_counts(): this runs after every move, and one tally per (day, shift) for the
        # rows open to everyone is five times faster on Instance24 than per-row eligibility checks.
        counts = [[0] * self.S for _ in range(self.H)]
        for e in range(self.E):
            for d, s in enumerate(grid[e]):
                if s != OFF:
                    counts[d][s] += 1
        for (d, s), rows in self.cover.items():
            for row in rows:
                if row.eligible is None:
                    n = counts[d][s]
                else:
                    n = sum(1 for e in row.eligible if grid[e][d] == s)
                total += row.under * max(0, row.requirement - n) + row.over * max(0, n - row.requirement)
        return total
