"""The ``negsim`` command line: run | rest-point | calibrate | tomahawk | racetrack | verify |
validate | list | init | schema | places.

User mistakes (bad scenario, bad parameters, unwritable output) print one line per
problem on stderr, prefixed ``negsim: error:``, and exit with code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from negsim import economies, shipped
from negsim.economies.base import EquilibriumError
from negsim.output import OutputError, atomic_write
from negsim.resources import ResourceError, add_force_argument
from negsim.sweeps.cli import add_sweep_parsers, cmd_plot, cmd_sweep

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake reported as one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with negsim's one-line errors: a bad argument prints one line naming the
    command and exits 2 (``negsim run -h`` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"negsim: error: {self.prog}: {message}\n")


@functools.cache
def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="negsim", description="Agent-based New Economic Geography simulations.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument(
        "scenario", type=Path, help="scenario TOML file, or the name of a shipped one (negsim list)"
    )
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
    run.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    run.add_argument(
        "--baseline",
        action="store_true",
        help="also run without the scenario's policies (same seed); write effects.csv/.png",
    )
    add_force_argument(run)

    rest = sub.add_parser(
        "rest-point",
        help="the rest point a scenario's agents head for, by the mean-field dynamics and a "
        "direct solve (fast; no agents, no policies)",
    )
    rest.add_argument("scenario", type=Path, help="scenario TOML file, or a shipped name")
    rest.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    rest.add_argument("--seed", type=int, help="override run.seed (initial perturbation)")
    rest.add_argument("--json", action="store_true", help="print JSON")
    add_force_argument(rest)

    cal = sub.add_parser(
        "calibrate",
        help="recover the amenities that make observed shares a rest point; write the "
        "calibrated scenario",
    )
    cal.add_argument("scenario", type=Path, help="scenario TOML file, or a shipped name")
    cal.add_argument(
        "--target",
        default="population",
        metavar="population|COLUMN",
        help="the observed distribution: a column of the table of places (default population;"
        " without a table: population.initial_shares)",
    )
    cal.add_argument("--out", type=Path, required=True, metavar="CALIBRATED.toml")
    cal.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    add_force_argument(cal)

    tom = sub.add_parser("tomahawk", help="break and sustain points of two symmetric regions")
    _add_model_arguments(tom)
    tom.add_argument(
        "--sigma", type=float, help="elasticity of substitution σ > 1 (default 5; linear has none)"
    )
    tom.add_argument(
        "--mu", type=float, help="manufacturing share μ in (0, 1) (default 0.4; linear 0.1)"
    )
    tom.add_argument(
        "--housing-share", type=float, default=0.0, help="cp: housing share η (congestion)"
    )
    tom.add_argument(
        "--expenditure-share",
        type=float,
        default=0.6,
        help="fc: region 1's share of expenditure s_E (the home-market effect needs ≠ 1/2)",
    )
    tom.add_argument("--json", action="store_true", help="print JSON")
    tom.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the bifurcation diagram")
    tom.add_argument(
        "--welfare",
        type=Path,
        metavar="FILE.png",
        help="draw utilitarian welfare of agglomeration vs dispersion against trade freeness, "
        "and report where the ranking changes",
    )

    race = sub.add_parser("racetrack", help="stability of the even spread on a racetrack, by mode")
    race.add_argument("--regions", type=int, required=True, help="number of places R on the circle")
    race.add_argument(
        "--transport-cost", type=float, required=True, help="iceberg cost T between neighbours"
    )
    race.add_argument("--sigma", type=float, help="σ (default 5; linear has none)")
    race.add_argument("--mu", type=float, help="μ (default 0.4; linear 0.1)")
    race.add_argument("--housing-share", type=float, default=0.0, help="housing share η")
    _add_model_arguments(race)
    race.add_argument("--json", action="store_true", help="print JSON")
    add_force_argument(race)

    ver = sub.add_parser(
        "verify",
        help="recompute every published anchor (thresholds, closed forms) by an independent "
        "route; exit 1 on any failure",
    )
    ver.add_argument("--json", action="store_true", help="print JSON")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("scenarios", type=Path, nargs="+", help="files or shipped scenario names")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    lst = sub.add_parser("list", help="list the shipped scenarios and sweeps, or a folder's")
    lst.add_argument("folder", type=Path, nargs="?", help="list this folder's scenario files")

    init = sub.add_parser("init", help="write a commented scenario template to edit")
    init.add_argument("name", help="NAME writes NAME.toml (a name ending in .toml: that path)")
    init.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=Path(shipped.DEFAULT_SCENARIO),
        metavar="SCENARIO",
        help=f"take the values of this scenario file or shipped name "
        f"(default {shipped.DEFAULT_SCENARIO})",
    )

    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    pl = sub.add_parser("places", help="write a table of places from the offline gazetteer")
    pl.add_argument("--country", required=True, help="ISO 3166 country code, e.g. CN")
    pl.add_argument(
        "--admin1", nargs="+", action="extend", default=[], help="provinces: names or codes"
    )
    pl.add_argument("--min-population", type=int, default=15000, help="default 15000")
    pl.add_argument("--names", help="only these places, comma-separated (A,B,...)")
    pl.add_argument("--max-places", type=int, help="keep the K largest")
    pl.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    add_sweep_parsers(sub)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from negsim.output import claim, folder_name, output_files, write_results
    from negsim.resources import check_run
    from negsim.runner import run, run_with_baseline
    from negsim.scenario import load_scenario

    scenario = load_scenario(shipped.resolve(args.scenario, "scenarios"), args.overrides, args.seed)
    check_run(scenario, str(args.scenario), force=args.force)
    with claim(args.out or Path("runs") / folder_name(scenario.name), scenario) as out:
        baseline = None
        if args.baseline:
            result, baseline = run_with_baseline(scenario, progress=not args.quiet)
        else:
            result = run(scenario, progress=not args.quiet)
        write_results(result, out)
    if args.quiet:
        return 0
    print(_human_summary(result.summary))
    if args.baseline:
        print(_effect_line(result.summary["policy_effect"]))
    if baseline is not None and len(baseline.welfare):
        from negsim.effects import welfare_line

        print(f"  against the baseline: {welfare_line(baseline.welfare, result.welfare)}")
    print(f"  wrote {out}/: {' '.join(output_files(scenario, args.baseline))}")
    return 0


def _effect_line(effect: dict) -> str:
    gain, loss = effect["largest_gainer"], effect["largest_loser"]
    return (
        f"  against the baseline: largest gain {gain or '-'} {effect['largest_gain_pp']:+.2f} pp,"
        f" largest loss {loss or '-'} {effect['largest_loss_pp']:+.2f} pp;"
        f" regime {effect['regime_baseline']} -> {effect['regime_policy']}"
    )


def cmd_rest_point(args: argparse.Namespace) -> int:
    from negsim.resources import check_run
    from negsim.runner import rest_point
    from negsim.scenario import load_scenario

    scenario = load_scenario(shipped.resolve(args.scenario, "scenarios"), args.overrides, args.seed)
    check_run(scenario, str(args.scenario), force=args.force)
    found = rest_point(scenario)
    if args.json:
        print(json.dumps(found))
        return 0
    shares = sorted(found["shares"].items(), key=lambda kv: -kv[1])
    print(
        f"{found['scenario']}: rest point {found['regime']}"
        f" ({'stable' if found['stable'] else 'NOT stable'};"
        f" {found['mean_field_steps']} mean-field steps)"
    )
    print("  shares: " + ", ".join(f"{name} {share:.6f}" for name, share in shares[:8]))
    print(
        f"  residual {found['residual']:.3g} (a run of the scenario's agents settles within "
        f"{found['agent_tolerance']:.3g})"
    )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from negsim.calibration import CalibrationError, calibrate, stability_line, write
    from negsim.rest_point import JACOBIAN_MAX_PLACES
    from negsim.scenario import load_scenario

    source = shipped.resolve(args.scenario, "scenarios")
    if args.out.resolve() == source.resolve():
        raise UsageError(f"calibrate: --out {args.out} is the scenario itself; choose another file")
    if not args.out.parent.is_dir():
        raise UsageError(f"calibrate: --out {args.out}: folder {args.out.parent} does not exist")
    scenario = load_scenario(source, args.overrides)
    if scenario.n_regions > JACOBIAN_MAX_PLACES and not args.force:
        raise ResourceError(
            f"calibrate: {scenario.n_regions} places: the stability report needs R + 1 "
            f"short-run solves of R places (O(R⁴), ~8 s at {JACOBIAN_MAX_PLACES}); pass --force "
            "to calibrate anyway"
        )
    try:
        found = calibrate(scenario, args.target)
    except CalibrationError as exc:
        raise UsageError(f"calibrate: {exc}") from None
    try:
        write(found, args.out, str(args.scenario))
    except OSError as exc:
        raise UsageError(
            f"calibrate: --out {args.out}: cannot write: {exc.strerror or exc}"
        ) from None
    print(
        f"{scenario.name}: amenities that make the observed {args.target} shares a rest point "
        f"(noise {scenario.behaviour.noise:g}; residual {found.residual:.2g}), ranked:"
    )
    width = max(len(name) for name in found.names)
    for name, amenity, share in found.ranked():
        print(f"  {name:<{width}}  B = {amenity:.6f}  observed share {share:.6f}")
    print(f"  calibrated state: {stability_line(found)}")
    print(f"  wrote {args.out}")
    return 0


def _human_summary(summary: dict) -> str:
    shares = sorted(summary["final_shares"].items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{name} {share:.3f}" for name, share in shares[:6])
    if len(shares) > 6:
        shown += f", … ({len(shares) - 6} more)"
    settling = summary["settling"]
    settled = ("settled" if settling["stopped"] == "settled" else "stopped at the step limit") + (
        f", residual {settling['residual']:.2g} vs tolerance {settling['tolerance']:.2g}"
        if settling["residual"] is not None
        else ""
    )
    cores = summary.get("cores") or []
    if cores:
        tolerance = f"{summary['core_tie_tolerance']:.0%}"
        core = f", {len(cores)} tied cores {', '.join(cores)} (shares within {tolerance}),"
    else:
        core = f", core {summary['core']}" if summary["core"] else ""
    lines = [
        f"{summary['scenario']}: {summary['regime']}"
        + core
        + f" after {summary['steps']} steps ({settled}; seed {summary['seed']})",
        f"  final shares of mobile {summary['mobile_factor']}: {shown}",
    ]
    if summary["n_clusters"] > 1 or summary["emerging_n_clusters"] > 1:
        lines.append(
            f"  clusters: {summary['emerging_n_clusters']} emerged (step "
            f"{summary['emerging_step']}), {summary['n_clusters']} at the end: "
            + ", ".join(summary["cluster_regions"])
        )
    firms = summary.get("firm_dynamics")
    if firms:
        counts = sorted(firms["final_firms"].items(), key=lambda kv: -kv[1])
        lines.append(
            f"  firms (own speed): {firms['entries']} entered, {firms['exits']} exited; now "
            + ", ".join(f"{name} {count}" for name, count in counts[:6])
        )
    theory = summary.get("theory")
    if theory and "unavailable" in theory:
        lines.append(f"  theory: unavailable ({theory['unavailable']})")
    elif theory and "break_points" in theory:
        breaks = ", ".join(f"{t['T']:.4f}" for t in theory["break_points"]) or "none"
        sustains = ", ".join(f"{t['T']:.4f}" for t in theory["sustain_points"]) or "none"
        lines.append(
            f"  theory: T={theory['transport_cost']:g}, break point(s) T_B={breaks}, "
            f"sustain point(s) T_S={sustains} → {theory['prediction']}"
        )
    elif theory:
        lines.append(f"  theory: T={theory['transport_cost']:g} → {theory['prediction']}")
    return "\n".join(lines)


DEFAULT_SIGMA = 5.0
"""σ of ``tomahawk`` and ``racetrack`` when not given (FKV's tomahawk figure)."""


def _economy_of(args: argparse.Namespace) -> economies.Economy:
    """The economy ``--model`` names, with ``--input-share`` bound (UsageError where the
    economy takes none or the share is out of its range); fills in the economy's defaults
    of ``--sigma`` (UsageError where it has no σ) and ``--mu``."""
    economy = economies.get(args.model)
    if args.sigma is None:
        args.sigma = DEFAULT_SIGMA
    elif not economy.uses_sigma:
        raise UsageError(f"--sigma: the {args.model} economy has no σ (leave --sigma out)")
    if args.mu is None:
        args.mu = economy.default_mu
    if args.input_share is not None:
        if not economy.has_input_share:
            models = " or ".join(economies.with_input_share())
            raise UsageError(f"--input-share: only for --model {models} (got {args.model})")
        try:
            economy = economy.with_parameters(args)
            economy.check_input_share(args.sigma, args.mu)
        except ValueError as exc:
            raise UsageError(f"--input-share {args.input_share}: {exc}") from None
    return economy


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=economies.NAMES, default="cp", help="economy")
    parser.add_argument(
        "--input-share",
        type=float,
        help="cpvl, fcvl: firms' cost share α of intermediate inputs (cpvl: in (0, (σ-1)/σ), "
        "default 0.3; fcvl: in (0, 0.95], default μ)",
    )


