"""``carehelm roster`` commands: solve, check and bench (no Django needed).

    carehelm roster solve INSTANCE.txt --time-limit 60 --workers 2 [--seed 0] --out roster.json
    carehelm roster check INSTANCE.txt roster.json      # objective + violations, exit 1 if any
    carehelm roster bench [--instances 1-24] [--time-limit 60] [--workers 2]

``roster.json`` is ``{"instance", "objective", "lower_bound", "roster": {staff: [shift or null, ...]}}``.
Exit codes: 0 success, 1 hard violations (check) or no roster found (solve), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .benchmark import DEFAULT_DATA, DEFAULT_RESULTS, parse_range, run_benchmark
from .curtois import read_instance
from .evaluate import evaluate
from .model import ProblemError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carehelm roster", description="Nurse-rostering engine (CP-SAT).")
    sub = parser.add_subparsers(dest="command", required=True)

    solve = sub.add_parser("solve", help="solve a Curtois & Qu instance and write roster.json")
    solve.add_argument("instance", type=Path)
    solve.add_argument("--time-limit", type=float, default=60.0)
    solve.add_argument("--workers", type=int, default=2)
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--out", type=Path, required=True)
    solve.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    check = sub.add_parser("check", help="objective and hard violations of a roster.json")
    check.add_argument("instance", type=Path)
    check.add_argument("roster", type=Path)

    bench = sub.add_parser("bench", help="run the benchmark and write the results table")
    bench.add_argument("--instances", default="1-24", help="e.g. 1-24 or 1,3,5-7")
    bench.add_argument("--time-limit", type=float, default=60.0)
    bench.add_argument("--workers", type=int, default=2)
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with InstanceN.txt and best_known.csv"
    )
    bench.add_argument("--out", type=Path, default=DEFAULT_RESULTS)
    bench.add_argument("--no-progress", action="store_true")
    return parser


def _solve(args) -> int:
    from tqdm import tqdm

    from .solver import solve

    problem = read_instance(args.instance)
    bar = tqdm(total=round(args.time_limit), unit="s", desc=problem.name, disable=args.no_progress)

    def show(p) -> None:
        bar.n = min(bar.total, int(p.elapsed))
        bar.set_postfix(best=p.objective, lb=p.lower_bound, phase=p.phase)
        bar.refresh()

    result = solve(
        problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed, on_progress=show
    )
    bar.n = bar.total
    bar.close()
    if result.roster is None:
        print(f"{problem.name}: no roster found ({result.status})", file=sys.stderr)
        return 1
    payload = {
        "instance": problem.name,
        "objective": result.objective,
        "lower_bound": result.lower_bound,
        "status": result.status,
        "roster": result.roster,
    }
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(args.out)
    print(f"{problem.name}: objective {result.objective}, lower bound {result.lower_bound}, {result.status}")
    return 0


def _load_roster(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ProblemError(f"{path} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    roster = payload.get("roster") if isinstance(payload, dict) else None
    if not isinstance(roster, dict) or not all(isinstance(v, list) for v in roster.values()):
        raise ProblemError(f"{path}: field 'roster' must map each staff ID to a list of shift IDs or null")
    return roster


def _check(args) -> int:
    problem = read_instance(args.instance)
    evaluation = evaluate(problem, _load_roster(args.roster))
    print(
        f"{problem.name}: objective {evaluation.objective} "
        f"(requests {evaluation.request_penalty}, cover {evaluation.cover_penalty})"
    )
    for v in evaluation.violations:
        print(f"  violation [{v.rule}] {v.message}")
    print(f"{len(evaluation.violations)} hard violation(s)")
    return 1 if evaluation.violations else 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            return _solve(args)
        if args.command == "check":
            return _check(args)
        numbers = parse_range(args.instances)
        run_benchmark(
            numbers,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            data=args.data,
            out=args.out,
            command="carehelm roster " + " ".join(argv),
            progress=not args.no_progress,
        )
        print(f"results written to {args.out}")
        return 0
    except (ProblemError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
