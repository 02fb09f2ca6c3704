"""Fast constructive schedules for long horizons: one person at a time, no CP-SAT.

A single-person CP-SAT model over 364 days takes seconds to give its first schedule, so for the
year-long instances (150 people) it cannot even start the search within a minute. This builds
each person's schedule in two dynamic programmes over the days, priced by the cover the people
already placed leave open:

1. work or off per day: a DP over the block states (working ``c`` days in a row, or off ``o``
   days in a row) honours the maximum and minimum consecutive working days, the minimum days
   off, fixed days off and pins exactly. The weekend rule is priced (a Lagrange multiplier,
   searched for the smallest price that keeps the maximum), half a weekend carries a further
   price of its own (``HALF_WEEKEND_PRICE``), and the number of working days is
   steered into the paid minutes window by a reward per working day, also searched; both
   searches start where the person's previous one landed (the start rebuilds everyone in passes).
2. which shift on each working day: per block of working days, a Viterbi pass for the sequence
   of most cover need that keeps the succession rules and the per-type maxima, steered toward
   the middle of the paid window; single-shift swaps then land the minutes in the window.

Either step can fail for a person (a narrow window, an awkward succession rule); the caller
then falls back to CP-SAT for that person. :func:`person_schedule` returns None in that case,
and any schedule it returns keeps every hard rule of that person (checked by :func:`keeps_rules`).
"""

from __future__ import annotations

import random

from .index import OFF, ProblemIndex

# The price of half a weekend in the work/off programme, in units of the most needed day's value
# (the jitter between equally needed days is below 0.25, so it never decides against a whole
# weekend). Weekends are where cover runs short on nearly every instance, and half a weekend
# spends a whole weekend of the allowance on one day. Paired 60 s runs (seed 0), without it and
# with it: 13 3,606 -> 3,218; 19 4,246 -> 3,990; 22 39,490 -> 36,843; 23 27,078 -> 24,957;
# 24 ~87,000 -> ~77,000 (the start alone: 563 half weekends -> 57).
HALF_WEEKEND_PRICE = 0.3


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
        if not block_keeps_rules(c, work, d - start, start > 0 and d < H):
            return False
    return True


def block_keeps_rules(c, work: bool, length: int, inner: bool) -> bool:
    """Whether a maximal block of ``length`` working (or off) days keeps contract ``c``'s block
    rules; ``inner``: it touches neither end of the horizon (the minimums apply only then)."""
    if work:
        if c.max_consecutive_work_days is not None and length > c.max_consecutive_work_days:
            return False
        return not (inner and length < c.min_consecutive_work_days)
    return not (inner and length < c.min_consecutive_days_off)


def _block_states(c) -> tuple[list[tuple[str, int, bool]], list[int], list[int]]:
    """The block automaton of a contract: states (kind, run length, exempt first block) with the
    state reached by working and by resting (-1 where a rule forbids it). State 0 is the start."""
    max_w = c.max_consecutive_work_days
    # Without a maximum, runs longer than the minimum are all alike: cap the state there.
    w_cap = max_w or max(1, c.min_consecutive_work_days)
    min_w, min_o = max(1, c.min_consecutive_work_days), max(1, c.min_consecutive_days_off)
    states: list[tuple[str, int, bool]] = [("S", 0, True)]
    ids = {states[0]: 0}
    work_to: list[int] = []
    off_to: list[int] = []
    i = 0
    while i < len(states):
        kind, n, exempt = states[i]
        if kind == "W":
            nxt_w = ("W", min(n + 1, w_cap), exempt) if max_w is None or n + 1 <= max_w else None
            nxt_o = ("O", 1, False) if exempt or n >= min_w else None
        elif kind == "O":
            nxt_w = ("W", 1, False) if exempt or n >= min_o else None
            nxt_o = ("O", min(n + 1, min_o), exempt)
        else:
            nxt_w, nxt_o = ("W", 1, True), ("O", 1, True)
        for target, out in ((nxt_w, work_to), (nxt_o, off_to)):
            if target is None:
                out.append(-1)
                continue
            if target not in ids:
                ids[target] = len(states)
                states.append(target)
            out.append(ids[target])
        i += 1
    return states, work_to, off_to