def cmd_tomahawk(args: argparse.Namespace) -> int:
    from negsim import theory

    economy = _economy_of(args)
    try:
        theory.check(economy, args.sigma, args.mu, args.housing_share)
        breaks, sustains = theory.thresholds(economy, args.sigma, args.mu, args.housing_share)
        full = economy.full_agglomeration_point(args.expenditure_share, args.sigma)
    except ValueError as exc:  # BlackHoleError is a ValueError
        raise UsageError(f"{_given(args, economy)}: {exc}") from None
    if args.plot:
        from negsim.plots import plot_tomahawk, save_figure

        if not args.plot.parent.is_dir():
            raise UsageError(f"--plot {args.plot}: folder {args.plot.parent} does not exist")
        try:
            atomic_write(
                args.plot,
                lambda p: save_figure(
                    plot_tomahawk(
                        args.sigma,
                        args.mu,
                        model=economy,
                        housing_share=args.housing_share,
                        expenditure_share=args.expenditure_share,
                    ),
                    p,
                ),
            )
        except OSError as exc:
            raise UsageError(f"--plot {args.plot}: cannot write: {exc.strerror or exc}") from None

    crossings = _tomahawk_welfare(args, economy) if args.welfare else None

    def as_dict(t):
        return None if t is None else {"T": t.T, "phi": t.phi}

    out = {
        "model": args.model,
        "sigma": args.sigma,
        "mu": args.mu,
        "break_point": as_dict(breaks[0]) if len(breaks) == 1 else None,
        "sustain_point": as_dict(sustains[0]) if len(sustains) == 1 else None,
        "break_points": [as_dict(t) for t in breaks],
        "sustain_points": [as_dict(t) for t in sustains],
    }
    if economy.has_housing:
        out["housing_share"] = args.housing_share
    out.update(economy.parameters(args.mu))
    limit = economy.trade_limit(args.mu)
    if limit is not None:  # costs per unit shipped: thresholds as τ = T - 1, no σ
        out["sigma"] = None
        out["tau_star"] = breaks[0].T - 1.0 if len(breaks) == 1 else None
        out["tau_trade"] = limit
    if full is not None:
        out["expenditure_share"] = args.expenditure_share
        out["full_agglomeration_point"] = as_dict(full)
    if crossings is not None:
        out["welfare_crossings"] = [as_dict(t) for t in crossings]
    if args.json:
        print(json.dumps(out))
        return 0
    if limit is not None:
        _print_per_unit_tomahawk(args, economy, breaks, limit, crossings)
        return 0
    own = "".join(f", {key} = {value:g}" for key, value in economy.parameters(args.mu).items())
    print(f"{economy.title} model, σ = {args.sigma:g}, μ = {args.mu:g}{own}")
    for t in breaks:
        print(
            f"  break point:   T_B = {t.T:.6f}   φ_B = {t.phi:.6f}  (even spread changes stability)"
        )
    for t in sustains:
        print(
            f"  sustain point: T_S = {t.T:.6f}   φ_S = {t.phi:.6f}"
            "  (full agglomeration starts or stops being sustainable)"
        )
    if not breaks and not sustains:
        print("  no break or sustain point: the even spread of symmetric regions is always stable")
    if full is not None:
        print(
            f"  with s_E = {args.expenditure_share:g}: all firms in region 1 for "
            f"T ≤ {full.T:.6f} (φ ≥ {full.phi:.6f}); home-market effect above"
        )
    if args.plot:
        print(f"  wrote {args.plot}")
    for t in crossings or []:
        print(
            f"  welfare:       φ_W = {t.phi:.6f}   T_W = {t.T:.6f}  (utilitarian ranking of "
            "agglomeration vs dispersion changes sign)"
        )
    if args.welfare:
        print(f"  wrote {args.welfare}")
    return 0


