"""Calibration with migration costs (issue #13, item 5): the observed map is at rest *with*
the registration barrier in force at the start, the barrier binding (``rest_point.
amenities_for``), exactly for the agents' integer start; Anhui's registration reform then
raises Hefei's share against that baseline; taste noise with migration costs is a one-line
error; without frictions calibration is what it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from negsim.amenities import log_amenities
from negsim.calibration import CalibrationError, calibrate, short_run_solver
from negsim.cli import main
from negsim.frictions import cost_matrix
from negsim.model import NEGModel
from negsim.rest_point import amenities_for, find_rest_point
from negsim.rules import apportion, mean_field_drift
from negsim.runner import run_with_baseline
from negsim.scenario import load_scenario
from negsim.stability import ln_payoff

PLACES = Path(__file__).resolve().parents[1] / "scenarios" / "places"
SOURCE = PLACES / "anhui_registration_reform.toml"
SHIPPED = PLACES / "anhui_registration_reform_calibrated.toml"
BARRIER = 0.1  # frictions.registration on Hefei in both files


def _gains(log_payoff: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """What an agent of s gains by moving to r, U_r - U_s - C_sr, for every s ≠ r."""
    gain = log_payoff[None, :] - log_payoff[:, None] - cost
    np.fill_diagonal(gain, -np.inf)
    return gain


@pytest.fixture(scope="module")
def reform():
    return calibrate(SOURCE)


def test_the_barrier_binds_at_the_agents_integer_start(reform) -> None:
    """ν = 0, a barrier h = 0.1 on entering Hefei: the amenities are computed at the
    apportioned counts of the 9000 entrepreneurs, ln ω + ln B - h is the same in every
    city, and every move's gain is exactly -h of the place left (0 out of the 15 others,
    -0.1 out of Hefei): nobody gains from moving."""
    scenario = load_scenario(SOURCE)
    n = scenario.population.workers
    counts = apportion(reform.observed, n)
    np.testing.assert_array_equal(reform.at, counts / n)
    assert reform.migration_costs and np.abs(reform.at - reform.observed).max() > 0
    hefei = reform.names.index("Hefei")
    entry = np.zeros(len(reform.names))
    entry[hefei] = BARRIER
    u = ln_payoff(short_run_solver(scenario)(counts / n, None)) + np.log(reform.amenities)
    assert np.ptp(u - entry) < 1e-12
    assert np.exp(np.log(reform.amenities).mean()) == pytest.approx(1.0, abs=1e-14)
    cost = np.where(np.eye(entry.size, dtype=bool), 0.0, entry[None, :])  # C_sr = h_r
    gain = _gains(u, cost)
    expected = np.broadcast_to(-entry[:, None], gain.shape).copy()
    np.fill_diagonal(expected, -np.inf)
    np.testing.assert_allclose(gain, expected, rtol=0, atol=1e-12)
    assert reform.residual < 1e-12
    assert reform.margin == pytest.approx(0.0, abs=1e-12) and not reform.stable


def test_uniform_and_pair_costs_leave_only_the_entry_wedge() -> None:
    """C_sr = m + c_sr + h_r with m, a pair cost and two barriers: the amenities still equalise
    U - h, so every gain is -(h_s + m + c_sr) ≤ 0, computed here from the scenario's keys."""
    m, pair, h_hefei, h_wuhu = 0.02, 0.05, 0.1, 0.03
    overrides = [
        f"frictions.migration_cost={m}",
        f'frictions.pair_costs=[{{between=["Wuhu", "Bengbu"], cost={pair}}}]',
        f'frictions.registration=[{{region="Hefei", cost={h_hefei}}}, '
        f'{{region="Wuhu", cost={h_wuhu}}}]',
    ]
    scenario = load_scenario(SOURCE, overrides)
    found = calibrate(scenario)
    names = found.names
    h = np.zeros(len(names))
    h[names.index("Hefei")], h[names.index("Wuhu")] = h_hefei, h_wuhu
    c = np.zeros((len(names), len(names)))
    w, b = names.index("Wuhu"), names.index("Bengbu")
    c[w, b] = c[b, w] = pair
    u = ln_payoff(short_run_solver(scenario)(found.at, None)) + np.log(found.amenities)
    gain = _gains(u, cost_matrix(scenario))
    expected = -(h[:, None] + m + c)
    np.fill_diagonal(expected, -np.inf)
    np.testing.assert_allclose(gain, expected, rtol=0, atol=1e-12)
    assert np.max(gain) < 0 and found.residual == 0.0
    off = ~np.eye(len(names), dtype=bool)
    assert found.margin == pytest.approx(np.min(-expected[off]), abs=1e-12)
    assert found.margin == pytest.approx(m, abs=1e-12)  # out of a place without a barrier
    assert found.stable and found.eigenvalue > 0  # held by the costs, not by the flow


