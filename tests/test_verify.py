"""``negsim verify`` (negsim.verification, negsim.anchors): every anchor passes on this
code; a threshold perturbed by 1 % makes its rows fail and the command exit 1 with the rows
marked; the JSON output parses; a route that raises is a failed row, not a crash.

The whole table is computed once per module (``verify_rows``); the perturbed runs reuse the
independent routes' caches, so only negsim's side is recomputed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import negsim
from negsim.anchors import ANCHORS, Anchor
from negsim.anchors import cp as cp_anchors
from negsim.cli import main
from negsim.economies import cp, cpvl, fc, fcvl, fe, linear, ql
from negsim.verification import verify


@pytest.fixture(scope="module")
def verify_rows():
    return negsim.verify()


def test_every_anchor_passes(verify_rows):
    assert len(verify_rows) == len(ANCHORS) > 20
    failed = [(r.anchor, r.expected, r.negsim) for r in verify_rows if not r.passed]
    assert failed == []
    for r in verify_rows:
        assert r.relative_error == pytest.approx(
            abs(r.negsim - r.expected) / abs(r.expected), rel=1e-12, abs=1e-300
        )


def test_published_figures_are_in_the_table(verify_rows):
    published = {r.expected for r in verify_rows if r.anchor.endswith("published")}
    assert published == {1.627, 1.807, 1.9319}


def perturbed(original, factor=1.01):
    """``original`` returning a Threshold with T (and φ) scaled by ``factor`` (a number or
    array, such as linear's τ* or ql's branch: itself scaled)."""

    def wrapper(*args, **kwargs):
        t = original(*args, **kwargs)
        if isinstance(t, (float, np.ndarray)):
            return t * factor
        return type(t)(T=t.T * factor, phi=t.phi * factor)

    return wrapper


@pytest.mark.parametrize(
    ("module", "name", "marker", "rows"),
    [
        (cp, "break_point", "cp break point", 4),
        (fe, "break_point", "fe break point", 3),
        (cpvl, "break_point", "cpvl break point", 3),
        (cpvl, "sustain_point", "cpvl sustain point", 3),
        (fcvl, "break_point", "fcvl break point", 3),
        (fcvl, "sustain_point", "fcvl sustain point", 3),
        (ql, "break_point", "ql break point", 3),
        (ql, "sustain_point", "ql sustain point", 3),
        (ql, "interior_share", "ql pitchfork branch", 3),
        (linear, "break_point", "linear threshold τ*", 3),
        (linear, "trade_threshold", "linear trade threshold", 3),
    ],
)
def test_a_perturbed_threshold_fails_its_rows_and_exits_1(
    monkeypatch, capsys, verify_rows, module, name, marker, rows
):
    """The published figure and the three root-finds (cp), three root-finds each for the
    others: every row of that threshold fails, every other row (but the racetrack's) passes."""
    monkeypatch.setattr(module, name, perturbed(getattr(module, name)))
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(marker)]
    assert len(lines) == rows and all(line.endswith("FAIL") for line in lines)
    others = [
        line
        for line in out.splitlines()[2:-1]
        if not line.startswith(marker) and not line.startswith("racetrack")
    ]
    assert others and all(line.endswith("ok") for line in others)
    assert out.splitlines()[-1].endswith("FAIL")


def test_a_perturbed_racetrack_break_fails_although_verify_caches_it(monkeypatch, verify_rows):
    from negsim import racetrack

    original = racetrack.critical_transport_cost
    monkeypatch.setattr(
        racetrack,
        "critical_transport_cost",
        lambda *args: (1.01 * original(*args)[0], original(*args)[1]),
    )
    rows = [r for r in verify() if r.anchor.startswith("racetrack first break")]
    assert len(rows) == 3 and not any(r.passed for r in rows)
    assert all(r.negsim == pytest.approx(1.01 * 1.9318516525781364, rel=1e-9) for r in rows)


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--tables"])
    assert exc.value.code == 2


def test_a_perturbed_home_market_share_fails(monkeypatch, verify_rows):
    original = fc.equilibrium_share
    monkeypatch.setattr(fc, "equilibrium_share", lambda s, phi: 1.01 * original(s, phi))
    rows = [r for r in verify() if r.anchor.startswith("fc share")]
    assert len(rows) == 3 and not any(r.passed for r in rows)
    assert all(r.relative_error == pytest.approx(0.01, rel=1e-6) for r in rows)


def test_the_json_output_parses(capsys, verify_rows):
    assert main(["verify", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and data["seconds"] > 0
    assert [a["anchor"] for a in data["anchors"]] == [a.name for a in ANCHORS]
    first = data["anchors"][0]
    assert set(first) == {
        "anchor",
        "source",
        "economy",
        "expected",
        "negsim",
        "relative_error",
        "rtol",
        "pass",
    }


def test_a_route_that_raises_is_a_failed_row():
    def boom():
        raise ValueError("no sign change")

    (row,) = verify([Anchor("x", "nowhere", boom, lambda: 1.0, 1e-6, "cp")])
    assert not row.passed and math.isnan(row.expected) and math.isnan(row.relative_error)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (3.0, 0.3), (8.0, 0.2)])
def test_smoothing_threshold_closed_form_is_a_quarter_of_the_slope(sigma, mu):
    """ν* = s/4 with s the analytic d ln(ω_1/ω_2)/dλ_1 (``cp.symmetric_slope``, implicit
    differentiation), and it vanishes at the break point."""
    t_b = cp.break_point(sigma, mu).T
    for T in (1.05, 0.9 * t_b + 0.1, 1.5 * t_b):
        assert cp_anchors.smoothing_threshold(T, sigma, mu) == pytest.approx(
            cp.symmetric_slope(T, sigma, mu) / 4.0, rel=1e-9, abs=1e-13
        )
    assert abs(cp_anchors.smoothing_threshold(t_b, sigma, mu)) < 1e-12


def test_independent_cp_solver_matches_negsim_at_a_random_state():
    rng = np.random.default_rng(3)
    lam, a = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    T = 1.0 + rng.uniform(0.1, 0.6, (4, 4))
    T = np.triu(T, 1) + np.triu(T, 1).T + np.eye(4)
    mine = cp_anchors.real_wages(lam, a, T, 5.0, 0.4)
    assert mine == pytest.approx(cp.short_run_equilibrium(lam, a, T, 5.0, 0.4).real_wage, rel=1e-12)
