"""The racetrack economy: Fourier-mode growth rates, the first mode to destabilise, and the
number of cities the agents actually form."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import racetrack
from negsim.cli import main
from negsim.economies import cp
from negsim.geography import racetrack as racetrack_costs
from negsim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "racetrack_12.toml"
ALPHA, KAPPA = 0.1, 10.0  # the scenario's adjustment speed and response


def expected_flow(shares, T, sigma=5.0, mu=0.4):
    """The agents' mean-field step, written out independently of negsim.agents: each of a
    share α of agents picks another place uniformly and moves with probability
    min(1, κ max(0, ln ω_there - ln ω_here))."""
    R = shares.size
    eq = cp.short_run_equilibrium(shares, np.full(R, 1 / R), racetrack_costs(R, T), sigma, mu)
    u = np.log(eq.real_wage)
    out = np.zeros(R)
    for here in range(R):
        for there in range(R):
            if here != there:
                p = min(1.0, KAPPA * max(0.0, u[there] - u[here]))
                moved = ALPHA * shares[here] * p / (R - 1)
                out[here] -= moved
                out[there] += moved
    return out


@pytest.mark.parametrize("R,T", [(12, 1.9), (12, 1.3), (8, 1.5)])
def test_growth_rates_match_finite_difference_jacobian_of_the_dynamics(R, T):
    even = np.full(R, 1.0 / R)
    h = 1e-6
    J = np.empty((R, R))
    for k in range(R):
        e = np.zeros(R)
        e[k] = h
        J[:, k] = (expected_flow(even + e, T) - expected_flow(even - e, T)) / (2 * h)
    fd = np.sort(np.linalg.eigvals(J).real)
    # the flow conserves Σλ: one zero eigenvalue; modes k < R/2 come in cos/sin pairs
    rates = racetrack.growth_rates(R, T, 5.0, 0.4) * ALPHA * KAPPA / (R - 1)
    predicted = [0.0] + [
        r for k, r in enumerate(rates, start=1) for _ in range(1 if 2 * k == R else 2)
    ]
    np.testing.assert_allclose(fd, np.sort(predicted), atol=1e-6)


@pytest.mark.parametrize("R", [4, 8, 12, 16])
def test_first_mode_to_destabilise_is_half_the_regions(R):
    """Akamatsu, Takayama & Ikeda (2012): as T falls, the even spread on a racetrack first
    bifurcates through the mode k = R/2 (spatial period doubling)."""
    t_c, k_c = racetrack.critical_transport_cost(R, 5.0, 0.4)
    assert k_c == R // 2
    above = racetrack.growth_rates(R, t_c * 1.001, 5.0, 0.4)
    below = racetrack.growth_rates(R, t_c * 0.999, 5.0, 0.4)
    assert above.max() < 0 < below[R // 2 - 1]
    assert np.argmax(below) == R // 2 - 1


def test_two_region_racetrack_is_the_break_point():
    t_c, k_c = racetrack.critical_transport_cost(2, 5.0, 0.4)
    assert k_c == 1
    assert t_c == pytest.approx(cp.break_point(5.0, 0.4).T, rel=1e-9)


@pytest.mark.parametrize(
    "T,mode,steps,needed", [(1.9, 6, 1500, 4), (1.18, 2, 500, 3), (1.05, 1, 500, 4)]
)
def test_agents_form_as_many_cities_as_the_fastest_mode(T, mode, steps, needed):
    """From a 2% random perturbation of the even spread, the number of cities that first
    emerge is the fastest-growing mode's k. Where the runner-up mode grows almost as fast
    (k = 2 at T = 1.18: rates 0.44 vs 0.32), a seed may go another way, so at least
    ``needed`` of 4 seeds must match."""
    analysis = racetrack.analyse(12, T, 5.0, 0.4)
    assert analysis.fastest_mode == mode
    sc = load_scenario(SCENARIO, [f"economy.transport_cost={T}", f"run.steps={steps}"])
    matches = 0
    for seed in (1, 2, 3, 4):
        summary = negsim.run(sc, seed=seed).summary
        matches += summary["emerging_n_clusters"] == mode
        # later merging only ever reduces the count (spatial period doubling)
        assert 1 <= summary["n_clusters"] <= max(mode, summary["emerging_n_clusters"])
        if summary["emerging_n_clusters"] == mode and mode > 1:
            centres = sorted(int(name[1:]) - 1 for name in summary["emerging_cluster_regions"])
            gaps = np.diff(centres + [centres[0] + 12])
            assert gaps.min() >= 12 // mode - 1  # evenly spaced, give or take a place
    assert matches >= needed


def test_sixteen_places_report_the_eight_cities_that_form():
    """At R = 16, T = 1.9 (FKV's σ = 5, μ = 0.4) the fastest mode is k = 8. Its peaks grow
    at different speeds: when the first place doubles its share only 4–5 stand out, and
    the count reported used to stop there. The emerging count is the pattern's."""
    assert racetrack.analyse(16, 1.9, 5.0, 0.4).fastest_mode == 8
    sc = load_scenario(SCENARIO, ["regions.count=16", "population.workers=32000", "run.steps=3000"])
    summary = negsim.run(sc, seed=1).summary
    shares = np.array(list(summary["final_shares"].values()))
    occupied = np.flatnonzero(shares > 0)
    # the pattern that formed: every other place, 8 cities
    assert occupied.size == 8 and np.all(np.diff(occupied) == 2)
    assert summary["n_clusters"] == 8
    assert summary["emerging_n_clusters"] == 8
    centres = sorted(int(name[1:]) - 1 for name in summary["emerging_cluster_regions"])
    assert centres == occupied.tolist()


def test_shipped_racetrack_keeps_six_cities():
    summary = negsim.run(load_scenario(SCENARIO)).summary
    assert summary["converged"]
    assert summary["emerging_n_clusters"] == summary["n_clusters"] == 6
    shares = np.array(list(summary["final_shares"].values()))
    assert shares[0::2].sum() == pytest.approx(1.0) or shares[1::2].sum() == pytest.approx(1.0)


def test_racetrack_cli_json(capsys):
    assert main(["racetrack", "--regions", "12", "--transport-cost", "1.18", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["growth_rates"]) == {str(k) for k in range(1, 7)}
    assert out["fastest_mode"] == 2
    assert out["critical_mode"] == 6
    assert out["critical_transport_cost"] == pytest.approx(1.9318, abs=1e-3)
    rates = racetrack.growth_rates(12, 1.18, 5.0, 0.4)
    assert [out["growth_rates"][str(k)] for k in range(1, 7)] == pytest.approx(list(rates))


def test_racetrack_cli_rejects_bad_input(capsys):
    assert main(["racetrack", "--regions", "12", "--transport-cost", "0.5"]) == 2
    assert "transport cost" in capsys.readouterr().err
    assert main(["racetrack", "--regions", "12", "--transport-cost", "1.5", "--mu", "0.9"]) == 2
    assert "no-black-hole" in capsys.readouterr().err


MODELS = [("fe", 0.3, None), ("cpvl", 0.3, 0.3), ("fcvl", 0.3, 0.5), ("ql", 0.3, None)]
MODELS += [("linear", 0.1, None)]


@pytest.mark.parametrize("model,mu,alpha", MODELS)
def test_every_economy_on_two_places_breaks_at_its_own_break_point(model, mu, alpha):
    """Two places on a racetrack are the two-region model: the critical T of the even spread,
    found from the economy's payoff Jacobian by central differences, is the closed-form break
    point of its module."""
    economy = negsim.economies.get(model)
    if alpha is not None:
        economy = economy.with_parameters(type("Table", (), {"input_share": alpha})())
    t_c, k_c = racetrack.critical_transport_cost(2, 5.0, mu, economy=economy)
    (break_point,) = economy.thresholds(5.0, mu)[0]
    assert k_c == 1 and t_c == pytest.approx(break_point.T, rel=1e-7)


def test_fe_on_twelve_places_loses_stability_through_half_the_regions():
    """The period doubling of Akamatsu, Takayama & Ikeda (2012) also in the FE model: the
    mode R/2 turns unstable first, and its growth rate changes sign at the critical T."""
    t_c, k_c = racetrack.critical_transport_cost(12, 5.0, 0.3, economy="fe")
    assert k_c == 6
    above = racetrack.growth_rates(12, t_c * 1.001, 5.0, 0.3, economy="fe")
    below = racetrack.growth_rates(12, t_c * 0.999, 5.0, 0.3, economy="fe")
    assert above.max() < 0 < below[5]


def test_racetrack_cli_refuses_what_an_economy_does_not_admit(capsys):
    args = ["racetrack", "--regions", "12", "--transport-cost", "1.5"]
    assert main([*args, "--model", "cpvl"]) == 2  # μ = 0.4 above each place's labour 1/12
    err = capsys.readouterr().err
    assert "cpvl needs mu < every region's labour share" in err and len(err.splitlines()) == 1
    assert main([*args, "--model", "fe", "--input-share", "0.3"]) == 2
    assert "--input-share: only for --model cpvl or fcvl" in capsys.readouterr().err


@pytest.mark.parametrize("as_json", [False, True])
def test_fc_never_breaks_is_a_result_not_an_error(capsys, as_json):
    """fc has no circular causality: the CLI reports the modes and that there is no critical
    transport cost (null in JSON), exit 0. Every rate is negative here and just above T = 1."""
    args = ["racetrack", "--regions", "12", "--transport-cost", "1.9", "--model", "fc"]
    assert main(args + ["--json"] * as_json) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rates = racetrack.growth_rates(12, 1.9, 5.0, 0.4, economy="fc")
    assert rates.max() < 0 and racetrack.growth_rates(12, 1.001, 5.0, 0.4, economy="fc").max() < 0
    if as_json:
        out = json.loads(captured.out)
        assert set(out) == {
            "regions",
            "transport_cost",
            "growth_rates",
            "fastest_mode",
            "critical_transport_cost",
            "critical_mode",
        }
        assert out["critical_transport_cost"] is None and out["critical_mode"] is None
        assert [out["growth_rates"][str(k)] for k in range(1, 7)] == pytest.approx(list(rates))
        assert out["fastest_mode"] == int(np.argmax(rates)) + 1
        return
    lines = captured.out.splitlines()
    assert [line.split(":")[0].strip() for line in lines[1:7]] == [
        f"mode k = {k:>2} ({k} cluster{'s' if k > 1 else ''})" for k in range(1, 7)
    ]
    assert f"growth rate {rates[0]:+.5f}" in lines[1]
    top = int(np.argmax(rates)) + 1  # every mode decays: the slowest is not "fastest"
    assert lines[top].endswith("← least stable (every mode decays)")
    assert "fastest" not in captured.out
    assert lines[7] == (
        "  no critical transport cost: the even spread never breaks (stable at every T down to 1)"
    )
    assert "loses stability" not in captured.out


@pytest.mark.parametrize("economy", ["cp", "fe", "ql"])
def test_no_mode_is_fastest_when_every_rate_is_zero(capsys, economy):
    """At T = 1 trade is free and location does not matter: every growth rate is 0 (the
    analytic Jacobians of cp, fe and central differences for ql alike), so no mode leads."""
    analysis = racetrack.analyse(12, 1.0, 5.0, 0.4, economy=economy)
    assert max(abs(v) for v in analysis.growth_rates.values()) < 1e-12
    assert analysis.fastest_mode is None
    costly = racetrack.analyse(12, 1.05, 5.0, 0.4, economy=economy).growth_rates
    assert racetrack.analyse(12, 1.05, 5.0, 0.4, economy=economy).fastest_mode == max(
        costly, key=costly.get
    )
    args = ["racetrack", "--regions", "12", "--transport-cost", "1", "--model", economy]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fastest" not in out.replace("no mode grows fastest", "")
    assert "  no mode grows fastest: every growth rate is +0.00000" in out.splitlines()


def test_fastest_mode_needs_a_rate_that_stands_out():
    assert racetrack.fastest_mode(np.array([-1.0, 0.5, 0.2]), 1e-12) == 2
    assert racetrack.fastest_mode(np.array([-3.0, -1.0]), 1e-12) == 2  # least stable
    assert racetrack.fastest_mode(np.array([0.3, 0.3, 0.3]), 1e-12) is None
    assert racetrack.fastest_mode(np.array([1e-9, -1e-9]), 1e-8) is None  # below the noise
    assert racetrack.fastest_mode(np.array([-0.2]), 1e-12) == 1  # one mode, not zero
    assert racetrack.fastest_mode(np.array([0.0]), 1e-12) is None
