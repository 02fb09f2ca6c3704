"""The cover tallies the search keeps up to date move by move agree with a recount from scratch."""

import random

from carehelm.engines.rostering.index import OFF, ProblemIndex
from carehelm.engines.rostering.model import Contract, CoverRequirement, Problem, ShiftType, StaffMember


def _count_by_hand(idx, grid):
    # Straight from the definition: per cover row, the eligible people on that day and shift.
    out = {}
    for (d, s), rows in idx.cover.items():
        out[d, s] = [
            sum(1 for e in range(idx.E) if grid[e][d] == s and (row.eligible is None or e in row.eligible))
            for row in rows
        ]
    return out


def _ward() -> Problem:
    # Two cover rows on some cells (anyone, and ICU-skilled only), so eligibility is exercised.
    shifts = (ShiftType("E", 480), ShiftType("L", 480), ShiftType("N", 600))
    staff = tuple(
        StaffMember(f"n{i}", Contract(), skills=frozenset({"icu"}) if i % 3 == 0 else frozenset())
        for i in range(9)
    )
    cover = []
    for d in range(14):
        for s in ("E", "L", "N"):
            cover.append(CoverRequirement(d, s, 2, 100, 1))
        cover.append(CoverRequirement(d, "N", 1, 100, 1, skill="icu"))
    return Problem("ward", 14, shifts, staff, cover=tuple(cover))


def test_incremental_counts_match_a_recount_after_random_changes():
    idx = ProblemIndex(_ward())
    rng = random.Random(7)
    grid = [[rng.choice([OFF, *idx.allowed[e]]) for _d in range(idx.H)] for e in range(idx.E)]
    counts = idx.cover_counts(grid)
    assert counts == _count_by_hand(idx, grid)
    for _ in range(20):
        people = rng.sample(range(idx.E), 3)
        new = list(grid)
        for e in people:
            new[e] = [rng.choice([OFF, *idx.allowed[e]]) if rng.random() < 0.3 else s for s in grid[e]]
        before = {k: list(v) for k, v in counts.items()}
        updated = idx.recount(counts, grid, new, people)
        assert counts == before  # the old tallies are left as they were
        assert updated == _count_by_hand(idx, new)
        grid, counts = new, updated
