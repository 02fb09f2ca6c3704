"""Why a roster is as it is: unmet demand, unmet requests, rule pressure, fairness and cost.

``explain(period) -> Explanation`` reads the period's assignments (draft or published) and
reports, each with its reason and penalty (the same weights the solver minimises):

- every cover row below its minimum or target (and over-cover), with why the people who could
  have worked it did not (on another shift, leave or credential, rest, hours, consecutive days);
- every request not granted;
- rule pressure: people at their limits (consecutive days, weekends, hours) and any hard breach;
- per person: paid hours against the contract, nights, weekends, holidays, requests granted, cost;
- fairness: Gini index of nights, weekends and holidays worked among the people on the roster;
- cost: paid hours × rate with night (+15 %), weekend (+10 %) and public-holiday (+50 %)
  differentials and overtime (+50 % above the contract's weekly overtime threshold), next to the
  period's budgeted hours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import rest_forbidden_successions
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling.models import RosterPeriod, ShiftType
from carehelm.scheduling.rules import NOT_BLOCKING_BY_HAND, breaches
from carehelm.workforce.models import CredentialRequirement, Staff
from carehelm.workforce.selectors import requirements_for

NIGHT_DIFFERENTIAL = Decimal("0.15")
WEEKEND_DIFFERENTIAL = Decimal("0.10")
HOLIDAY_DIFFERENTIAL = Decimal("0.50")
OVERTIME_PREMIUM = Decimal("0.50")


def gini(values: list[float]) -> float:
    """Gini index of non-negative values: 0 = perfectly even, towards 1 = all on one person."""
    xs = sorted(v for v in values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def shift_cost(
    person: Staff,
    shift: ShiftType,
    date: dt.date,
    *,
    overtime: bool = False,
    holidays: set[dt.date] | None = None,
) -> Decimal:
    hours = Decimal(shift.paid_minutes) / 60
    rate = person.hourly_rate
    factor = Decimal(1)
    if shift.is_night:
        factor += NIGHT_DIFFERENTIAL
    if date.weekday() >= 5:
        factor += WEEKEND_DIFFERENTIAL
    if holidays and date in holidays:
        factor += HOLIDAY_DIFFERENTIAL
    if overtime:
        factor += OVERTIME_PREMIUM
    return (hours * rate * factor).quantize(Decimal("0.01"))


@dataclass
class StaffLine:
    staff: Staff
    hours: float
    contract_hours: float
    shifts: int
    nights: int
    weekends: int
    holidays: int
    requests_granted: int
    requests_total: int
    cost: Decimal
    overtime_hours: float

    @property
    def hours_gap(self) -> float:
        return round(self.hours - self.contract_hours, 1)


@dataclass
class Explanation:
    period: RosterPeriod
    penalty: int
    cover_penalty: int
    request_penalty: int
    unmet_cover: list[dict] = field(default_factory=list)
    over_cover: list[dict] = field(default_factory=list)
    unmet_requests: list[dict] = field(default_factory=list)
    pressure: list[dict] = field(default_factory=list)
    hard_breaches: list[str] = field(default_factory=list)
    staff: list[StaffLine] = field(default_factory=list)
    fairness: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
    credential_warnings: list[dict] = field(default_factory=list)
    coverage: dict = field(default_factory=dict)  # (date, shift code) -> count on shift

    def as_dict(self) -> dict:
        return {
            "penalty": self.penalty,
            "cover_penalty": self.cover_penalty,
            "request_penalty": self.request_penalty,
            "unmet_cover": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
                for row in self.unmet_cover
            ],
            "over_cover": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
                for row in self.over_cover
            ],
            "unmet_requests": [
                {
                    **{k: v for k, v in row.items() if k != "staff"},
                    "staff_id": row["staff"].pk,
                    "staff": row["staff"].full_name,
                    "date": row["date"].isoformat(),
                }
                for row in self.unmet_requests
            ],
            "pressure": [
                {**{k: v for k, v in row.items() if k != "staff"}, "staff": row["staff"].full_name}
                for row in self.pressure
            ],
            "hard_breaches": self.hard_breaches,
            "staff": [
                {
                    "staff_id": s.staff.pk,
                    "name": s.staff.full_name,
                    "hours": s.hours,
                    "contract_hours": s.contract_hours,
                    "shifts": s.shifts,
                    "nights": s.nights,
                    "weekends": s.weekends,
                    "holidays": s.holidays,
                    "requests_granted": s.requests_granted,
                    "requests_total": s.requests_total,
                    "cost": str(s.cost),
                    "overtime_hours": s.overtime_hours,
                }
                for s in self.staff
            ],
            "fairness": {k: v for k, v in self.fairness.items() if k != "distribution"},
            "cost": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.cost.items()},
            "credential_warnings": [
                {
                    **{k: v for k, v in w.items() if k != "staff"},
                    "staff": w["staff"].full_name,
                    "expires_on": w["expires_on"].isoformat(),
                }
                for w in self.credential_warnings
            ],
        }


def explain(period: RosterPeriod, built: pb.Built | None = None) -> Explanation:
    from carehelm.scheduling.services import current_roster

    built = built or pb.build(period)
    roster = current_roster(built)
    evaluation = evaluate(built.problem, roster)
    out = Explanation(period, evaluation.objective, evaluation.cover_penalty, evaluation.request_penalty)
    found = breaches(built, roster)
    out.hard_breaches = [b.message for b in found if b.rule not in NOT_BLOCKING_BY_HAND]
    for b in found:
        if b.rule in ("min_minutes", "min_week_minutes") and b.staff_key in built.staff:
            out.pressure.append(
                {"staff": built.staff[b.staff_key], "rule": "hours below contract", "detail": b.message}
            )
    days = list(built.period_days)
    people = {p.id: p for p in built.problem.staff}

    on_shift: dict[tuple[int, str], list[str]] = defaultdict(list)
    for key, row in roster.items():
        for d in days:
            if row[d] is not None:
                on_shift[d, row[d]].append(key)
    for d in days:
        for code in built.shifts:
            out.coverage[(built.date_of(d), code)] = len(on_shift.get((d, code), []))

    # Cover: each row below (or above) its requirement, with its penalty and reasons.
    for i, c in enumerate(built.problem.cover):
        present = on_shift.get((c.day, c.shift_id), [])
        n = len(present) if c.skill is None else sum(1 for k in present if c.skill in people[k].skills)
        label = built.cover_labels.get(i, "target")
        if n < c.requirement:
            out.unmet_cover.append(
                {
                    "date": built.date_of(c.day),
                    "shift": c.shift_id,
                    "skill": c.skill or "",
                    "level": label,
                    "need": c.requirement,
                    "have": n,
                    "penalty": c.under_weight * (c.requirement - n),
                    "reason": _why_uncovered(built, roster, c.day, c.shift_id, c.skill),
                }
            )
        elif n > c.requirement and c.over_weight:
            out.over_cover.append(
                {
                    "date": built.date_of(c.day),
                    "shift": c.shift_id,
                    "skill": c.skill or "",
                    "need": c.requirement,
                    "have": n,
                    "penalty": c.over_weight * (n - c.requirement),
                }
            )
    out.unmet_cover.sort(key=lambda r: (-r["penalty"], r["date"]))

    # Requests: grouped per (request, day) so a day-off request counts once.
    grouped: dict[tuple[int, int], dict] = {}
    for row, req, kind in built.requests:
        g = grouped.setdefault(
            (row.pk, req.day),
            {"row": row, "day": req.day, "weight": req.weight, "ok": True, "kind": kind, "person": row.staff},
        )
        worked = roster[req.staff_id][req.day]
        if (kind == "on" and worked != req.shift_id) or (kind == "off" and worked == req.shift_id):
            g["ok"] = False
            g["worked"] = worked
    granted = defaultdict(int)
    total = defaultdict(int)
    for g in grouped.values():
        key = str(g["row"].staff_id)
        total[key] += 1
        if g["ok"]:
            granted[key] += 1
            continue
        row = g["row"]
        out.unmet_requests.append(
            {
                "staff": row.staff,
                "date": built.date_of(g["day"]),
                "kind": row.get_kind_display(),
                "shift": row.shift_type.code if row.shift_type_id else "",
                "priority": row.get_priority_display(),
                "penalty": g["weight"],
                "reason": (
                    f"works {g.get('worked')}: needed for cover"
                    if g["kind"] == "off"
                    else "not rostered on it: the shift was covered or rules left no room"
                ),
            }
        )
    out.unmet_requests.sort(key=lambda r: (-r["penalty"], r["date"]))

    # Per person, cost and pressure.
    total_cost = regular = differential = overtime_cost = Decimal(0)
    total_hours = 0.0
    for key, person in built.staff.items():
        row = roster[key]
        template = built.templates[key]
        contract = people[key].contract
        minutes = sum(built.shifts[row[d]].paid_minutes for d in days if row[d])
        nights = sum(1 for d in days if row[d] and built.shifts[row[d]].is_night)
        weekend_set = {
            built.date_of(d).isocalendar()[:2] for d in days if row[d] and built.date_of(d).weekday() >= 5
        }
        holidays = sum(1 for d in days if row[d] and built.date_of(d) in built.holidays)
        weekly: dict = defaultdict(float)
        cost = Decimal(0)
        ot_hours = 0.0
        threshold = float(template.overtime_after_hours)
        for d in days:
            code = row[d]
            if not code:
                continue
            date = built.date_of(d)
            shift = built.shifts[code]
            week = date.isocalendar()[:2]
            before = weekly[week]
            weekly[week] += shift.paid_minutes / 60
            over = max(0.0, weekly[week] - max(threshold, before))
            base = shift_cost(person, shift, date, holidays=built.holidays)
            plain = (Decimal(shift.paid_minutes) / 60 * person.hourly_rate).quantize(Decimal("0.01"))
            premium = (Decimal(str(over)) * person.hourly_rate * OVERTIME_PREMIUM).quantize(Decimal("0.01"))
            ot_hours += over
            cost += base + premium
            regular += plain
            differential += base - plain
            overtime_cost += premium
        total_cost += cost
        total_hours += minutes / 60
        available = built.available_days[key]
        contract_hours = round(built.weekly_minutes[key] / 60 * available / 7, 1)
        line = StaffLine(
            person,
            round(minutes / 60, 1),
            contract_hours,
            sum(1 for d in days if row[d]),
            nights,
            len(weekend_set),
            holidays,
            granted[key],
            total[key],
            cost,
            round(ot_hours, 1),
        )
        out.staff.append(line)
        run = longest = 0
        for d in range(len(row)):
            run = run + 1 if row[d] else 0
            if d >= built.history_days:
                longest = max(longest, run)
        if contract.max_consecutive_work_days and longest >= contract.max_consecutive_work_days:
            out.pressure.append(
                {
                    "staff": person,
                    "rule": "consecutive days",
                    "detail": f"works {longest} days in a row, the most the contract allows",
                }
            )
        if (
            contract.max_weekends is not None
            and len(weekend_set) >= contract.max_weekends
            and len(weekend_set)
        ):
            out.pressure.append(
                {
                    "staff": person,
                    "rule": "weekends",
                    "detail": f"{len(weekend_set)} weekends, at the contract's limit",
                }
            )
        if available and abs(line.hours_gap) >= 12:
            out.pressure.append(
                {
                    "staff": person,
                    "rule": "hours",
                    "detail": f"{line.hours:g} h against {contract_hours:g} h contracted ({line.hours_gap:+g} h)",
                }
            )
        if template.max_consecutive_nights:
            longest_nights = run = 0
            for d in days:
                run = run + 1 if row[d] and built.shifts[row[d]].is_night else 0
                longest_nights = max(longest_nights, run)
            if longest_nights >= template.max_consecutive_nights and longest_nights > 1:
                out.pressure.append(
                    {
                        "staff": person,
                        "rule": "night block",
                        "detail": f"{longest_nights} nights in a row, the contract's maximum",
                    }
                )
    out.staff.sort(key=lambda s: (s.staff.last_name, s.staff.first_name))

    # Fairness among the people who could work at all (not those on leave or without current credentials).
    able = [s for s in out.staff if built.available_days[str(s.staff.pk)] > 0]
    nights = [s.nights for s in able]
    weekends = [s.weekends for s in able]
    holiday_counts = [s.holidays for s in able]
    out.fairness = {
        "gini_nights": round(gini(nights), 3),
        "gini_weekends": round(gini(weekends), 3),
        "gini_holidays": round(gini(holiday_counts), 3),
        "mean_nights": round(sum(nights) / len(nights), 2) if nights else 0,
        "mean_weekends": round(sum(weekends) / len(weekends), 2) if weekends else 0,
        "distribution": [{"measure": "Nights", "count": n} for n in nights]
        + [{"measure": "Weekends", "count": n} for n in weekends],
    }
    budget = float(period.budgeted_hours) if period.budgeted_hours is not None else None
    out.cost = {
        "hours": round(total_hours, 1),
        "budgeted_hours": budget,
        "hours_variance": round(total_hours - budget, 1) if budget is not None else None,
        "regular": regular,
        "differentials": differential,
        "overtime": overtime_cost,
        "total": total_cost,
    }
    out.credential_warnings = expiring_credentials(built)
    return out


def expiring_credentials(built: pb.Built) -> list[dict]:
    """Required credentials of people on the roster that expire within the period."""
    period = built.period
    reqs = list(
        CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False)
    )
    out = []
    for person in built.staff.values():
        held = {c.credential_type_id: c for c in person.credentials.all()}
        for r in requirements_for(person, reqs):
            cred = held.get(r.credential_type_id)
            if cred and cred.expires_on and period.start_date <= cred.expires_on <= period.end_date:
                out.append(
                    {
                        "staff": person,
                        "credential": r.credential_type.code.upper(),
                        "expires_on": cred.expires_on,
                        "note": "not rostered after this date unless renewed",
                    }
                )
    return sorted(out, key=lambda w: w["expires_on"])


def _why_uncovered(built: pb.Built, roster, day: int, code: str, skill: str | None) -> str:
    """Why the people who could work (day, shift) are not on it, as counts by cause."""
    shift = built.shifts[code]
    causes: dict[str, int] = defaultdict(int)
    date = built.date_of(day)
    for p in built.problem.staff:
        if skill and skill not in p.skills:
            continue
        if p.contract.max_shifts_per_type.get(code, 1) == 0:
            continue
        row = roster[p.id]
        if row[day] == code:
            continue
        if row[day] is not None:
            causes["on another shift"] += 1
            continue
        if day in p.days_off:
            reason = built.blocked.get((p.id, date), "day off")
            causes["credential" if ("expired" in reason or "no " in reason) else "leave / unavailable"] += 1
            continue
        forbidden = rest_forbidden_successions(built.problem.shift_types, p.contract.min_rest_hours)
        if (day > 0 and row[day - 1] and (row[day - 1], code) in forbidden) or (
            day + 1 < len(row) and row[day + 1] and (code, row[day + 1]) in forbidden
        ):
            causes["rest rule"] += 1
            continue
        paid = sum(built.shifts[c].paid_minutes for c in row if c)
        if (
            p.contract.max_paid_minutes is not None
            and paid + shift.paid_minutes > p.contract.max_paid_minutes
        ):
            causes["at contract hours"] += 1
            continue
        k = p.contract.max_consecutive_work_days
        if k:
            left = right = 0
            while day - left - 1 >= 0 and row[day - left - 1]:
                left += 1
            while day + right + 1 < len(row) and row[day + right + 1]:
                right += 1
            if left + right + 1 > k:
                causes["consecutive days"] += 1
                continue
        causes["off (weekend limit, night rules or lower cost elsewhere)"] += 1
    if not causes:
        return "nobody on the unit can work this shift"
    return "; ".join(f"{n} {c}" for c, n in sorted(causes.items(), key=lambda kv: -kv[1]))
