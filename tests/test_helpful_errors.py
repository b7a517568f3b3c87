"""Messages that say what to do (#11): an unknown key names the closest allowed one
(`[behavior]` → `behaviour`), a feature whose extra is missing names the extra."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from negsim.scenario import ScenarioError, load_scenario, validate
from negsim.sweeps.spec import SweepError, plan_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "two_region_clustering.toml"


def test_a_misspelt_table_names_the_one_meant():
    data = {
        "economy": {"sigma": 5.0, "mu": 0.4, "transport_cost": 1.5},
        "regions": {"names": ["A", "B"]},
        "population": {"workers": 100},
        "run": {"steps": 5},
        "behavior": {"noise": 0.1},
    }
    with pytest.raises(ScenarioError) as err:
        validate(data, "typo.toml")
    assert str(err.value).startswith(
        "typo.toml: behavior: unknown key; did you mean 'behaviour'? (allowed: name, "
    )


def test_a_misspelt_key_names_the_one_meant_and_a_stranger_names_none():
    with pytest.raises(
        ScenarioError, match=r"economy\.sigmaa: unknown key; did you mean 'sigma'\?"
    ):
        load_scenario(BASE, ["economy.sigmaa=5"])
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, ["economy.zzzz=5"])
    assert "economy.zzzz: unknown key (allowed: model, sigma, mu" in str(err.value)


def test_a_misspelt_sweep_key_names_the_one_meant():
    data = {
        "sweep": {"scenario": str(BASE), "desgin": "grid"},
        "parameters": {"economy.transport_cost": [1.5, 1.7]},
    }
    with pytest.raises(SweepError, match=r"sweep\.desgin: unknown key; did you mean 'design'\?"):
        plan_sweep(data, source="s.toml")


def test_a_sobol_design_without_salib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)  # as if not installed
    data = {
        "sweep": {"scenario": str(BASE), "design": "sobol", "samples": 4},
        "parameters": {
            "economy.transport_cost": {"min": 1.5, "max": 1.7},
            "economy.mu": {"min": 0.3, "max": 0.4},
        },
    }
    with pytest.raises(SweepError) as err:
        plan_sweep(data, source="s.toml")
    assert str(err.value) == (
        "s.toml: sweep.design: 'sobol' needs SALib, which is not installed: "
        "pip install 'negsim[sobol]'"
    )


def test_dask_without_dask_names_the_extra(monkeypatch):
    from negsim.sweeps import dask_executor

    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(SweepError, match=r"pip install 'negsim\[dask\]'"), dask_executor("local"):
        pass


def test_tomahawk_defaults_to_fkv_parameters_like_racetrack(capsys):
    """σ = 5, μ = 0.4 by default (#11 item 8), FKV's tomahawk figure: T_B ≈ 1.627."""
    from negsim.cli import main

    assert main(["tomahawk", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sigma"], out["mu"]) == (5.0, 0.4)
    assert out["break_point"]["T"] == pytest.approx(1.626577, abs=1e-6)
