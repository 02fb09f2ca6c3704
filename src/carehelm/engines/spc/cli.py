"""``carehelm spc``: control charts from a CSV file (the contract in FORMULAS.md).

    carehelm spc FILE.csv --chart {run,i,mr,xbar,s,t,p,pp,c,u,up,g} --y COL [--x COL] [--n COL]
                 [--freeze K] [--part K [K ...]] [--exclude I [I ...]] [--screen-mr]
                 [--rules anhoej|mdc] [--improvement increase|decrease|neutral] [--target V] --json

``main(argv) -> int``: 0 on success, 2 on bad input (a one-line error on stderr naming the file,
line and column; no traceback). With ``--json`` it prints the result document; without, a
table of the points and the signals explained in words.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from carehelm.engines.spc.chart import CHARTS, IMPROVEMENTS, RULES, SpcInputError, spc
from carehelm.engines.spc.csv_input import CsvInputError, read_chart_columns
from carehelm.engines.spc.result import SpcResult


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carehelm spc", description="Statistical process control chart of a CSV column."
    )
    parser.add_argument("file", metavar="FILE.csv")
    parser.add_argument("--chart", required=True, choices=CHARTS)
    parser.add_argument("--y", required=True, metavar="COL", help="values (counts for p, pp, c, u, up)")
    parser.add_argument(
        "--x", metavar="COL", help="subgroup key (date, sample number...); rows are grouped by it"
    )
    parser.add_argument("--n", metavar="COL", help="denominator (required for p, pp, u, up)")
    parser.add_argument("--freeze", type=int, metavar="K", help="baseline = points 1..K")
    parser.add_argument("--part", type=int, nargs="+", metavar="K", default=[], help="new part after point K")
    parser.add_argument(
        "--exclude", type=int, nargs="+", metavar="I", default=[], help="points left out of the limits"
    )
    parser.add_argument("--screen-mr", action="store_true", help="drop moving ranges ≥ 3.267·AMR")
    parser.add_argument("--rules", choices=RULES, default="anhoej")
    parser.add_argument("--improvement", choices=IMPROVEMENTS, default="increase")
    parser.add_argument("--target", type=float)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _finite_json(value: object) -> object:
    # Guard for the "never NaN in JSON" rule: any non-finite float becomes null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    return value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _print_table(result: SpcResult) -> None:
    print(f"{result.chart} chart, {result.rules} rules")
    print(f"{'x':>12} {'y':>12} {'cl':>12} {'lcl':>12} {'ucl':>12} part signal")
    for p in result.points:
        flag = p.special_cause if result.rules == "mdc" else ("*" if p.sigma_signal else "")
        print(
            f"{str(p.x):>12} {_number(p.y):>12} {_number(p.cl):>12} {_number(p.lcl):>12} "
            f"{_number(p.ucl):>12} {p.part:>4} {flag}"
        )
    for part in result.parts:
        if not part.n_useful:
            print(f"part {part.part}: no useful points for the runs analysis")
            continue
        print(
            f"part {part.part}: {part.n_useful} useful points, longest run {part.longest_run} "
            f"(max {part.longest_run_max}), crossings {part.n_crossings} (min {part.n_crossings_min}), "
            f"runs signal: {'yes' if part.runs_signal else 'no'}"
        )
    if result.rules == "mdc":
        print(f"variation icon: {result.variation_icon}; assurance icon: {result.assurance_icon}")
    for text in result.explain() or ["No signal: common-cause variation only."]:
        print(text)


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage error
        return int(exit_.code or 0)
    try:
        columns = read_chart_columns(args.file, args.y, args.x, args.n)
        try:
            result = spc(
                columns.y,
                columns.x,
                columns.n,
                chart=args.chart,
                freeze=args.freeze,
                parts=args.part,
                exclude=args.exclude,
                screen_mr=args.screen_mr,
                rules=args.rules,
                improvement=args.improvement,
                target=args.target,
            )
        except SpcInputError as error:
            if error.row is not None:
                column = {"y": args.y, "x": args.x, "n": args.n}.get(error.field or "y", args.y)
                raise CsvInputError(
                    f"{args.file}: line {columns.lines[error.row]}, column '{column}': {error}"
                ) from None
            raise CsvInputError(f"{args.file}: {error}") from None
    except CsvInputError as error:
        print(f"carehelm spc: error: {error}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(_finite_json(result.to_dict()), allow_nan=False))
        else:
            _print_table(result)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
