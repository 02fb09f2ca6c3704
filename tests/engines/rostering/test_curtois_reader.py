"""The Curtois & Qu reader: sizes from FORMAT.md, and bad files name the line at fault."""

import pytest

from carehelm.engines.rostering.curtois import parse_instance, read_instance
from carehelm.engines.rostering.model import ProblemError

GOOD = """# comment
SECTION_HORIZON
14

SECTION_SHIFTS
D,480,
N,600,D

SECTION_STAFF
A,D=14|N=3,4320,3360,5,2,2,1
B,D=14|N=0,4320,3360,5,2,2,1

SECTION_DAYS_OFF
A,0,3

SECTION_SHIFT_ON_REQUESTS
B,2,D,2

SECTION_SHIFT_OFF_REQUESTS
A,5,N,3

SECTION_COVER
0,D,1,100,1
"""


@pytest.mark.parametrize(
    "n, days, staff, types",
    [(1, 14, 8, 1), (2, 14, 14, 2), (3, 14, 20, 3), (7, 28, 20, 3), (13, 28, 120, 18)],
)
def test_instance_sizes_match_the_published_table(instance_path, n, days, staff, types):
    problem = read_instance(instance_path(n))
    assert (problem.horizon_days, len(problem.staff), len(problem.shift_types)) == (days, staff, types)


def test_rows_become_rules():
    p = parse_instance(GOOD, name="tiny")
    a, b = p.staff
    assert a.days_off == frozenset({0, 3})
    assert a.contract.max_shifts_per_type == {"D": 14, "N": 3}
    assert b.contract.max_shifts_per_type["N"] == 0
    assert (a.contract.max_paid_minutes, a.contract.min_paid_minutes) == (4320, 3360)
    assert (a.contract.max_consecutive_work_days, a.contract.min_consecutive_work_days) == (5, 2)
    assert a.contract.max_weekends == 1
    assert p.forbidden_successions == frozenset({("N", "D")})
    assert p.shift_on_requests[0].weight == 2 and p.shift_off_requests[0].shift_id == "N"
    assert p.cover[0].under_weight == 100 and p.cover[0].over_weight == 1


@pytest.mark.parametrize(
    "old, new, line, words",
    [
        ("D,480,", "D,abc,", 6, "LengthMins"),
        ("N,600,D", "N,600,X", 7, "unknown shift 'X'"),
        ("A,D=14|N=3,4320", "A,D=14|Q=3,4320", 10, "MaxShifts"),
        ("B,2,D,2", "Z,2,D,2", 17, "unknown staff 'Z'"),
        ("A,5,N,3", "A,99,N,3", 20, "outside the horizon"),
        ("0,D,1,100,1", "0,D,1,100", 23, "expected 5"),
        ("B,D=14|N=0,4320,3360,5,2,2,1", "B,D=14|N=0,4320,3360,5,2,2,-1", 11, "MaxWeekends"),
    ],
)
def test_bad_files_name_the_line_and_field(old, new, line, words):
    with pytest.raises(ProblemError) as err:
        parse_instance(GOOD.replace(old, new), source="bad.txt")
    message = str(err.value)
    assert f"bad.txt line {line}:" in message
    assert words in message


def test_data_outside_a_section_is_rejected_with_its_line():
    with pytest.raises(ProblemError, match="line 1: data outside any SECTION_"):
        parse_instance("14\n" + GOOD, source="x.txt")


def test_missing_horizon_is_reported():
    with pytest.raises(ProblemError, match="missing or empty SECTION_HORIZON"):
        parse_instance(GOOD.replace("SECTION_HORIZON\n14\n", ""), source="x.txt")
