"""Fast constructive schedules for long horizons: one person at a time, no CP-SAT.

A single-person CP-SAT model over 364 days takes seconds to give its first schedule, so for the
year-long instances (150 people) it cannot even start the search within a minute. This builds
each person's schedule in two dynamic programmes over the days, priced by the cover the people
already placed leave open:

1. work or off per day: a DP over the block states (working ``c`` days in a row, or off ``o``
   days in a row) honours the maximum and minimum consecutive working days, the minimum days
   off, fixed days off and pins exactly. The weekend rule is priced (a Lagrange multiplier,
   raised until the maximum is kept) and the number of working days is steered into the paid
   minutes window by a reward per working day, found by bisection.
2. which shift on each working day: a greedy pass in day order that keeps the succession rules,
   the per-type maxima and the paid minutes window, taking the shift whose cover is most short.

Either step can fail for a person (a narrow window, an awkward succession rule); the caller
then falls back to CP-SAT for that person. :func:`person_schedule` returns None in that case,
and any schedule it returns keeps every hard rule of that person (checked by :func:`keeps_rules`).
"""

from __future__ import annotations

import random

from .index import OFF, ProblemIndex

FAILURES: dict[str, int] = {}  # why person_schedule gave up, by step (for the statistics)


def keeps_rules(idx: ProblemIndex, e: int, row: list[int]) -> bool:
    """True if ``row`` keeps every hard rule of person ``e`` (same rules as the evaluator)."""
    H, c = idx.H, idx.contracts[e]
    for d, s in enumerate(row):
        if s == OFF:
            if idx.pinned[e][d] not in (None, OFF):
                return False
            continue
        if s not in idx.day_options(e, d):
            return False
        if d + 1 < H and row[d + 1] != OFF and row[d + 1] in idx.forbid_next[e][s]:
            return False
    paid = sum(idx.paid[s] for s in row if s != OFF)
    if paid < c.min_paid_minutes or (c.max_paid_minutes is not None and paid > c.max_paid_minutes):
        return False
    for days in idx.week_days.values():
        week = sum(idx.paid[row[d]] for d in days if row[d] != OFF)
        if c.max_paid_minutes_per_week is not None and week > c.max_paid_minutes_per_week:
            return False
        if len(days) == 7 and week < c.min_paid_minutes_per_week:
            return False
    counts = [0] * idx.S
    for s in row:
        if s != OFF:
            counts[s] += 1
    for s, cap in enumerate(idx.max_per_type[e]):
        if cap is not None and counts[s] > cap:
            return False
    if c.max_weekends is not None:
        worked = sum(1 for days in idx.weekend_days.values() if any(row[d] != OFF for d in days))
        if worked > c.max_weekends:
            return False
    # blocks
    d = 0
    while d < H:
        work = row[d] != OFF
        start = d
        while d < H and (row[d] != OFF) == work:
            d += 1
        length, inner = d - start, start > 0 and d < H
        if work:
            if c.max_consecutive_work_days is not None and length > c.max_consecutive_work_days:
                return False
            if inner and length < c.min_consecutive_work_days:
                return False
        elif inner and length < c.min_consecutive_days_off:
            return False
    return True


