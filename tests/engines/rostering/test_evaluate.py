"""The independent evaluator on hand-checked small rosters (boundary rules exactly as FORMAT.md)."""

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import (
    Contract,
    CoverRequirement,
    PinnedAssignment,
    Problem,
    ShiftRequest,
    ShiftType,
    StaffMember,
)

E = ShiftType("E", 480, start_minute=7 * 60)
L = ShiftType("L", 480, start_minute=15 * 60)
N = ShiftType("N", 480, start_minute=23 * 60)


def problem(days=7, contract=Contract(), **kw) -> Problem:
    staff = kw.pop("staff", (StaffMember("A", contract), StaffMember("B", contract)))
    return Problem("tiny", days, (E, L, N), staff, **kw)


def rules(p: Problem, roster) -> list[str]:
    return sorted(v.rule for v in evaluate(p, roster).violations)


def off(days):
    return [None] * days


def test_objective_counts_requests_and_weighted_cover_by_hand():
    p = problem(
        cover=(
            CoverRequirement(0, "E", 0, 100, 1),  # A works it: 1 over  -> 1
            CoverRequirement(1, "E", 2, 100, 1),  # only A: 1 under    -> 100
            CoverRequirement(2, "L", 1, 100, 1),  # B works it: met    -> 0
        ),
        shift_on_requests=(ShiftRequest("B", 0, "E", 2), ShiftRequest("A", 1, "E", 5)),  # 2 unmet, 0
        shift_off_requests=(
            ShiftRequest("A", 0, "E", 3),
            ShiftRequest("B", 2, "E", 1),
        ),  # 3 granted-against, 0
    )
    roster = {"A": ["E", "E", None, None, None, None, None], "B": [None, None, "L", "L", None, None, None]}
    result = evaluate(p, roster)
    assert (result.objective, result.cover_penalty, result.request_penalty) == (106, 101, 5)
    assert result.violations == []


def test_rest_is_computed_from_real_times_across_midnight():
    p = problem(contract=Contract(min_rest_hours=11))
    # N ends 07:00 next day: E (07:00) and L (15:00) the day after are too soon; N again is fine.
    assert rules(p, {"A": ["N", "E", None, None, None, None, None], "B": off(7)}) == ["succession"]
    assert rules(p, {"A": ["N", "L", None, None, None, None, None], "B": off(7)}) == ["succession"]
    assert rules(p, {"A": ["N", "N", None, None, None, None, None], "B": off(7)}) == []
    # L ends 23:00, E starts 07:00: 8 h of rest
    assert rules(p, {"A": ["L", "E", None, None, None, None, None], "B": off(7)}) == ["succession"]
    assert rules(problem(), {"A": ["L", "E", None, None, None, None, None], "B": off(7)}) == []


def test_short_blocks_touching_the_horizon_edges_are_exempt():
    p = problem(contract=Contract(min_consecutive_work_days=2, min_consecutive_days_off=2))
    assert rules(p, {"A": ["E", None, None, None, None, None, "E"], "B": off(7)}) == []
    # a one-day block inside the horizon breaks the minimum
    assert rules(p, {"A": [None, None, "E", None, None, None, None], "B": off(7)}) == ["min_consecutive"]
    # a one-day rest between two blocks breaks the minimum rest block
    assert rules(p, {"A": ["E", "E", None, "E", "E", None, None], "B": off(7)}) == ["min_days_off"]
    # a one-day rest at the start is exempt
    assert rules(p, {"A": [None, "E", "E", None, None, None, None], "B": off(7)}) == []


def test_max_consecutive_counts_from_the_horizon_start():
    p = problem(contract=Contract(max_consecutive_work_days=3))
    assert rules(p, {"A": ["E", "E", "E", "E", None, None, None], "B": off(7)}) == ["max_consecutive"]
    assert rules(p, {"A": ["E", "E", "E", None, "E", "E", "E"], "B": off(7)}) == []


def test_weekends_minutes_types_days_off_and_pins():
    contract = Contract(
        max_weekends=1, max_paid_minutes=480 * 3, min_paid_minutes=480, max_shifts_per_type={"N": 0}
    )
    staff = (StaffMember("A", contract, days_off=frozenset({2})), StaffMember("B", contract))
    p = problem(days=14, staff=staff, pinned=(PinnedAssignment("B", 0, "E"),))
    roster = {
        "A": [None, None, "E", None, None, "E", None, None, None, None, None, None, "N", "E"],
        "B": off(14),
    }
    # A: day off 2 worked, 2 weekends (Sat 5, Sat 12 / Sun 13), N forbidden, 4 shifts > 3.
    # B: pinned E on day 0 not kept, and works 0 minutes < 480.
    assert rules(p, roster) == sorted(
        ["day_off", "max_weekends", "max_shifts", "max_minutes", "pinned", "min_minutes"]
    )


def test_roster_shape_errors_are_violations():
    p = problem()
    result = evaluate(p, {"A": ["E"] * 3, "Z": off(7)})
    assert {v.rule for v in result.violations} == {"roster"}
    assert len(result.violations) == 3  # A too short, B missing, Z unknown