def _calendar(idx: ProblemIndex, e: int):
    """(can work, must work) per day for person ``e``, and the Saturdays and Sundays; cached on
    the index, as the pattern search asks for them dozens of times per person."""
    cache = idx.__dict__.setdefault("_construct_calendar", {})
    if e not in cache:
        H = idx.H
        cache[e] = (
            [bool(idx.day_options(e, d)) for d in range(H)],
            [idx.pinned[e][d] not in (None, OFF) for d in range(H)],
            {days[0] for days in idx.weekend_days.values()},
            {days[1] for days in idx.weekend_days.values() if len(days) == 2},
        )
    return cache[e]


def _work_pattern(idx: ProblemIndex, e: int, gain: list[float], reward: float, weekend_price: float):
    """Best work/off pattern for ``gain[d] + reward`` per working day, minus ``weekend_price`` per
    weekend worked; None if the block rules, days off and pins admit no pattern."""
    H = idx.H
    states, work_to, off_to = _block_states(idx.contracts[e])
    is_work = [st[0] == "W" for st in states]
    n_states = len(states)
    can_work, must_work, saturday, sunday = _calendar(idx, e)
    NEG = float("-inf")
    val = [NEG] * n_states
    val[0] = 0.0
    # (state, reached by working, reached by resting, is a working state): the transitions the
    # inner loop needs, without the -1 lookups (this loop is most of a year-long start's time).
    edges = [(st, work_to[st], off_to[st], is_work[st]) for st in range(n_states)]
    back: list[list[int]] = []  # back[d][state] = previous state * 2 + worked today
    for d in range(H):
        nval = [NEG] * n_states
        bk = [-1] * n_states
        work_gain = gain[d] + reward if can_work[d] else None
        # A weekend counts once: on Sunday it is already paid if Saturday was worked.
        rest_after_work = 0.0
        if d in saturday:
            from_work = from_rest = (work_gain or 0.0) - weekend_price
        elif d in sunday:
            # Sunday alone, or Saturday alone, is half a weekend: the allowance of a whole one
            # spent on one day of cover.
            from_work, from_rest = work_gain, (work_gain or 0.0) - weekend_price - HALF_WEEKEND_PRICE
            rest_after_work = HALF_WEEKEND_PRICE
        else:
            from_work = from_rest = work_gain
        may_rest = not must_work[d]
        alive = False
        for st, tw, to, working in edges:
            v = val[st]
            if v == NEG:
                continue
            if work_gain is not None and tw >= 0:
                w = v + (from_work if working else from_rest)
                if w > nval[tw]:
                    nval[tw], bk[tw] = w, st * 2 + 1
                    alive = True
            if may_rest and to >= 0:
                r = v - rest_after_work if working else v
                if r > nval[to]:
                    nval[to], bk[to] = r, st * 2
                    alive = True
        if not alive:
            return None
        back.append(bk)
        val = nval
    st = max(range(n_states), key=val.__getitem__)
    works = [False] * H
    for d in range(H - 1, -1, -1):
        code = back[d][st]
        st, works[d] = code >> 1, bool(code & 1)
    return works


def half_weekends(idx: ProblemIndex, row: list[int]) -> int:
    """Weekends of which ``row`` works exactly one day."""
    return sum(
        1
        for days in idx.weekend_days.values()
        if len(days) == 2 and (row[days[0]] != OFF) != (row[days[1]] != OFF)
    )


def _weekends(idx: ProblemIndex, works: list[bool]) -> int:
    return sum(1 for days in idx.weekend_days.values() if any(works[d] for d in days))