def _work_pattern(idx: ProblemIndex, e: int, gain: list[float], reward: float, weekend_price: float):
    """Best work/off pattern for ``gain[d] + reward`` per working day, minus ``weekend_price`` per
    weekend worked; None if the block rules, days off and pins admit no pattern."""
    H, c = idx.H, idx.contracts[e]
    max_w = c.max_consecutive_work_days or H
    # Without a maximum, runs longer than the minimum are all alike: cap the state there.
    w_cap = c.max_consecutive_work_days or max(1, c.min_consecutive_work_days)
    min_w, min_o = max(1, c.min_consecutive_work_days), max(1, c.min_consecutive_days_off)
    can_work = [bool(idx.day_options(e, d)) for d in range(H)]
    must_work = [idx.pinned[e][d] not in (None, OFF) for d in range(H)]
    saturday = {days[0] for days in idx.weekend_days.values() if len(days) == 2}
    sunday = {days[1] for days in idx.weekend_days.values() if len(days) == 2}
    single = {days[0] for days in idx.weekend_days.values() if len(days) == 1}
    # State: (kind, run length capped, exempt first block, worked this Saturday)
    NEG = float("-inf")
    layer: dict[tuple, float] = {("S", 0, True, False): 0.0}
    back: list[dict[tuple, tuple]] = []
    for d in range(H):
        nxt: dict[tuple, float] = {}
        bk: dict[tuple, tuple] = {}
        for st, val in layer.items():
            kind, n, exempt, sat = st
            # work today
            if can_work[d]:
                if kind == "W":
                    ok, state_n, ex = n + 1 <= max_w, n + 1, exempt
                    if n >= w_cap and c.max_consecutive_work_days is None:
                        ok = True
                elif kind == "O":
                    ok, state_n, ex = exempt or n >= min_o, 1, False
                else:
                    ok, state_n, ex = True, 1, True
                if ok:
                    v = val + gain[d] + reward
                    if d in saturday or d in single or (d in sunday and not sat):
                        v -= weekend_price
                    key = ("W", min(state_n, w_cap), ex, d in saturday)
                    if v > nxt.get(key, NEG):
                        nxt[key], bk[key] = v, (st, True)
            # off today
            if not must_work[d]:
                if kind == "W":
                    ok, state_n, ex = exempt or n >= min_w, 1, False
                elif kind == "O":
                    ok, state_n, ex = True, n + 1, exempt
                else:
                    ok, state_n, ex = True, 1, True
                if ok:
                    key = ("O", min(state_n, min_o), ex, False)
                    if val > nxt.get(key, NEG):
                        nxt[key], bk[key] = val, (st, False)
        if not nxt:
            return None
        back.append(bk)
        layer = nxt
    st = max(layer, key=layer.get)
    works = [False] * H
    for d in range(H - 1, -1, -1):
        st, works[d] = back[d][st]
    return works


def _weekends(idx: ProblemIndex, works: list[bool]) -> int:
    return sum(1 for days in idx.weekend_days.values() if any(works[d] for d in days))


def _assign_shifts(idx: ProblemIndex, e: int, works: list[bool], need: list[list[float]]):
    """Shift per working day, greedily by cover need, keeping successions, maxima and minutes."""
    H, c = idx.H, idx.contracts[e]
    caps = [cap if cap is not None else H for cap in idx.max_per_type[e]]
    used = [0] * idx.S
    row = [OFF] * H
    paid = 0
    lo, hi = c.min_paid_minutes, c.max_paid_minutes if c.max_paid_minutes is not None else 10**12
    remaining = sum(works)
    week_of = {d: w for w, days in idx.week_days.items() for d in days}
    week_paid: dict[int, int] = {}
    week_cap = c.max_paid_minutes_per_week
    for d in range(H):
        if not works[d]:
            continue
        remaining -= 1
        prev = row[d - 1] if d > 0 else OFF
        options = [
            s
            for s in idx.day_options(e, d)
            if used[s] < caps[s] and (prev == OFF or s not in idx.forbid_next[e][prev])
        ]
        if week_cap is not None:
            options = [s for s in options if week_paid.get(week_of[d], 0) + idx.paid[s] <= week_cap]
        rest = 0
        while d + 1 + rest < H and works[d + 1 + rest]:
            rest += 1
        if rest:
            # Look ahead over the rest of the block: some shift that may follow today's, and may
            # follow itself, must have room for every remaining day of the block.
            nxt = idx.forbid_next[e]
            tomorrow = [t for t in idx.day_options(e, d + 1) if t not in nxt[t]]
            options = [
                s
                for s in options
                if any(t not in nxt[s] and caps[t] - used[t] - (t == s) >= rest for t in tomorrow)
            ]
        if not options:
            FAILURES["no shift"] = FAILURES.get("no shift", 0) + 1
            return None
        # Keep the minutes window reachable by what the remaining working days can still add
        # (longest or shortest shifts first, within what is left of each type's maximum).
        feasible = []
        for s in options:
            used[s] += 1
            after = paid + idx.paid[s]
            top = _extreme_minutes(idx, e, used, caps, remaining, longest=True)
            bottom = _extreme_minutes(idx, e, used, caps, remaining, longest=False)
            used[s] -= 1
            if after + top >= lo and after + bottom <= hi:
                feasible.append(s)
        options = feasible or options
        # Steer toward the middle of the window (the windows are narrow: a shift or two); cover
        # need decides between shifts that fit it equally.
        desired = ((lo + min(hi, lo + 2 * max(idx.paid))) / 2 - paid) / (remaining + 1)
        s = max(
            options,
            key=lambda s: (-round(abs(idx.paid[s] - desired) / 120), need[d][s], -used[s] / max(1, caps[s])),
        )
        row[d] = s
        used[s] += 1
        paid += idx.paid[s]
        week_paid[week_of[d]] = week_paid.get(week_of[d], 0) + idx.paid[s]
    return row


