"""`negsim tomahawk --model ...` for every economy."""

from __future__ import annotations

import json

import pytest

from negsim.cli import main
from negsim.economies import cp, fc, fe


def tomahawk_json(capsys, *args):
    assert main(["tomahawk", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fe_thresholds(capsys):
    out = tomahawk_json(capsys, "--model", "fe", "--sigma", "3", "--mu", "0.5")
    assert out["break_point"]["T"] == pytest.approx(fe.break_point(3, 0.5).T)
    assert out["sustain_point"]["T"] == pytest.approx(fe.sustain_point(3, 0.5).T)
    # FE: φ_B = (σ-μ)(σ-1-μ)/((σ+μ)(σ-1+μ)) = 2.5·1.5/(3.5·2.5) = 3/7
    assert out["break_point"]["phi"] == pytest.approx(3 / 7)


def test_fc_has_no_break_point_but_a_full_agglomeration_point(capsys):
    out = tomahawk_json(
        capsys, "--model", "fc", "--sigma", "5", "--mu", "0.4", "--expenditure-share", "0.6"
    )
    assert out["break_point"] is None and out["break_points"] == []
    assert out["full_agglomeration_point"]["phi"] == pytest.approx(0.4 / 0.6)
    assert fc.equilibrium_share(0.6, out["full_agglomeration_point"]["phi"]) == pytest.approx(1)


def test_housing_gives_two_break_and_two_sustain_points(capsys, tmp_path):
    plot = tmp_path / "bell.png"
    assert (
        main(
            ["tomahawk", "--sigma", "5", "--mu", "0.4", "--housing-share", "0.05"]
            + ["--plot", str(plot)]
        )
        == 0
    )
    assert plot.stat().st_size > 10_000
    capsys.readouterr()
    out = tomahawk_json(capsys, "--sigma", "5", "--mu", "0.4", "--housing-share", "0.05")
    assert len(out["break_points"]) == 2 and len(out["sustain_points"]) == 2
    low, high = (t["T"] for t in out["break_points"])
    assert 1.0 < low < 1.1 < 1.5 < high < cp.break_point(5, 0.4).T


@pytest.mark.parametrize(
    "args",
    [
        ["--model", "fe", "--sigma", "1.5", "--mu", "0.6"],  # μ ≥ σ - 1: black hole
        ["--sigma", "5", "--mu", "0.4", "--housing-share", "0.7"],  # μ + η ≥ 1
        ["--model", "fc", "--sigma", "5", "--mu", "0.4", "--expenditure-share", "0.4"],
    ],
)
def test_bad_parameters_exit_2(capsys, args):
    assert main(["tomahawk", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("negsim: error:") and len(err.strip().splitlines()) == 1
