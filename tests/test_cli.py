"""The ``negsim`` command line (negsim.cli): run | tomahawk | validate | schema.

Most calls go through ``negsim.cli.main([...])`` in-process (captured with capsys); a few
start a real ``python -m negsim.cli`` subprocess to check exit codes and that stderr holds
exactly one ``negsim: error:`` line and no traceback.

Runs use tests/data/two_region.toml (σ=5, μ=0.4, T=1.5 < T_B ≈ 1.627 from FKV 1999 ch. 5,
start 0.51/0.49), kept small with --set so the whole file runs in a few seconds.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from negsim.cli import main
from negsim.metrics import REGIMES
from negsim.scenario import json_schema, load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SCENARIO = DATA / "two_region.toml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
SMALL = ["--set", "population.workers=2000", "--set", "run.steps=600"]
OUTPUTS = (
    "timeseries.csv",
    "summary.json",
    "welfare.csv",
    "scenario.resolved.toml",
    "shares.png",
    "regions.png",
)
COLUMNS = [
    "step",
    "region",
    "workers",
    "firms",
    "share",
    "wage",
    "price_index",
    "real_wage",
    "policy_events",
    "active_policies",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(out: Path, *extra: str, scenario: Path = SCENARIO) -> int:
    return main(["run", str(scenario), *SMALL, "--out", str(out), "--quiet", *extra])


def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "negsim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_error_line(stderr: str, *fragments: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one error line, got {stderr!r}"
    line = lines[0]
    assert line.startswith("negsim: error: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE


# --- run --------------------------------------------------------------------------------


def test_run_writes_consistent_results(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert _run(out) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""  # --quiet: no progress bar, no summary; the files say it all
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no stray temp files

    scenario = load_scenario(SCENARIO, overrides=SMALL[1::2])
    names = scenario.regions.names
    n_workers = scenario.population.workers
    n_firms = scenario.population.firms
    assert n_workers == 2000

    # summary.json
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("regime", "final_shares", "largest_share", "core", "steps", "converged", "seed"):
        assert key in summary, key
    assert summary["regime"] in REGIMES
    assert list(summary["final_shares"]) == names
    assert sum(summary["final_shares"].values()) == pytest.approx(1.0, abs=1e-12)
    assert summary["largest_share"] == max(summary["final_shares"].values())
    assert isinstance(summary["converged"], bool)
    assert isinstance(summary["steps"], int) and 1 <= summary["steps"] <= scenario.run.steps
    assert summary["seed"] == scenario.run.seed
    # the regime agrees with the classification thresholds of [analysis]
    agg = scenario.analysis.agglomerated_share
    tol = scenario.analysis.dispersed_tolerance
    shares = list(summary["final_shares"].values())
    if summary["largest_share"] >= agg:
        assert summary["regime"] == "agglomerated"
    elif all(abs(s - 1 / len(shares)) <= tol for s in shares):
        assert summary["regime"] == "dispersed"
    else:
        assert summary["regime"] == "partial"
    if summary["regime"] == "dispersed":
        assert summary["core"] is None
    else:
        assert summary["core"] == max(summary["final_shares"], key=summary["final_shares"].get)
    # theory (T = 1.5 below the break point, near-even start favouring North): the
    # even spread is unstable, so the run must agglomerate in North and settle.
    assert summary["regime"] == "agglomerated"
    assert summary["core"] == "North"
    assert summary["converged"] is True

    # timeseries.csv
    with (out / "timeseries.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    by_step: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_step[int(row["step"])].append(row)
    assert sorted(by_step) == list(range(summary["steps"] + 1))  # step 0 = initial state
    assert len(rows) == (summary["steps"] + 1) * len(names)
    mu = scenario.economy.mu
    for step, group in by_step.items():
        assert [r["region"] for r in group] == names, step
        assert sum(float(r["share"]) for r in group) == pytest.approx(1.0, abs=1e-12)
        assert sum(int(r["workers"]) for r in group) == n_workers
        assert sum(int(r["firms"]) for r in group) == n_firms
        for r in group:
            assert float(r["share"]) == pytest.approx(int(r["workers"]) / n_workers, abs=1e-15)
            # ω = w G^(-μ)
            wage, g, omega = float(r["wage"]), float(r["price_index"]), float(r["real_wage"])
            assert omega == pytest.approx(wage * g ** (-mu), rel=1e-9)
    first = {r["region"]: float(r["share"]) for r in by_step[0]}
    assert [first[n] for n in names] == pytest.approx(scenario.initial_shares(), abs=1 / n_workers)
    last = {r["region"]: float(r["share"]) for r in by_step[summary["steps"]]}
    assert last == pytest.approx(summary["final_shares"], abs=1e-12)

    # scenario.resolved.toml loads back to the same scenario, seed included
    resolved_path = out / "scenario.resolved.toml"
    resolved = tomllib.loads(resolved_path.read_text(encoding="utf-8"))
    assert resolved["run"]["seed"] == scenario.run.seed
    assert resolved["population"]["workers"] == 2000  # the --set value, not the file's
    assert load_scenario(resolved_path).model_dump() == scenario.model_dump()

    # shares.png and regions.png (the map of the last step)
    for name in ("shares.png", "regions.png"):
        png = out / name
        assert _is_png(png) and png.stat().st_size > 10_000


def test_run_prints_the_summary_unless_quiet(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    loud, quiet = tmp_path / "loud", tmp_path / "quiet"
    assert main(["run", str(SCENARIO), *SMALL, "--out", str(loud)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((loud / "summary.json").read_text(encoding="utf-8"))
    assert printed.splitlines()[0].startswith(f"{summary['scenario']}: {summary['regime']}")
    assert f"seed {summary['seed']}" in printed
    assert f"wrote {loud}/" in printed
    assert all(name in printed for name in OUTPUTS)

    assert _run(quiet) == 0
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in quiet.iterdir()) == sorted(OUTPUTS)
    assert (quiet / "summary.json").read_bytes() == (loud / "summary.json").read_bytes()


def test_run_seed_recorded_and_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(a, "--seed", "7") == 0
    assert _run(b, "--seed", "7") == 0
    for out in (a, b):
        assert json.loads((out / "summary.json").read_text())["seed"] == 7
        resolved = tomllib.loads((out / "scenario.resolved.toml").read_text())
        assert resolved["run"]["seed"] == 7
        assert load_scenario(out / "scenario.resolved.toml").run.seed == 7
    for name in ("timeseries.csv", "summary.json", "scenario.resolved.toml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    # re-running the same scenario and seed into the same directory is allowed and
    # reproduces the same files
    before = {name: (a / name).read_bytes() for name in ("timeseries.csv", "summary.json")}
    assert _run(a, "--seed", "7") == 0
    for name, content in before.items():
        assert (a / name).read_bytes() == content, name


def test_run_default_out_is_runs_slash_name(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SCENARIO), *SMALL, "--set", "run.steps=5", "--quiet"]) == 0
    out = tmp_path / "runs" / load_scenario(SCENARIO).name
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert json.loads((out / "summary.json").read_text())["steps"] == 5


@pytest.mark.parametrize(
    "change",
    [["--seed", "43"], ["--set", "economy.transport_cost=1.55"]],
    ids=["other-seed", "other-scenario"],
)
def test_run_refuses_out_dir_of_other_results(
    tmp_path: Path, capsys: pytest.CaptureFixture, change: list[str]
) -> None:
    out = tmp_path / "out"
    assert _run(out) == 0
    before = _snapshot(out)
    capsys.readouterr()

    assert _run(out, *change) == 2
    captured = capsys.readouterr()
    _assert_one_error_line(captured.err, str(out), "different scenario or seed")
    assert _snapshot(out) == before  # same files, same bytes, not rewritten


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("sigma = 5.0", "sigma = 0.5"), "economy.sigma"),
        (("mu = 0.4", "mu = 0.9"), "economy.mu"),  # black hole for sigma = 5
        (("transport_cost = 1.5\n", ""), "economy.transport_cost"),
        (("[run]\n", "[run]\nstepz = 3\n"), "run.stepz"),
    ],
)
def test_run_bad_scenario_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, edit: tuple[str, str], key: str
) -> None:
    text = SCENARIO.read_text(encoding="utf-8")
    assert edit[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    _assert_one_error_line(captured.err, str(bad), key)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "economy.sigma"], ["--set economy.sigma", "dotted.key=value"]),
        (["--set", "economy.transport_cost=0.5"], ["economy.transport_cost", "--set"]),
        (["--seed", "-1"], ["run.seed"]),
    ],
)
def test_run_bad_override_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(SCENARIO), *args, "--out", str(out), "--quiet"]) == 2
    _assert_one_error_line(capsys.readouterr().err, *fragments)
    assert not out.exists()


def test_run_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["run", str(missing), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    _assert_one_error_line(capsys.readouterr().err, str(missing), "no such file")


def test_subprocess_bad_scenario(tmp_path: Path) -> None:
    text = SCENARIO.read_text(encoding="utf-8")
    bad = tmp_path / "black_hole.toml"
    bad.write_text(text.replace("sigma = 5.0", "sigma = 2.0").replace("mu = 0.4", "mu = 0.6"))
    proc = _subprocess("run", str(bad), "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    _assert_one_error_line(proc.stderr, str(bad), "economy.mu", "no-black-hole", "0.5")
    assert not (tmp_path / "out").exists()


# --- tomahawk ---------------------------------------------------------------------------


def _tomahawk_json(capsys: pytest.CaptureFixture, sigma: float, mu: float) -> dict:
    assert main(["tomahawk", "--sigma", str(sigma), "--mu", str(mu), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return json.loads(captured.out)


def test_tomahawk_json_fkv_figure(capsys: pytest.CaptureFixture) -> None:
    # FKV (1999, ch. 5) tomahawk figure, σ = 5, μ = 0.4: T_B ≈ 1.627, T_S ≈ 1.807.
    data = _tomahawk_json(capsys, 5, 0.4)
    assert data["sigma"] == 5 and data["mu"] == 0.4
    assert round(data["break_point"]["T"], 3) == 1.627
    assert round(data["sustain_point"]["T"], 3) == 1.807
    for point in ("break_point", "sustain_point"):
        assert data[point]["phi"] == pytest.approx(data[point]["T"] ** (1 - 5), rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (4.0, 0.3), (8.0, 0.2)])
def test_tomahawk_json_satisfies_closed_forms(
    capsys: pytest.CaptureFixture, sigma: float, mu: float
) -> None:
    data = _tomahawk_json(capsys, sigma, mu)
    tb, ts = data["break_point"], data["sustain_point"]
    for point in (tb, ts):
        assert point["phi"] == pytest.approx(point["T"] ** (1 - sigma), rel=1e-12)
    # break point (FKV eq. 5.26 in φ): φ_B = (ρ-μ)(1-μ) / ((ρ+μ)(1+μ)), ρ = (σ-1)/σ
    rho = (sigma - 1) / sigma
    assert tb["phi"] == pytest.approx((rho - mu) * (1 - mu) / ((rho + mu) * (1 + mu)), rel=1e-9)
    # sustain point: with everyone in region 1, (ω2/ω1)^σ =
    #   φ^(σμ/(σ-1)) [ (1+μ)/2 φ + (1-μ)/2 / φ ] equals 1 at φ_S (FKV eq. 5.17)
    phi = ts["phi"]
    ratio = phi ** (sigma * mu / (sigma - 1)) * ((1 + mu) / 2 * phi + (1 - mu) / 2 / phi)
    assert ratio == pytest.approx(1.0, abs=1e-9)
    # 1 < T_B < T_S: a range of path dependence exists
    assert 1 < tb["T"] < ts["T"]


def test_tomahawk_text_output_matches_json(capsys: pytest.CaptureFixture) -> None:
    data = _tomahawk_json(capsys, 5, 0.4)
    assert main(["tomahawk", "--sigma", "5", "--mu", "0.4"]) == 0
    out = capsys.readouterr().out
    assert f"T_B = {data['break_point']['T']:.6f}" in out
    assert f"T_S = {data['sustain_point']['T']:.6f}" in out
    assert f"φ_B = {data['break_point']['phi']:.6f}" in out


def test_tomahawk_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    png = tmp_path / "f.png"
    assert main(["tomahawk", "--sigma", "5", "--mu", "0.4", "--plot", str(png)]) == 0
    assert str(png) in capsys.readouterr().out
    assert _is_png(png) and png.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("sigma", "mu", "fragment"),
    [
        ("2", "0.6", "no-black-hole"),
        ("5", "0.8", "no-black-hole"),
        ("1", "0.3", "sigma"),
        ("0.5", "0.3", "sigma"),
        ("5", "0", "mu"),
        ("5", "1", "mu"),
        ("nan", "0.3", "sigma"),
    ],
)
def test_tomahawk_bad_parameters_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, sigma: str, mu: str, fragment: str
) -> None:
    png = tmp_path / "f.png"
    code = main(["tomahawk", "--sigma", sigma, "--mu", mu, "--json", "--plot", str(png)])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    _assert_one_error_line(captured.err, fragment)
    assert not png.exists()


def test_tomahawk_black_hole_bound_in_message(capsys: pytest.CaptureFixture) -> None:
    assert main(["tomahawk", "--sigma", "2", "--mu", "0.6"]) == 2
    _assert_one_error_line(capsys.readouterr().err, "no-black-hole", "0.5")


def test_subprocess_tomahawk(tmp_path: Path) -> None:
    ok = _subprocess("tomahawk", "--sigma", "5", "--mu", "0.4", "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert round(json.loads(ok.stdout)["break_point"]["T"], 3) == 1.627
    bad = _subprocess("tomahawk", "--sigma", "1", "--mu", "0.3", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stdout == ""
    _assert_one_error_line(bad.stderr, "sigma")


# --- schema and validate ------------------------------------------------------------------


def test_schema_prints_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(json_schema()))
    for table in ("economy", "regions", "population", "behaviour", "run"):
        assert table in schema["properties"]


def test_validate_shipped_scenarios(capsys: pytest.CaptureFixture) -> None:
    assert SHIPPED
    assert main(["validate", *map(str, SHIPPED)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == len(SHIPPED)
    for path, line in zip(SHIPPED, lines, strict=True):
        assert line.startswith(f"{path}: ok")


def test_validate_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.read_text().replace("transport_cost = 1.5", "transport_cost = 0.5"))
    assert main(["validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    _assert_one_error_line(captured.err, str(bad), "economy.transport_cost", "1")

    # good files are still reported when another one is bad
    assert main(["validate", str(SCENARIO), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{SCENARIO}: ok")
    _assert_one_error_line(captured.err, str(bad))


def test_validate_applies_overrides(capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", str(SCENARIO), "--set", "economy.transport_cost=1.7"]) == 0
    assert main(["validate", str(SCENARIO), "--set", "economy.mu=0.95"]) == 2
    _assert_one_error_line(capsys.readouterr().err, "economy.mu")


def test_png_size_threshold_detects_blank_figure() -> None:
    # shares.png / tomahawk PNGs are checked against 10 kB: a blank 840x480 RGBA PNG at
    # dpi 120 compresses far below that, so the threshold distinguishes a drawn figure.
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(7.0, 4.0))
    buf = io.BytesIO()
    fig.savefig(buf, dpi=120, format="png")
    plt.close(fig)
    assert buf.getvalue()[:8] == PNG_SIGNATURE
    assert len(buf.getvalue()) < 10_000


def test_non_utf8_scenario_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[economy]\n")
    assert main(["validate", str(bad)]) == 2
    _assert_one_error_line(capsys.readouterr().err, str(bad), "UTF-8")


def test_out_that_is_a_file_is_refused_before_running(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("keep me")
    assert main(["run", str(SCENARIO), "--out", str(target), "--quiet"]) == 2
    _assert_one_error_line(capsys.readouterr().err, str(target), "not a directory")
    assert target.read_text() == "keep me"


def test_foreign_results_are_refused_even_without_resolved_scenario(tmp_path, capsys):
    (tmp_path / "summary.json").write_text("{}")
    assert main(["run", str(SCENARIO), "--out", str(tmp_path), "--quiet"]) == 2
    _assert_one_error_line(capsys.readouterr().err, str(tmp_path), "different scenario")
    assert (tmp_path / "summary.json").read_text() == "{}"


def test_tomahawk_plot_into_missing_folder_is_a_one_line_error(tmp_path, capsys):
    target = tmp_path / "nodir" / "x.png"
    assert main(["tomahawk", "--sigma", "5", "--mu", "0.4", "--plot", str(target)]) == 2
    _assert_one_error_line(capsys.readouterr().err, "nodir", "does not exist")


def test_outputs_get_umask_permissions(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(SCENARIO), "--out", str(out), "--quiet", "--set", "run.steps=20"]) == 0
    mask = os.umask(0)
    os.umask(mask)
    for name in OUTPUTS:
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~mask