def _given(args: argparse.Namespace, economy: economies.Economy) -> str:
    """The parameters an error names: ``--model NAME [--sigma S] --mu MU``."""
    sigma = f" --sigma {args.sigma}" if economy.uses_sigma else ""
    return f"--model {args.model}{sigma} --mu {args.mu}"


def _print_per_unit_tomahawk(
    args: argparse.Namespace,
    economy: economies.Economy,
    breaks: list,
    limit: float,
    crossings: list | None,
) -> None:
    """``negsim tomahawk`` where costs are per unit shipped (linear, Ottaviano, Tabuchi &
    Thisse 2002): the threshold τ* (break point = sustain point) and the trade limit
    τ_trade, each also as T = 1 + τ; no σ, no iceberg freeness."""
    print(f"{economy.title} model, μ = {args.mu:g}, transport cost T = 1 + τ (τ per unit shipped)")
    for t in breaks:
        print(
            f"  threshold:   τ* = {t.T - 1:.6f}   T* = {t.T:.6f}  (break point = sustain point: "
            "agglomeration below, even spread above)"
        )
    print(
        f"  trade limit: τ_trade = {limit:.6f}   T = {1 + limit:.6f}  "
        "(two regions trade only below it)"
    )
    if args.plot:
        print(f"  wrote {args.plot}")
    for t in crossings or []:
        print(
            f"  welfare:     τ_W = {t.T - 1:.6f}   T_W = {t.T:.6f}  (utilitarian ranking of "
            "agglomeration vs dispersion changes sign)"
        )
    if args.welfare:
        print(f"  wrote {args.welfare}")