def test_the_shipped_file_carries_a_fresh_calibration_and_starts_there(reform) -> None:
    shipped = load_scenario(SHIPPED)
    np.testing.assert_array_equal(shipped.amenities(), reform.amenities)
    model = NEGModel(shipped)
    np.testing.assert_array_equal(model.shares, reform.at)
    assert shipped.frictions.registration[0].region == "Hefei"
    assert shipped.frictions.registration[0].cost == BARRIER


def test_the_cli_writes_the_calibration_with_its_header(
    reform, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "calibrated.toml"
    assert main(["calibrate", "anhui_registration_reform", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "UNSTABLE" in printed and "undisturbed nobody gains from a move" in printed
    written = load_scenario(out)
    np.testing.assert_array_equal(written.amenities(), reform.amenities)
    assert written.frictions.registration[0].cost == BARRIER and written.policies
    header = out.read_text(encoding="utf-8").split("\nname = ")[0]
    assert "registration barrier bind" in header and "9000 agents" in header


def test_a_baseline_run_stays_at_the_observed_integer_shares(reform) -> None:
    """Without the reform the exact mean-field drift is zero and no agent moves; the same map
    calibrated without the barrier drifts out of Hefei once the barrier is in force."""
    model = NEGModel(load_scenario(SHIPPED, ["policies=[]", "run.steps=400"]))
    start = model.worker_counts.copy()
    behaviour = model.spec.behaviour
    drift = mean_field_drift(
        model.shares,
        model.log_payoff(),
        behaviour.adjustment_speed,
        behaviour.response,
        model.migration_cost,
    )
    assert np.abs(drift).max() < 1e-15
    moved = 0
    for _ in range(400):
        model.step()
        moved += model.moves
        assert np.abs(model.drift).max() < 1e-15
    assert moved == 0
    np.testing.assert_array_equal(model.worker_counts, start)

    ignoring = calibrate(load_scenario(SOURCE, ["frictions.registration=[]"]))
    assert not ignoring.migration_costs
    drifting = NEGModel(
        load_scenario(
            SHIPPED, ["policies=[]", f"regions.amenities={[float(b) for b in ignoring.amenities]}"]
        )
    )
    hefei = reform.names.index("Hefei")
    leaving = mean_field_drift(
        drifting.shares,
        drifting.log_payoff(),
        behaviour.adjustment_speed,
        behaviour.response,
        drifting.migration_cost,
    )
    assert leaving[hefei] < -1e-6  # rounding gaps: Hefei's agents leave free, none pay to enter
    for _ in range(300):
        drifting.step()
    assert drifting.shares[hefei] < reform.at[hefei] - 10 / drifting.worker_region.size


def test_the_reform_gives_hefei_exactly_the_barrier_as_a_premium(reform) -> None:
    """Lifting the barrier from the calibrated state: U_Hefei - U_s = h for every other city,
    and the expected first move is the closed form α/(R-1) · λ_s · min(1, κh) out of every
    other city into Hefei (no gains between the others)."""
    model = NEGModel(load_scenario(SHIPPED, ["policies=[]", "frictions.registration=[]"]))
    assert model.migration_cost is None
    u = model.log_payoff()
    hefei = reform.names.index("Hefei")
    others = np.arange(u.size) != hefei
    np.testing.assert_allclose(u[hefei] - u[others], BARRIER, rtol=0, atol=1e-12)
    behaviour = model.spec.behaviour
    alpha, kappa, lam = behaviour.adjustment_speed, behaviour.response, model.shares
    rate = alpha / (u.size - 1) * min(1.0, kappa * BARRIER)
    expected = -rate * lam
    expected[hefei] = rate * lam[others].sum()
    drift = mean_field_drift(lam, u, alpha, kappa)
    np.testing.assert_allclose(drift, expected, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("seed", [5, 6])
def test_the_reform_grows_hefei_against_its_baseline_to_the_mean_field_rest_point(
    reform, seed: int
) -> None:
    """`negsim run anhui_registration_reform_calibrated --baseline`: the baseline keeps the
    observed integer shares exactly; the reform raises Hefei's share, to the rest point the
    exact mean-field twin of the agents reaches from the calibrated map without the barrier
    (``rest_point.find_rest_point``, no agents), within a few agents."""
    policy, baseline = run_with_baseline(load_scenario(SHIPPED), seed=seed)
    names = reform.names
    base = np.array([baseline.summary["final_shares"][name] for name in names])
    np.testing.assert_array_equal(base, reform.at)
    change = dict(
        zip(policy.effects["region"], policy.effects["change [percentage points]"], strict=True)
    )
    assert change["Hefei"] > 0 and max(change, key=change.get) == "Hefei"
    assert policy.summary["policy_effect"]["largest_gainer"] == "Hefei"
    assert policy.summary["regime"] == load_scenario(SHIPPED).expected_regime

    shipped = load_scenario(SHIPPED)
    twin = find_rest_point(
        short_run_solver(shipped), reform.at, 0.0, 0.1, 10.0, None, log_amenities(shipped)
    )
    assert twin.residual < 1e-9 and twin.stable
    final = np.array([policy.summary["final_shares"][name] for name in names])
    hefei = names.index("Hefei")
    assert twin.shares[hefei] > reform.at[hefei]
    n = shipped.population.workers
    assert np.abs(final - twin.shares).max() < 10 / n
    assert change["Hefei"] == pytest.approx(100 * (final[hefei] - reform.at[hefei]))


def test_noise_with_migration_costs_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(CalibrationError, match=r"behaviour.noise = 0.1 .*frictions"):
        calibrate(load_scenario(SOURCE, ["behaviour.noise=0.1"]))
    cases = [
        (["behaviour.noise=0.1"], ("behaviour.noise", "frictions")),
        (['frictions.registration=[{region="Hefei", blocked=true}]'], ("Hefei", "blocked")),
    ]
    for overrides, fragments in cases:
        args = ["calibrate", str(SOURCE), "--out", str(tmp_path / "out.toml")]
        for override in overrides:
            args += ["--set", override]
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert all(fragment in err for fragment in fragments)
        assert not (tmp_path / "out.toml").exists()


@pytest.mark.parametrize(
    "overrides", [["frictions.registration=[]"], ['frictions.registration=[{region="Hefei"}]']]
)
def test_without_migration_costs_calibration_is_as_before(overrides: list[str]) -> None:
    """No costs in force (none, or a barrier of 0): the observed shares themselves, equal
    utility, the same bits as the frictionless inversion."""
    scenario = load_scenario(SOURCE, overrides)
    assert cost_matrix(scenario) is None
    found = calibrate(scenario)
    assert not found.migration_costs
    np.testing.assert_array_equal(found.at, found.observed)
    u = ln_payoff(short_run_solver(scenario)(found.observed, None))
    np.testing.assert_array_equal(found.amenities, np.exp(amenities_for(u, found.observed, 0.0)))
    assert np.ptp(u + np.log(found.amenities)) < 1e-12