def _fit_minutes(idx: ProblemIndex, e: int, row: list[int]) -> None:
    """Swap single shifts for longer or shorter ones (same day, successions and maxima kept)
    until the paid minutes are inside the window, where the greedy pass overshot it."""
    c, H = idx.contracts[e], idx.H
    hi = c.max_paid_minutes if c.max_paid_minutes is not None else 10**12
    caps = [cap if cap is not None else H for cap in idx.max_per_type[e]]
    used = [0] * idx.S
    for s in row:
        if s != OFF:
            used[s] += 1
    paid = sum(idx.paid[s] for s in row if s != OFF)
    nxt, prv = idx.forbid_next[e], idx.forbid_prev[e]
    for d in range(H):
        if c.min_paid_minutes <= paid <= hi:
            return
        s = row[d]
        if s == OFF:
            continue
        gap = c.min_paid_minutes - paid if paid < c.min_paid_minutes else hi - paid
        for t in idx.day_options(e, d):
            delta = idx.paid[t] - idx.paid[s]
            if t == s or used[t] >= caps[t] or delta == 0 or (delta > 0) != (gap > 0):
                continue
            if d > 0 and row[d - 1] != OFF and t in nxt[row[d - 1]]:
                continue
            if d + 1 < H and row[d + 1] != OFF and t in prv[row[d + 1]]:
                continue
            row[d] = t
            used[s] -= 1
            used[t] += 1
            paid += delta
            break


def _extreme_minutes(idx, e, used, caps, days: int, *, longest: bool) -> int:
    """Most (or fewest) minutes ``days`` more shifts can add within the types' remaining maxima."""
    total = 0
    for s in sorted(idx.allowed[e], key=lambda s: idx.paid[s], reverse=longest):
        take = min(days, caps[s] - used[s])
        if take > 0:
            total += take * idx.paid[s]
            days -= take
        if days == 0:
            break
    return total


