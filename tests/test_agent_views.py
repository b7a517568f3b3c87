"""Agents as arrays, Mesa views on demand (#15 item 1).

A model keeps its state in numpy arrays; the Mesa agents are created only when a user asks
for them, and then stay live views of the arrays while the model steps.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pytest

import negsim
from negsim.agents import Firm, Worker, region_dtype
from negsim.model import NEGModel
from negsim.rules import migrate
from negsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def load(name: str, *overrides: str):
    return load_scenario(SCENARIOS / f"{name}.toml", list(overrides))


def registered(model: NEGModel) -> int:
    """Agents in Mesa's own registry, without asking the model (which would create them)."""
    return len(mesa.Model.agents.fget(model))


def assert_views_match(model: NEGModel) -> None:
    R = model.n_regions
    workers, firms = model.workers, model.firms
    assert len(workers) == model.worker_region.size
    assert [w.region_index for w in workers] == model.worker_region.tolist()
    open_slots = np.flatnonzero(model.firm_region < R)
    assert sorted(f.index for f in firms) == open_slots.tolist()
    assert all(f.region_index == model.firm_region[f.index] for f in firms)
    by_name = [sum(w.region == name for w in workers) for name in model.region_names]
    np.testing.assert_array_equal(by_name, model.worker_counts)
    np.testing.assert_array_equal(
        np.bincount([f.region_index for f in firms], minlength=R), model.firm_counts
    )
    assert len(model.agents) == len(workers) + len(firms)


def test_a_batch_run_creates_no_mesa_agent():
    sc = load("two_region_clustering", "population.workers=3000", "run.steps=30")
    model = NEGModel(sc)
    for _ in range(30):
        model.step()
    assert registered(model) == 0 and model.agent_id_counter == 1
    assert model.worker_counts.sum() == 3000
    result = negsim.run(sc)
    assert result.summary["steps"] == 30


def test_views_appear_on_demand_and_follow_the_arrays():
    sc = load("two_region_clustering", "population.workers=2000", "run.steps=60")
    model = NEGModel(sc)
    model.run_for(3)
    assert registered(model) == 0
    assert len(model.agents) == 2000 + 1000  # asking creates them: workers, then firms
    assert registered(model) == 3000
    assert set(model.agent_types) == {Worker, Firm}
    assert len(model.agents_by_type[Worker]) == 2000
    assert_views_match(model)
    moved = 0
    for _ in range(20):
        before = model.worker_region.copy()
        model.step()
        moved += int(np.count_nonzero(before != model.worker_region))
        assert_views_match(model)
    assert moved > 0  # the views followed actual moves
    north = model.agents.select(lambda a: isinstance(a, Worker) and a.region == "North")
    assert len(north) == model.worker_counts[0]


def test_creating_views_leaves_the_run_unchanged():
    sc = load("two_region_clustering", "population.workers=2000", "run.steps=40")
    plain, viewed = NEGModel(sc), NEGModel(sc)
    assert len(viewed.workers) == 2000
    plain.run_for(40)
    viewed.run_for(40)
    np.testing.assert_array_equal(plain.worker_region, viewed.worker_region)
    np.testing.assert_array_equal(plain.firm_region, viewed.firm_region)
    assert registered(plain) == 0


def test_firm_views_created_after_exits_follow_entry_and_exit():
    sc = load("core_plant_closures", "population.workers=2000", "population.firms=400")
    model = NEGModel(sc)
    model.run_for(60)  # the shock at step 50 closed 30% of the core's firms
    assert np.any(model.firm_region == model.n_regions)
    assert_views_match(model)
    ids = {f.unique_id for f in model.firms}
    changes = 0
    for _ in range(100):
        model.step()
        assert_views_match(model)
        now = {f.unique_id for f in model.firms}
        assert len(now - ids) == model.firm_entries and len(ids - now) == model.firm_exits
        changes += model.firm_entries + model.firm_exits
        ids = now
    assert changes > 0


def test_a_datacollector_with_agent_reporters_sees_the_views():
    sc = load("two_region_clustering", "population.workers=500", "population.firms=50")
    model = NEGModel(sc)
    collector = mesa.DataCollector(agent_reporters={"region": "region_index"})
    model.run_for(5)
    collector.collect(model)
    table = collector.get_agent_vars_dataframe()
    assert len(table) == 550
    workers = table.loc[(5, [w.unique_id for w in model.workers]), "region"].to_numpy()
    np.testing.assert_array_equal(workers, model.worker_region)


@pytest.mark.parametrize(
    "regions,dtype",
    [(2, np.int8), (127, np.int8), (128, np.int16), (32_767, np.int16), (32_768, np.int32)],
)
def test_region_dtype_is_the_smallest_that_holds_the_closed_marker(regions, dtype):
    assert region_dtype(regions) == dtype
    assert np.iinfo(region_dtype(regions)).max >= regions  # R marks a closed firm slot


def test_models_store_regions_in_the_smallest_type():
    model = NEGModel(load("racetrack_12", "population.workers=1200"))
    assert model.worker_region.dtype == np.int8 and model.firm_region.dtype == np.int8
    model.run_for(3)
    assert model.worker_region.dtype == np.int8


def test_migrate_on_small_integers_equals_migrate_on_int64():
    rng = np.random.default_rng(5)
    region = rng.integers(0, 120, size=50_000)
    log_payoff = rng.normal(size=120)
    narrow = region.astype(region_dtype(120))
    wide = region.astype(np.int64)
    a = migrate(narrow, log_payoff, None, 0.3, 4.0, np.random.default_rng(9))
    b = migrate(wide, log_payoff, None, 0.3, 4.0, np.random.default_rng(9))
    assert a[0] == b[0] > 0
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(narrow, wide)
    assert narrow.dtype == np.int8


# --- counts follow from the moves ------------------------------------------------------------
def test_migrate_updates_the_counts_from_the_moves():
    rng = np.random.default_rng(3)
    region = rng.integers(0, 5, size=20_000).astype(np.int8)
    counts = np.bincount(region, minlength=5)
    log_payoff = np.array([0.0, 0.3, -0.2, 0.1, 0.05])
    total = 0
    for _ in range(10):
        before = region.copy()
        moved, _ = migrate(region, log_payoff, None, 0.2, 2.0, rng, counts=counts)
        assert moved == np.count_nonzero(before != region)
        total += moved
        np.testing.assert_array_equal(counts, np.bincount(region, minlength=5))
    assert total > 0


@pytest.mark.parametrize("name", ["racetrack_12", "anhui_ip_towns", "baoji_titanium"])
def test_model_counts_equal_a_fresh_tally_every_step(name):
    model = NEGModel(load(name))
    R, moves = model.n_regions, 0
    for _ in range(15):
        model.step()
        moves += model.moves
        workers = np.bincount(model.worker_region, minlength=R)
        firms = np.bincount(model.firm_region, minlength=R + 1)[:R]
        np.testing.assert_array_equal(model.worker_counts, workers)
        np.testing.assert_array_equal(model.firm_counts, firms)
        mobile = firms if model.firms_move else workers
        np.testing.assert_array_equal(model.shares, mobile / model.mobile_region.size)
    assert moves > 0