def _tomahawk_welfare(args: argparse.Namespace, economy: economies.Economy) -> list:
    """Draw ``tomahawk --welfare FILE.png``; the φ where the utilitarian ranking flips."""
    from negsim import theory
    from negsim.plots import plot_welfare, save_figure

    if economy.welfare_groups is None:
        raise UsageError(f"--welfare: not available for the {args.model} economy")
    if not args.welfare.parent.is_dir():
        raise UsageError(f"--welfare {args.welfare}: folder {args.welfare.parent} does not exist")
    kwargs = dict(model=economy, housing_share=args.housing_share)
    try:
        atomic_write(
            args.welfare, lambda p: save_figure(plot_welfare(args.sigma, args.mu, **kwargs), p)
        )
    except OSError as exc:
        raise UsageError(f"--welfare {args.welfare}: cannot write: {exc.strerror or exc}") from None
    return theory.welfare_crossings(economy, args.sigma, args.mu, args.housing_share)


def cmd_racetrack(args: argparse.Namespace) -> int:
    from negsim import racetrack
    from negsim.resources import check_racetrack

    check_racetrack(args.regions, force=args.force)
    economy = _economy_of(args)
    try:
        result = racetrack.analyse(
            args.regions, args.transport_cost, args.sigma, args.mu, args.housing_share, economy
        )
    except ValueError as exc:
        raise UsageError(f"racetrack: {exc}") from None
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    limit = economy.trade_limit(args.mu)

    def cost(T: float, spec: str) -> str:
        per_unit = f" (τ = {T - 1:{spec}})" if limit is not None else ""
        return f"T = {T:{spec}}{per_unit}"

    sigma = f"σ = {args.sigma:g}, " if economy.uses_sigma else ""
    print(
        f"Racetrack of {args.regions} places, {cost(args.transport_cost, 'g')} between "
        f"neighbours ({args.model}, {sigma}μ = {args.mu:g})"
    )
    for k, rate in result.growth_rates.items():
        mark = ""
        if k == result.fastest_mode:  # with every rate negative, the slowest to decay
            mark = "  ← fastest" if rate > 0 else "  ← least stable (every mode decays)"
        print(
            f"  mode k = {k:>2} ({k} cluster{'s' if k > 1 else ''}): growth rate {rate:+.5f}{mark}"
        )
    if result.fastest_mode is None:
        first = next(iter(result.growth_rates.values()))
        print(f"  no mode grows fastest: every growth rate is {first:+.5f}")
    if result.critical_transport_cost is None:
        print(
            "  no critical transport cost: the even spread never breaks "
            "(stable at every T down to 1)"
        )
    else:
        print(
            f"  the even spread loses stability below {cost(result.critical_transport_cost, '.6f')}"
            f", through mode k = {result.critical_mode}"
        )
    if limit is not None:
        print(f"  neighbours trade only below τ_trade = {limit:.6f} (T = {1 + limit:.6f})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from negsim.verification import format_table, timed_verify, to_json

    rows, seconds = timed_verify()
    print(to_json(rows, seconds) if args.json else format_table(rows, seconds))
    return 0 if all(r.passed for r in rows) else 1


def cmd_validate(args: argparse.Namespace) -> int:
    from negsim.scenario import ScenarioError, load_scenario

    errors = []
    for argument in args.scenarios:
        try:
            path = shipped.resolve(argument, "scenarios")
            scenario = load_scenario(path, args.overrides)
            print(f"{argument}: ok ({scenario.economy.model}, {scenario.n_regions} regions)")
        except ScenarioError as exc:
            errors.append(str(exc))
    if errors:
        raise UsageError("\n".join(errors))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from negsim.scenario import ScenarioError, load_scenario

    if args.folder is None:
        return _list_shipped()
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


def _list_shipped() -> int:
    from negsim.scenario import read_toml

    for kind, command in (("scenarios", "run"), ("sweeps", "sweep")):
        names = shipped.names(kind)
        print(f"{kind} shipped with negsim (negsim {command} NAME):")
        if not names:
            raise UsageError(f"no shipped {kind} in {shipped.folder(kind)} (a broken install?)")
        width = max(map(len, names))
        for name in names:
            data = read_toml(shipped.path(kind, name))
            description = (data.get("sweep", {}) if kind == "sweeps" else data).get("description")
            print(f"  {name:<{width}}  {description or ''}".rstrip())
        places = shipped.folder(kind) / "places"
        if kind == "scenarios" and places.is_dir():  # on real maps: a bare name finds them too
            print(f"  on tables of real places (negsim run NAME; files in {places}):")
            files = sorted(places.glob("*.toml"))
            inner = max((len(p.stem) for p in files), default=0)
            for path in files:
                description = read_toml(path).get("description")
                print(f"    {path.stem:<{inner}}  {description or ''}".rstrip())
            tables = ", ".join(p.name for p in sorted(places.glob("*.csv")))
            print(f"    tables: {tables}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from negsim.scenario import load_scenario
    from negsim.template import leading_comments, render, target_path

    target = target_path(args.name)
    if not target.parent.is_dir():
        raise UsageError(f"init {target}: folder {target.parent} does not exist")
    source = shipped.resolve(args.source, "scenarios")
    scenario = load_scenario(source).model_copy(update={"name": target.stem})
    origin = str(args.source) if shipped.is_bare_name(args.source) else str(source)
    text = render(scenario, origin, leading_comments(source.read_text(encoding="utf-8")))
    try:
        with target.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise UsageError(
            f"init {target}: already exists; give another name or remove it first"
        ) from None
    except OSError as exc:
        raise UsageError(f"init {target}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {target} (values of {origin}); edit it, then: negsim run {target}")
    return 0


def cmd_places(args: argparse.Namespace) -> int:
    from negsim import gazetteer  # the gazetteer's JSON is read only by this command

    if args.min_population < 0 or (args.max_places is not None and args.max_places < 2):
        raise UsageError("places: --min-population must be ≥ 0 and --max-places ≥ 2")
    try:
        rows = gazetteer.select(
            gazetteer.load_cities(args.min_population),
            args.country,
            args.admin1,
            args.min_population,
            [n.strip() for n in args.names.split(",") if n.strip()] if args.names else (),
            args.max_places,
        )
    except gazetteer.GazetteerError as exc:
        raise UsageError(f"places: {exc}") from None
    command = f"negsim places --country {args.country}" + "".join(
        f" {flag} {value}"
        for flag, value in (
            ("--admin1", " ".join(repr(a) for a in args.admin1)),
            ("--min-population", args.min_population),
            ("--names", repr(args.names) if args.names else None),
            ("--max-places", args.max_places),
            ("--out", args.out.name),
        )
        if value not in (None, "")
    )
    text = gazetteer.table_text(rows, command, gazetteer.cities_file(args.min_population))
    try:
        atomic_write(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"places: --out {args.out}: cannot write: {exc.strerror or exc}") from None
    print(f"{args.out}: {len(rows)} places")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from negsim.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


COMMANDS = {
    "run": cmd_run,
    "rest-point": cmd_rest_point,
    "calibrate": cmd_calibrate,
    "tomahawk": cmd_tomahawk,
    "racetrack": cmd_racetrack,
    "verify": cmd_verify,
    "validate": cmd_validate,
    "list": cmd_list,
    "init": cmd_init,
    "schema": cmd_schema,
    "places": cmd_places,
    "sweep": cmd_sweep,
    "plot": cmd_plot,
}


def _is_scenario_error(exc: ValueError) -> bool:
    """A ScenarioError (SweepError too), without importing the scenario schema (pydantic) on
    commands that never read a scenario: one can only be raised once negsim.scenario is loaded."""
    scenario = sys.modules.get("negsim.scenario")
    return scenario is not None and isinstance(exc, scenario.ScenarioError)


def main(argv: list[str] | None = None) -> int:
    os.environ["MPLBACKEND"] = "Agg"  # figures only go to files; set before any import
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, OutputError, EquilibriumError, ResourceError, ValueError) as exc:
        if isinstance(exc, ValueError) and not _is_scenario_error(exc):
            raise
        for line in str(exc).splitlines():
            print(f"negsim: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
