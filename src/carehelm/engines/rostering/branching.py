"""Branch-and-price over the column pool: depth-first search on single assignments.

After column generation (:func:`.columns.generate`) the master LP is a tight bound but its
solution is fractional. Each node of the tree holds a list of decisions "person e works shift s
on day d" (or is off: s = OFF) and its negation; the node's LP is the master with the columns
that break a decision held at zero, re-priced with the decisions as assumptions of each
person's pricing model, until no column prices out or the node's Lagrangian bound rules it
out. A node whose bound, rounded up, reaches the best roster's objective is pruned; a node
whose LP solution is integral is a roster. The branching cell is the one whose LP value is
closest to one half; after a run of nodes without a roster, the search restarts from the root
with other pricing seeds (see RESTART_NODES). On Instance6, from a converged pool and a roster
of 1,952: branching on the largest fractional value dived 75 levels deep and found no roster in
60 s; on the most fractional, without restarts, one run of three found 1,951 in 5 s and 1,950,
the optimum, in 24 s, and finished the tree, proving it, at 27.6 s; the other two found 1,951
in 7 s.

When the tree is exhausted within the time and every pruned node was bounded by a converged
LP or a Lagrangian bound, the best roster is optimal. Not part of the public API.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .columns import ColumnPool, Pricer
from .index import OFF, Grid, ProblemIndex

# Nodes without a new roster before the search starts a fresh tree with other pricing seeds; the
# allowance doubles at each restart, so a tree that can be finished is finished in the end. From
# the same pool and a 1,952 roster on Instance6, 25 s each, seeds 0-2: with restarts 1,951,
# 1,950 (proven optimal) and 1,950 (proven); without, nothing, nothing and 1,950 (proven).
RESTART_NODES = 30
NODE_ROUNDS = 10  # pricing rounds per node at most; a node cut short is bounded by its Lagrangian
PRICING_TIME = 0.5  # deterministic seconds per person and round


class _Tree:
    def __init__(self, idx: ProblemIndex, pool: ColumnPool, workers: int, seed: int):
        self.idx, self.pool, self.seed = idx, pool, seed
        self.pricers = [Pricer(idx, pool, e) for e in range(idx.E)]
        self.requirements = pool.rhs()[idx.E :]
        self.decisions: list[tuple[int, int, int, bool]] = []  # (person, day, shift, holds)
        self.executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self.nodes = 0

    def banned(self) -> set[tuple[int, tuple[int, ...]]]:
        """The pool's columns that break a decision of the current node."""
        must: dict[tuple[int, int], int] = {}
        never: set[tuple[int, int, int]] = set()
        for e, d, s, holds in self.decisions:
            if holds:
                must[e, d] = s
            else:
                never.add((e, d, s))
        out = set()
        for e, sched in self.pool.columns:
            for d, s in enumerate(sched):
                if (e, d, s) in never or must.get((e, d), s) != s:
                    out.add((e, sched))
                    break
        return out

    def _price(self, e: int, pi: np.ndarray, mu: float, seed: int):
        pricer = self.pricers[e]
        if not pricer.assume([(d, s, holds) for p, d, s, holds in self.decisions if p == e]):
            return [], math.inf, 0.0
        return pricer.price(pi, mu, PRICING_TIME, seed)

    def solve_node(self, deadline: float) -> tuple[float, float, np.ndarray, set]:
        """Column generation at the current node: (LP value, lower bound on every roster of the
        node, LP column values, banned columns)."""
        self.nodes += 1
        idx, pool = self.idx, self.pool
        bound = -math.inf
        # Computed once: the node's pricing keeps its decisions, so no column it adds breaks one.
        banned = self.banned()
        for rnd in range(NODE_ROUNDS):
            lp, mu, pi, _x = pool.solve_master(None, banned)
            seeds = [self.seed + self.nodes * 7919 + rnd * 104729 + e for e in range(idx.E)]
            jobs = [(e, pi, float(mu[e]), seeds[e]) for e in range(idx.E)]
            if self.executor is not None:
                results = list(self.executor.map(lambda j: self._price(*j), jobs))
            else:
                results = [self._price(*j) for j in jobs]
            lagrange = float(pi @ self.requirements) + float(mu.sum())
            added = 0
            for e, (found, low, _dt) in enumerate(results):
                lagrange += min(0.0, low) if low < math.inf else math.inf
                for sched in found:
                    added += pool.add(e, sched)
            bound = max(bound, lagrange)
            if not added and lagrange > lp - 1e-6:
                bound = max(bound, lp)  # converged: the LP is this node's bound
            if not added or math.ceil(bound - 1e-6) >= math.ceil(lp - 1e-6) or time.monotonic() >= deadline:
                break
        lp, _mu, _pi, x = pool.solve_master(None, banned)
        return lp, bound, x, banned

    def close(self) -> None:
        for pricer in self.pricers:
            pricer.assume([])
        if self.executor is not None:
            self.executor.shutdown()