def person_schedule(idx: ProblemIndex, e: int, need: list[list[float]]) -> list[int] | None:
    """A schedule for person ``e`` keeping all their hard rules, or None if this heuristic fails.

    ``need[d][s]`` is the value of one more person on shift ``s`` of day ``d`` (positive where
    cover is short, negative where it is met).
    """
    H, c = idx.H, idx.contracts[e]
    allowed = idx.allowed[e]
    if not allowed:
        row = [OFF] * H
        return row if keeps_rules(idx, e, row) else None
    longest = max(idx.paid[s] for s in allowed)
    shortest = min(idx.paid[s] for s in allowed)
    hi_minutes = c.max_paid_minutes if c.max_paid_minutes is not None else H * longest
    # Working days that can land inside the paid window with some mix of the person's shifts.
    fewest = -(-c.min_paid_minutes // longest)
    most = hi_minutes // shortest
    # The number of working days to aim at, in the shift length the person can work most of.
    room: dict[int, int] = {}
    for s in allowed:
        cap = idx.max_per_type[e][s]
        room[idx.paid[s]] = room.get(idx.paid[s], 0) + (H if cap is None else min(cap, H))
    typical = max(room, key=room.get)
    middle = (c.min_paid_minutes + min(hi_minutes, c.min_paid_minutes + 2 * longest)) / 2
    scale = max(1e-9, max((max(v) for v in need), default=1.0))
    # A small fixed jitter breaks the ties between equally needed days, so the number of working
    # days moves smoothly with the reward instead of jumping from none to all.
    rng = random.Random(e)
    gain = [max(need[d][s] for s in allowed) / scale + 0.25 * rng.random() for d in range(H)]
    target = min(most, max(fewest, middle / typical))
    for _attempt in range(4):
        works = _pattern_near(idx, e, gain, target, fewest, most)
        if works is None:
            return None
        row = _assign_shifts(idx, e, works, need)
        if row is None:
            FAILURES["shifts"] = FAILURES.get("shifts", 0) + 1
            return None
        _fit_minutes(idx, e, row)
        if keeps_rules(idx, e, row):
            return row
        # Mostly the paid window missed by a shift or two: aim at fewer or more working days.
        paid = sum(idx.paid[s] for s in row if s != OFF)
        if paid > hi_minutes:
            target = max(fewest, sum(works) - max(1, -(-(paid - hi_minutes) // typical)))
        elif paid < c.min_paid_minutes:
            target = min(most, sum(works) + max(1, -(-(c.min_paid_minutes - paid) // typical)))
        else:
            break
    FAILURES["rules"] = FAILURES.get("rules", 0) + 1
    return None


def _pattern_near(idx: ProblemIndex, e: int, gain: list[float], target: float, fewest: int, most: int):
    """Work/off pattern with about ``target`` working days (within [fewest, most]) and the
    weekend maximum kept; None if not found."""
    c = idx.contracts[e]
    weekend_price = 0.0
    for _ in range(8):
        lo_r, hi_r = -4.0, 4.0
        best = None
        for _ in range(18):
            mid = (lo_r + hi_r) / 2
            w = _work_pattern(idx, e, gain, mid, weekend_price)
            if w is None:
                return None
            n = sum(w)
            if fewest <= n <= most and (best is None or abs(n - target) < abs(sum(best) - target)):
                best = w
                if abs(n - target) < 0.5:
                    break
            if n < target:
                lo_r = mid
            else:
                hi_r = mid
        if best is None and w is not None:
            # The count jumped over the window: trim or extend block ends to land in it.
            best = _adjust_blocks(idx, e, list(w), gain, fewest, most)
        if best is None:
            FAILURES["days"] = FAILURES.get("days", 0) + 1
            return None
        if c.max_weekends is None or _weekends(idx, best) <= c.max_weekends:
            return best
        weekend_price = 2 * weekend_price + 0.25
    FAILURES["weekends"] = FAILURES.get("weekends", 0) + 1
    return None


def _adjust_blocks(idx: ProblemIndex, e: int, works: list[bool], gain: list[float], fewest: int, most: int):
    """Shorten or lengthen work blocks at their ends, one day at a time and least needed day
    first, until between ``fewest`` and ``most`` days are worked; block rules kept."""
    H, c = idx.H, idx.contracts[e]
    max_w = c.max_consecutive_work_days or H
    min_w, min_o = max(1, c.min_consecutive_work_days), max(1, c.min_consecutive_days_off)

    def run(d: int, value: bool, step: int) -> int:
        n = 0
        while 0 <= d < H and works[d] == value:
            n += 1
            d += step
        return n

    def ok(d: int) -> bool:
        """Would flipping day ``d`` keep every block rule around it?"""
        works[d] = not works[d]
        try:
            lo = d
            while lo > 0 and works[lo - 1] == works[d]:
                lo -= 1
            hi = d
            while hi + 1 < H and works[hi + 1] == works[d]:
                hi += 1
            for a, b in ((lo, hi), *(_neighbour_runs(works, lo, hi))):
                length, inner, work = b - a + 1, a > 0 and b < H - 1, works[a]
                if work and length > max_w:
                    return False
                if inner and length < (min_w if work else min_o):
                    return False
            return True
        finally:
            works[d] = not works[d]

    n = sum(works)
    while n > most or n < fewest:
        want = n < fewest
        candidates = [
            d
            for d in range(H)
            if works[d] != want
            and (d == 0 or works[d - 1] == want or d == H - 1 or works[d + 1] == want)
            and (not want or idx.day_options(e, d))
            and (want or idx.pinned[e][d] in (None, OFF))
        ]
        candidates.sort(key=lambda d: gain[d], reverse=want)
        for d in candidates:
            if ok(d):
                works[d] = want
                n += 1 if want else -1
                break
        else:
            return None
    return works


def _neighbour_runs(works: list[bool], lo: int, hi: int):
    """The runs just before ``lo`` and just after ``hi`` as (first, last) day pairs."""
    H = len(works)
    out = []
    if lo > 0:
        a = lo - 1
        while a > 0 and works[a - 1] == works[lo - 1]:
            a -= 1
        out.append((a, lo - 1))
    if hi < H - 1:
        b = hi + 1
        while b + 1 < H and works[b + 1] == works[hi + 1]:
            b += 1
        out.append((hi + 1, b))
    return out