def _assign_shifts(idx: ProblemIndex, e: int, works: list[bool], need: list[list[float]]):
    """Shifts for the working days, block by block: within a block the sequence of most cover
    need that keeps the succession rules (a Viterbi pass), steered toward the middle of the paid
    window and kept inside each type's maximum."""
    H, c = idx.H, idx.contracts[e]
    caps = [cap if cap is not None else H for cap in idx.max_per_type[e]]
    used = [0] * idx.S
    row = [OFF] * H
    paid = 0
    lo, hi = c.min_paid_minutes, c.max_paid_minutes if c.max_paid_minutes is not None else 10**12
    middle = (lo + min(hi, lo + 2 * max(idx.paid))) / 2
    remaining = sum(works)
    d = 0
    while d < H:
        if not works[d]:
            d += 1
            continue
        end = d
        while end + 1 < H and works[end + 1]:
            end += 1
        length = end - d + 1
        remaining -= length
        # Minutes this block should bring, and the most and fewest it may bring so the rest of
        # the working days can still land the total inside the window.
        top = _extreme_minutes(idx, e, used, caps, remaining, longest=True)
        bottom = _extreme_minutes(idx, e, used, caps, remaining, longest=False)
        desired = (middle - paid) / (remaining + length) if remaining + length else 0
        most_here, fewest_here = hi - paid - bottom, lo - paid - top
        per_day_max = most_here / length
        per_day_min = fewest_here / length
        seq = None
        for window in ((per_day_min, per_day_max), None):
            seq = _best_block(idx, e, d, end, need, used, caps, desired, window)
            if seq is not None:
                break
        if seq is None:
            return None
        row[d : end + 1] = seq
        for day in range(d, end + 1):
            used[row[day]] += 1
            paid += idx.paid[row[day]]
        d = end + 1
    return row


def _best_block(idx, e, d, end, need, used, caps, desired, window):
    """Viterbi over one block of working days [d, end]: the shift sequence of most cover need
    that keeps the succession rules; ``window`` bounds the paid minutes per day (None: free)."""
    nxt = idx.forbid_next[e]
    week_cap = idx.contracts[e].max_paid_minutes_per_week
    score: dict[int, float] = {}
    back: list[dict[int, int]] = []
    for day in range(d, end + 1):
        options = [s for s in idx.day_options(e, day) if used[s] + (day - d) < caps[s]]
        if window is not None:
            options = [s for s in options if window[0] - 1e-9 <= idx.paid[s] <= window[1] + 1e-9]
        if week_cap is not None:
            options = [s for s in options if idx.paid[s] <= week_cap]
        new: dict[int, float] = {}
        bk: dict[int, int] = {}
        for s in options:
            value = need[day][s] - 0.5 * abs(idx.paid[s] - desired) / 60 - 0.01 * used[s] / max(1, caps[s])
            if day == d:
                new[s], bk[s] = value, -1
                continue
            best_prev, best_val = None, None
            for p, v in score.items():
                if s not in nxt[p] and (best_val is None or v > best_val):
                    best_prev, best_val = p, v
            if best_prev is not None:
                new[s], bk[s] = best_val + value, best_prev
        if not new:
            return None
        back.append(bk)
        score = new
    seq = [OFF] * (end - d + 1)
    s = max(score, key=score.get)
    for i in range(end - d, -1, -1):
        seq[i] = s
        s = back[i][s]
    return seq


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


def _demand(idx: ProblemIndex) -> list[int]:
    """Total cover requirement per shift type over the horizon (cached on the index)."""
    cached = getattr(idx, "_demand_per_shift", None)
    if cached is None:
        cached = [0] * idx.S
        for (_d, s), rows in idx.cover.items():
            cached[s] += max(r.requirement for r in rows)
        idx._demand_per_shift = cached
    return cached