def branch_and_price(
    idx: ProblemIndex,
    pool: ColumnPool,
    upper: int,
    *,
    deadline: float,
    workers: int,
    seed: int,
    on_roster: Callable[[Grid], None] | None = None,
) -> tuple[Grid | None, bool, dict]:
    """Search for a roster cheaper than ``upper`` until ``deadline`` (time.monotonic()).

    Returns (the best roster found below ``upper`` or None, whether the search proved that
    none cheaper than the best, or than ``upper`` if none was found, exists, stats).
    ``on_roster`` sees each improving roster as it is found."""
    tree = _Tree(idx, pool, workers, seed)
    best: Grid | None = None
    exhausted = False
    exact = True  # every node left behind was bounded out or branched
    since, allowance = 0, RESTART_NODES
    try:
        while time.monotonic() < deadline:
            if since >= allowance:
                tree.decisions.clear()  # a fresh tree: its proof starts again too
                tree.seed += 1_000_003
                exact, since, allowance = True, 0, 2 * allowance
            since += 1
            lp, bound, x, banned = tree.solve_node(deadline)
            if time.monotonic() >= deadline and math.ceil(bound - 1e-6) < upper:
                break  # the node was cut short by the deadline: neither pruned nor branched
            value: dict[tuple[int, int, int], float] = {}
            for j, (e, sched) in enumerate(pool.columns):
                if x[j] > 1e-6 and (e, sched) not in banned:
                    for d, s in enumerate(sched):
                        value[e, d, s] = value.get((e, d, s), 0.0) + float(x[j])
            covered = {(e, d) for e, d, _s in value}
            fractional = [(v, k) for k, v in value.items() if v < 1 - 1e-6]
            complete = len(covered) == idx.E * idx.H  # no person rests on an artificial column
            prune = math.ceil(bound - 1e-6) >= upper
            if not prune and not fractional and complete:
                grid = [[OFF] * idx.H for _ in range(idx.E)]
                for (e, d, s), v in value.items():
                    if v > 0.5:
                        grid[e][d] = s
                score = idx.score(grid)
                if score < upper:
                    upper, best, since = score, grid, 0
                    if on_roster is not None:
                        on_roster(grid)
                prune = math.ceil(bound - 1e-6) >= upper
                exact = exact and prune
                prune = True
            elif not prune and not fractional:
                exact = False  # cut short with a person on no schedule: left unexplored
            if prune or not fractional:
                # back up to the deepest decision not yet negated, and negate it
                while tree.decisions and not tree.decisions[-1][3]:
                    tree.decisions.pop()
                if not tree.decisions:
                    exhausted = True
                    break
                e, d, s, _holds = tree.decisions.pop()
                tree.decisions.append((e, d, s, False))
                continue
            _v, (e, d, s) = min(fractional, key=lambda vk: abs(vk[0] - 0.5))
            tree.decisions.append((e, d, s, True))
    finally:
        tree.close()
    proven = exhausted and exact
    return best, proven, {"bp_nodes": tree.nodes, "bp_proven": proven}
