"""The ``negsim`` command line: run | tomahawk | validate | list | schema.

User mistakes (bad scenario, bad parameters, unwritable output) print one line per
problem on stderr, prefixed ``negsim: error:``, and exit with code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from negsim.economies import cp
from negsim.results import OutputError, atomic_write, check_output_dir
from negsim.scenario import ScenarioError, json_schema, load_scenario

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake reported as one line with exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="negsim", description="Agent-based New Economic Geography simulations."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key with a TOML literal, e.g. economy.transport_cost=1.7",
    )
    run.add_argument("--seed", type=int, help="override run.seed")
    run.add_argument("--out", type=Path, help="output directory (default runs/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    tom = sub.add_parser("tomahawk", help="break and sustain points of the two-region CP model")
    tom.add_argument("--sigma", type=float, required=True, help="elasticity of substitution σ > 1")
    tom.add_argument("--mu", type=float, required=True, help="manufacturing share μ in (0, 1)")
    tom.add_argument("--json", action="store_true", help="print JSON")
    tom.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the tomahawk diagram")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("scenarios", type=Path, nargs="+")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    lst = sub.add_parser("list", help="list the scenarios in a folder")
    lst.add_argument("folder", type=Path, nargs="?", default=Path("scenarios"))

    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from negsim.runner import run

    scenario = load_scenario(args.scenario, args.overrides, args.seed)
    out = check_output_dir(args.out or Path("runs") / scenario.name, scenario)
    result = run(scenario, progress=not args.quiet)
    result.save(out)
    print(_human_summary(result.summary))
    print(f"  wrote {out}/: timeseries.csv summary.json scenario.resolved.toml shares.png")
    return 0


def _human_summary(summary: dict) -> str:
    shares = ", ".join(f"{name} {share:.3f}" for name, share in summary["final_shares"].items())
    settled = "settled" if summary["converged"] else "not settled"
    lines = [
        f"{summary['scenario']}: {summary['regime']}"
        + (f", core {summary['core']}" if summary["core"] else "")
        + f" after {summary['steps']} steps ({settled}; seed {summary['seed']})",
        f"  final shares of mobile workers: {shares}",
    ]
    theory = summary.get("theory")
    if theory:
        lines.append(
            f"  theory: T={theory['transport_cost']:g}, "
            f"break point T_B={theory['break_point']['T']:.4f}, "
            f"sustain point T_S={theory['sustain_point']['T']:.4f} → {theory['prediction']}"
        )
    return "\n".join(lines)


def cmd_tomahawk(args: argparse.Namespace) -> int:
    try:
        tb = cp.break_point(args.sigma, args.mu)
        ts = cp.sustain_point(args.sigma, args.mu)
    except cp.BlackHoleError as exc:
        raise UsageError(f"--sigma {args.sigma} --mu {args.mu}: {exc}") from None
    if args.plot:
        from negsim.plots import plot_tomahawk, save_figure

        if not args.plot.parent.is_dir():
            raise UsageError(f"--plot {args.plot}: folder {args.plot.parent} does not exist")
        try:
            atomic_write(args.plot, lambda p: save_figure(plot_tomahawk(args.sigma, args.mu), p))
        except OSError as exc:
            raise UsageError(f"--plot {args.plot}: cannot write: {exc.strerror or exc}") from None
    if args.json:
        print(
            json.dumps(
                {
                    "sigma": args.sigma,
                    "mu": args.mu,
                    "break_point": {"T": tb.T, "phi": tb.phi},
                    "sustain_point": {"T": ts.T, "phi": ts.phi},
                }
            )
        )
    else:
        print(f"Core–periphery model, σ = {args.sigma:g}, μ = {args.mu:g}")
        print(
            f"  break point:   T_B = {tb.T:.6f}   φ_B = {tb.phi:.6f}"
            "  (even spread unstable below T_B)"
        )
        print(
            f"  sustain point: T_S = {ts.T:.6f}   φ_S = {ts.phi:.6f}  (core sustainable below T_S)"
        )
        if args.plot:
            print(f"  wrote {args.plot}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    errors = []
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, args.overrides)
            print(f"{path}: ok ({scenario.economy.model}, {scenario.n_regions} regions)")
        except ScenarioError as exc:
            errors.append(str(exc))
    if errors:
        raise UsageError("\n".join(errors))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    files = sorted(args.folder.glob("*.toml"))
    if not files:
        raise UsageError(f"{args.folder}: no scenario files (*.toml) found")
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(f"{path}: INVALID: {str(exc).splitlines()[0]}")
            continue
        print(f"{path}: {scenario.description or scenario.name}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


COMMANDS = {
    "run": cmd_run,
    "tomahawk": cmd_tomahawk,
    "validate": cmd_validate,
    "list": cmd_list,
    "schema": cmd_schema,
}


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, ScenarioError, OutputError, cp.EquilibriumError) as exc:
        for line in str(exc).splitlines():
            print(f"negsim: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