def person_schedule(idx: ProblemIndex, e: int, need: list[list[float]], seed: int = 0) -> list[int] | None:
    """A schedule for person ``e`` keeping all their hard rules, or None if this heuristic fails.

    ``need[d][s]`` is the value of one more person on shift ``s`` of day ``d`` (positive where
    cover is short, negative where it is met). ``seed`` varies the tie-breaking, for a retry.
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
    # The number of working days to aim at, in the mean length of the shifts this person can
    # work, weighted by how many of each the cover asks for (so long shifts get staffed too).
    demand = _demand(idx)
    weight = sum(demand[s] for s in allowed)
    typical = (
        sum(demand[s] * idx.paid[s] for s in allowed) / weight
        if weight
        else sum(idx.paid[s] for s in allowed) / len(allowed)
    )
    middle = (c.min_paid_minutes + min(hi_minutes, c.min_paid_minutes + 2 * longest)) / 2
    scale = max(1e-9, max((max(v) for v in need), default=1.0))
    # A small fixed jitter breaks the ties between equally needed days, so the number of working
    # days moves smoothly with the reward instead of jumping from none to all.
    rng = random.Random(e * 7919 + seed)
    gain = [max(need[d][s] for s in allowed) / scale + 0.25 * rng.random() for d in range(H)]
    target = min(most, max(fewest, middle / typical))
    for _attempt in range(4):
        works = _pattern_near(idx, e, gain, target, fewest, most)
        if works is None:
            return None
        row = _assign_shifts(idx, e, works, need)
        if row is None:
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
    return None


def _pattern_near(idx: ProblemIndex, e: int, gain: list[float], target: float, fewest: int, most: int):
    """Work/off pattern with about ``target`` working days (within [fewest, most]) and the
    weekend maximum kept; None if not found.

    Both prices (the reward per working day and the price of a weekend) are searched from where
    this person's previous search landed, stepping out until the answer is bracketed and then
    bisecting: the start's improvement passes re-build each person against a cover that has
    moved little, and a cold bisection took about 65 pattern programmes per person on Instance24.
    """
    c = idx.contracts[e]
    memory = idx.__dict__.setdefault("_construct_prices", {})
    last = {"reward": None, "price": None, **memory.get(e, {})}

    def at_price(weekend_price: float):
        lo_r, hi_r = -1.5, 1.0  # the gains lie in [-0.01, 1.25]
        best = w = None
        probe, step, direction = last["reward"], 0.02, 0
        for _ in range(12):
            mid = probe if probe is not None else (lo_r + hi_r) / 2
            w = _work_pattern(idx, e, gain, mid, weekend_price)
            if w is None:
                return None
            n = sum(w)
            if fewest <= n <= most and (best is None or abs(n - target) < abs(sum(best) - target)):
                best = w
                last["reward"] = mid
                if abs(n - target) < 1:
                    break
            if n < target:
                lo_r = mid
            else:
                hi_r = mid
            probe, step, direction = _step_out(probe, step, direction, 1 if n < target else -1, lo_r, hi_r)
        if best is None and w is not None:
            # The count jumped over the window: trim or extend block ends to land in it.
            best = _adjust_blocks(idx, e, list(w), gain, fewest, most)
        return best

    pattern = at_price(0.0)
    if pattern is not None and (c.max_weekends is None or _weekends(idx, pattern) <= c.max_weekends):
        memory[e] = {**last, "price": 0.0}
        return pattern
    # Too many weekends: search the price of a weekend. Too high a price also bans the weekends
    # the working-day count needs, so the smallest price that keeps the maximum is wanted.
    lo_p, hi_p, found = 0.0, 4.0, None
    # A last price of 0 (the weekends fitted unpriced) says nothing of where to start: bisect.
    probe, step, direction = last["price"] or None, 0.06, 0
    for _ in range(8):
        if probe is None and hi_p - lo_p < 4.0 / 2**7:
            break  # as fine as the cold bisection's seven halvings
        price = probe if probe is not None else (lo_p + hi_p) / 2
        pattern = at_price(price)
        if pattern is None:  # so high a price leaves too few working days: lower it
            hi_p = price
        elif _weekends(idx, pattern) <= c.max_weekends:
            found, hi_p = pattern, price
            last["price"] = price
        else:
            lo_p = price
        lower = pattern is None or found is pattern
        probe, step, direction = _step_out(probe, step, direction, -1 if lower else 1, lo_p, hi_p)
    memory[e] = last
    return found


def _step_out(probe, step: float, direction: int, wanted: int, lo: float, hi: float):
    """The next probe of a warm-started search: keep stepping (doubling the step) in the wanted
    direction until the answer is bracketed in (lo, hi); then None, which means bisect."""
    if probe is None or direction not in (0, wanted):
        return None, step, direction
    nxt = probe + wanted * step
    if not lo < nxt < hi:
        return None, step, direction
    return nxt, step * 2, wanted


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

    weekend_of = {d: days for days in idx.weekend_days.values() for d in days}
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
        if want and c.max_weekends is not None and _weekends(idx, works) >= c.max_weekends:
            # Adding a day may not open another weekend.
            candidates = [
                d for d in candidates if weekend_of.get(d) is None or any(works[x] for x in weekend_of[d])
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
