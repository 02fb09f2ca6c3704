"""FORMULAS.md semantics on small hand-computed cases (grouping, parts, freeze, exclusions,
missing values, screening, the charts' traps, the MDC rules and the signal explanations)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carehelm.engines.spc import SpcInputError, spc

SIGMA = 3 / 1.128


def _column(result, name: str) -> list:
    return [getattr(p, name) for p in result.points]


# --- rows to subgroups ------------------------------------------------------------------


def test_numeric_keys_sort_as_numbers_and_text_keys_as_text() -> None:
    numeric = spc([1, 2, 3], x=["10", "9", "2"], chart="run")
    assert _column(numeric, "x") == ["2", "9", "10"]
    assert _column(numeric, "y") == [3, 2, 1]
    text = spc([1, 2, 3], x=["2024-10", "2024-09", "2024-02"], chart="run")
    assert _column(text, "x") == ["2024-02", "2024-09", "2024-10"]


def test_rows_are_grouped_by_key_and_missing_keys_dropped() -> None:
    result = spc([1, 3, 5, 100], x=["a", "b", "a", None], chart="xbar")
    assert _column(result, "x") == ["a", "b"]
    assert _column(result, "y") == [3, 3]  # subgroup means


def test_a_row_missing_y_or_n_is_missing_in_both() -> None:
    # Month 1: rows (1, 10) and (5, missing n) -> only the complete row counts: 1/10.
    result = spc([1, 5, 2], x=["1", "1", "2"], n=[10, None, 10], chart="u")
    assert _column(result, "y") == [0.1, 0.2]
    assert result.points[0].cl == pytest.approx(3 / 20)


def test_c_chart_plots_the_subgroup_sum() -> None:
    result = spc([1, 2, 4, 4], x=["1", "1", "2", "3"], chart="c")
    assert _column(result, "y") == [3, 4, 4]
    cl = 11 / 3
    assert result.points[0].cl == pytest.approx(cl)
    assert result.points[0].ucl == pytest.approx(cl + 3 * math.sqrt(cl))
    assert result.points[0].lcl == 0.0  # cl − 3√cl < 0 is floored


# --- parts, freeze, exclusions, missing values -----------------------------------------


def test_exclusion_removes_the_point_and_the_moving_range_spans_the_gap() -> None:
    result = spc([1, 2, 10, 3, 4], chart="i", exclude=[3])
    point = result.points[0]
    assert point.cl == pytest.approx(2.5)  # mean of 1, 2, 3, 4
    assert point.ucl == pytest.approx(2.5 + SIGMA * 1.0)  # MRs 1, 1, 1 (2 -> 3 spans the gap)
    excluded = result.points[2]
    assert excluded.included is False and excluded.sigma_signal is True  # still flagged
    assert result.parts[0].n_useful == 4


def test_a_missing_value_drops_its_two_moving_ranges() -> None:
    result = spc([1, None, 3, 4, 6], chart="i")
    assert result.points[0].cl == pytest.approx(3.5)
    assert result.points[0].ucl == pytest.approx(3.5 + SIGMA * 1.5)  # MRs 1 and 2 only
    assert result.points[1].y is None and result.points[1].sigma_signal is False


def test_part_k_ends_the_first_part_at_point_k_and_overrides_freeze() -> None:
    result = spc([1, 2, 3, 10, 11, 12], chart="i", parts=[3], freeze=2)
    assert _column(result, "part") == [1, 1, 1, 2, 2, 2]
    assert _column(result, "cl") == [2, 2, 2, 11, 11, 11]
    assert all(_column(result, "baseline"))
    assert [p.part for p in result.parts] == [1, 2]


def test_breaks_outside_the_series_are_ignored() -> None:
    result = spc([1, 2, 3], chart="i", parts=[0, 3, 7])
    assert _column(result, "part") == [1, 1, 1]


def test_freeze_takes_limits_from_the_baseline_and_runs_from_all_points() -> None:
    result = spc([1, 3, 1, 3, 10, 10, 10], chart="i", freeze=4)
    assert _column(result, "baseline") == [True] * 4 + [False] * 3
    assert result.points[6].cl == 2.0 and result.points[6].ucl == pytest.approx(2 + SIGMA * 2)
    assert result.parts[0].n_useful == 7 and result.parts[0].longest_run == 4  # −+−++++


def test_mr_chart_uses_every_point_of_the_part_and_never_signals_runs() -> None:
    result = spc([1, 3, 2, 9], chart="mr", freeze=3)
    assert _column(result, "y") == [None, 2, 1, 7]
    assert result.points[0].cl == pytest.approx(1.5)  # MRs of base points 2 and 3
    assert result.points[0].ucl == pytest.approx(3.267 * 1.5) and result.points[0].lcl == 0.0


# --- chart traps ----------------------------------------------------------------------


def test_screening_drops_large_moving_ranges_only_when_asked() -> None:
    y = [1, 2] * 5 + [30]  # nine MRs of 1 and one of 28: AMR 3.7, 28 ≥ 3.267·3.7
    plain = spc(y, chart="i")
    screened = spc(y, chart="i", screen_mr=True)
    cl = sum(y) / len(y)
    assert plain.points[0].ucl == pytest.approx(cl + SIGMA * 3.7)
    assert screened.points[0].ucl == pytest.approx(cl + SIGMA * 1.0)


def test_g_chart_reports_the_median_and_takes_limits_from_the_mean() -> None:
    result = spc([1, 2, 3, 10], chart="g")
    assert result.points[0].cl == 2.5
    assert result.points[0].ucl == pytest.approx(4 + 3 * math.sqrt(4 * 5))
    assert result.points[0].lcl == 0.0


def test_laney_sigma_z_is_not_floored_at_one() -> None:
    # Identical proportions: z = 0 everywhere, σz = 0, the limits collapse onto the centre line.
    result = spc([10, 20, 30], n=[100, 200, 300], chart="pp")
    assert result.points[0].ucl == pytest.approx(0.1) and result.points[0].lcl == pytest.approx(0.1)


def test_xbar_pools_the_sd_when_subgroup_sizes_differ() -> None:
    # Subgroup a: 1, 3 (sd √2); subgroup b: 2, 4, 6 (sd 2). Pooled s = √((1·2 + 2·4)/3).
    result = spc([1, 3, 2, 4, 6], x=["a", "a", "b", "b", "b"], chart="xbar")
    s = math.sqrt(10 / 3)
    cl = (2 * 2 + 3 * 4) / 5
    c4_2 = math.sqrt(2 / 1) * math.exp(math.lgamma(1) - math.lgamma(0.5))
    assert result.points[0].cl == pytest.approx(cl)
    assert result.points[0].ucl == pytest.approx(cl + 3 / (c4_2 * math.sqrt(2)) * s)


def test_points_on_the_centre_line_are_not_useful() -> None:
    result = spc([1, 2, 2, 2, 3], chart="run")
    assert result.points[0].cl == 2
    assert result.parts[0].n_useful == 2 and result.parts[0].n_crossings == 1


def test_long_run_signal_uses_the_strict_limit() -> None:
    # Median 5; 14 useful points: longest_run_max = round(log2 14) + 3 = 7 and
    # n_crossings_min = qbinom(0.05, 13, ½) = 4 (P(X ≤ 3) = 378/8192 < 0.05 ≤ P(X ≤ 4)).
    result = spc([1] * 7 + [9] * 7 + [5], chart="run")
    part = result.parts[0]
    assert result.points[0].cl == 5 and part.n_useful == 14
    assert (part.longest_run, part.longest_run_max) == (7, 7)  # 7 is not > 7: no long-run signal
    assert (part.n_crossings, part.n_crossings_min) == (1, 4)  # but 1 < 4 crossings is a signal
    assert part.runs_signal is True
    assert [s.kind for s in result.signals] == ["few_crossings"]


def test_undefined_limits_are_none_never_nan() -> None:
    result = spc([5], chart="i")
    point = result.points[0]
    assert point.cl == 5 and point.lcl is None and point.ucl is None and point.sigma_signal is False
    assert result.to_dict()["points"][0]["ucl"] is None


# --- Making Data Count ------------------------------------------------------------------


def test_mdc_uses_2_66_not_3_over_1_128() -> None:
    result = spc([1, 3, 1, 3, 1], chart="i", rules="mdc")
    assert result.points[0].ucl == pytest.approx(1.8 + 2.66 * 2)
    assert result.points[0].near_ucl == pytest.approx(1.8 + 2 * 2.66 / 3 * 2)


def test_mdc_shift_is_broken_by_a_point_on_the_mean() -> None:
    # Baseline 2, 4: mean 3, AMR 2, near-limit lines 3 ∓ 3.55, limits 3 ∓ 5.32 (nothing close).
    shifted = spc([2, 4, 4, 5, 4, 4, 5, 4, 5], chart="i", rules="mdc", freeze=2, improvement="decrease")
    assert shifted.points[0].cl == 3
    assert [p.rule for p in shifted.points] == [None] + ["shift"] * 8
    assert {p.special_cause for p in shifted.points[1:]} == {"special_cause_concern"}
    # The same with a value exactly on the mean: runs of 4 and 3 above, no shift.
    broken = spc([2, 4, 4, 5, 4, 3, 5, 4, 5], chart="i", rules="mdc", freeze=2)
    assert [p.special_cause for p in broken.points] == ["common_cause"] * 9


def test_mdc_trend_is_broken_by_an_equal_value_and_points_take_their_direction() -> None:
    rising = [5, 1, 2, 3, 4, 5, 6, 7, 3, 4, 3]
    result = spc(rising, chart="i", rules="mdc", improvement="decrease")
    assert [p.rule for p in result.points[1:8]] == ["trend"] * 7
    assert {p.special_cause for p in result.points[1:8]} == {"special_cause_concern"}
    tied = spc([5, 1, 2, 3, 3, 5, 6, 7, 3, 4, 3], chart="i", rules="mdc")
    assert "trend" not in {p.rule for p in tied.points}


def test_mdc_icons_follow_the_improvement_direction() -> None:
    y = [0] * 7 + [1] * 7
    assert spc(y, chart="i", rules="mdc", improvement="increase").variation_icon == "improvement_high"
    assert spc(y, chart="i", rules="mdc", improvement="decrease").variation_icon == "concern_high"
    assert spc(y, chart="i", rules="mdc", improvement="neutral").variation_icon == "neutral_high"
    low = [1] * 7 + [0] * 7
    assert spc(low, chart="i", rules="mdc", improvement="increase").variation_icon == "concern_low"
    assert spc(low, chart="i", rules="mdc", improvement="decrease").variation_icon == "improvement_low"


def test_assurance_uses_the_last_part() -> None:
    y = [10, 11, 10, 11, 10, 1, 2, 1, 2, 1]
    result = spc(y, chart="i", rules="mdc", parts=[5], target=5)
    # last part: mean 1.4, AMR 1, UPL 4.06 < target 5 -> with increase the target is never met.
    assert result.points[-1].ucl == pytest.approx(1.4 + 2.66)
    assert result.assurance_icon == "fail"


# --- explanations -----------------------------------------------------------------------


def test_mdc_signal_is_explained_in_words() -> None:
    x = [f"2024-{m:02d}" for m in range(1, 15)]
    # mean 33/14, AMR 27/13: no point near or beyond a limit, two shifts of 7.
    result = spc([0, 2, 0, 2, 0, 2, 0, 3, 5, 3, 5, 3, 5, 3], x=x, chart="i", rules="mdc")
    assert result.explain() == [
        "7 points below the mean from 2024-01 to 2024-07: special cause, concern.",
        "7 points above the mean from 2024-08 to 2024-14: special cause, improvement.",
    ]
    assert result.signals[1].verdict == "special cause, improvement"
    assert result.signals[1].first == 7 and result.signals[1].last == 13


def test_anhoej_signals_are_explained_in_words() -> None:
    long_run = spc([1] * 8 + [9] * 7 + [5], x=[f"w{k:02d}" for k in range(16)], chart="run")
    (signal,) = [s for s in long_run.signals if s.kind == "long_run"]
    assert signal.text.startswith("8 points in a row below the centre line from w00 to w07 (more than 7")
    outlier = spc([1, 2, 1, 2, 1, 2, 1, 2, 1, 40], chart="i", exclude=[10])
    (signal,) = [s for s in outlier.signals if s.kind == "outside_limits"]
    assert signal.first == 9 and "above the upper control limit" in signal.text


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [1, 2], "chart": "p"}, "needs a denominator"),
        ({"y": [1, 2], "n": [1, 0], "chart": "p"}, "greater than 0"),
        ({"y": [1, 3], "n": [2, 2], "chart": "p"}, "larger than its denominator"),
        ({"y": [1, -2], "chart": "c"}, "cannot be negative"),
        ({"y": [1, 0], "chart": "t"}, "greater than 0"),
        ({"y": [1, 2], "chart": "s", "rules": "mdc"}, "XmR"),
        ({"y": [1, None], "chart": "i", "rules": "mdc"}, "no value"),
        ({"y": [1, 2], "chart": "i", "exclude": [3]}, "does not exist"),
        ({"y": [1, 2], "chart": "zz"}, "unknown chart"),
        ({"y": [1, "two"], "chart": "i"}, "'two' is not a number"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(SpcInputError, match=message):
        spc(**kwargs)


def test_errors_name_the_row() -> None:
    with pytest.raises(SpcInputError) as error:
        spc([1, 2, 3], n=[5, 5, 0], chart="u")
    assert error.value.row == 2 and error.value.field == "n"


def test_progress_is_reported_per_part() -> None:
    seen: list[tuple[int, int]] = []
    spc(np.arange(10.0), chart="i", parts=[4, 7], on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


# --- engine API for dashboards ----------------------------------------------------------


def test_date_keys_sort_chronologically_and_serialise_as_iso() -> None:
    import datetime as dt

    keys = [dt.date(2024, 3, 1), dt.date(2024, 1, 1), None, dt.date(2024, 2, 1)]
    result = spc(np.array([3.0, 1.0, 99.0, 2.0]), x=keys, chart="run")
    assert [p["x"] for p in result.to_dict()["points"]] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert [p.rows for p in result.points] == [(1,), (3,), (0,)]


def test_extended_document_carries_rules_and_signals() -> None:
    y = [0, 2, 0, 2, 0, 2, 0, 3, 5, 3, 5, 3, 5, 3]
    document = spc(y, chart="i", rules="mdc", improvement="neutral").to_dict(extended=True)
    assert document["points"][-1]["rule"] == "shift" and document["points"][-1]["direction"] == 1
    assert document["points"][-1]["special_cause"] == "special_cause_neutral_high"
    assert document["points"][0]["special_cause"] == "special_cause_neutral_low"
    assert document["variation_icon"] == "neutral_high" and document["assurance_icon"] is None
    assert [s["verdict"] for s in document["signals"]] == ["special cause, neutral"] * 2
    assert "signals" not in spc(y, chart="i").to_dict()
