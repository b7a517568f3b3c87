"""Geographies (negsim.geography), their scenario checks (negsim.scenario) and the
distribution summaries (negsim.metrics).

Transport-cost matrices are checked against shortest paths computed independently with
networkx: iceberg costs compound along a chain of links, so T_rs = T^(graph distance) for
equal links and exp(shortest path of ln T_link) in general. Metrics are checked against
their textbook definitions written out here.
"""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from negsim import geography, metrics
from negsim.scenario import Scenario, ScenarioError, load_scenario, validate


def scenario(geo: dict[str, Any], regions: dict[str, Any], **economy: Any) -> dict[str, Any]:
    return {
        "economy": {"model": "cp", "sigma": 5.0, "mu": 0.4, **economy},
        "geography": geo,
        "regions": regions,
        "population": {"workers": 1000},
        "run": {"steps": 10},
    }


def build(data: dict[str, Any]) -> Scenario:
    return validate(copy.deepcopy(data))


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        validate(copy.deepcopy(data))
    msg = str(info.value)
    assert msg.strip() and "\n" not in msg, f"not one line: {msg!r}"
    return msg


def hop_matrix(graph: nx.Graph, order: list) -> np.ndarray:
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    return np.array([[lengths[u][v] for v in order] for u in order], dtype=float)


# ---------------------------------------------------------------------------------------
# Regular geographies against networkx
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 7, 12])
@pytest.mark.parametrize("T", [1.0, 1.3, 2.0])
def test_racetrack_is_power_of_ring_distance(n, T):
    got = geography.racetrack(n, T)
    steps = hop_matrix(nx.cycle_graph(n), list(range(n)))
    np.testing.assert_allclose(got, T**steps, rtol=1e-14)
    for r, s in itertools.product(range(n), repeat=2):
        assert got[r, s] == pytest.approx(T ** min(abs(r - s), n - abs(r - s)), rel=1e-14)


@pytest.mark.parametrize("n", [2, 5, 9])
def test_line_is_power_of_path_distance(n):
    T = 1.4
    got = geography.line(n, T)
    np.testing.assert_allclose(got, T ** hop_matrix(nx.path_graph(n), list(range(n))), rtol=1e-14)
    assert got[0, n - 1] == pytest.approx(T ** (n - 1), rel=1e-14)


@pytest.mark.parametrize(("rows", "cols"), [(1, 4), (2, 3), (3, 3), (4, 5)])
def test_grid_is_power_of_manhattan_steps(rows, cols):
    T = 1.25
    got = geography.grid(rows, cols, T)
    order = [(i, j) for i in range(rows) for j in range(cols)]  # row-major
    np.testing.assert_allclose(
        got, T ** hop_matrix(nx.grid_2d_graph(rows, cols), order), rtol=1e-14
    )


def test_regular_geographies_through_scenarios():
    racetrack = build(scenario({"kind": "racetrack"}, {"count": 8}, transport_cost=1.5))
    np.testing.assert_allclose(
        geography.transport_costs(racetrack),
        1.5 ** hop_matrix(nx.cycle_graph(8), list(range(8))),
        rtol=1e-14,
    )
    grid = build(scenario({"kind": "grid", "rows": 2, "cols": 3}, {"count": 6}, transport_cost=2.0))
    order = [(i, j) for i in range(2) for j in range(3)]
    np.testing.assert_allclose(
        geography.transport_costs(grid),
        2.0 ** hop_matrix(nx.grid_2d_graph(2, 3), order),
        rtol=1e-14,
    )
    line = build(scenario({"kind": "line"}, {"count": 4}, transport_cost=1.1))
    np.testing.assert_allclose(geography.transport_costs(line), geography.line(4, 1.1))
    assert geography.transport_costs(line)[0, 3] == pytest.approx(1.1**3, rel=1e-14)


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------


def weighted_house() -> tuple[nx.Graph, list[str]]:
    """networkx's house-x graph (a square with diagonals and a roof), places named,
    random distances."""
    rng = np.random.default_rng(5)
    g = nx.relabel_nodes(nx.house_x_graph(), {i: f"P{i}" for i in range(5)})
    for u, v in g.edges:
        g.edges[u, v]["distance"] = float(np.round(rng.uniform(50, 800), 1))
    g.edges["P0", "P3"]["distance"] = 2500.0  # a long link that chains undercut
    return g, [f"P{i}" for i in range(5)]


def network_scenario(g: nx.Graph, names: list[str], tau: float, cost: str) -> dict[str, Any]:
    links = [{"between": [u, v], "distance": d} for u, v, d in g.edges(data="distance")]
    geo = {"kind": "network", "links": links, "cost_per_distance": tau, "cost": cost}
    return scenario(geo, {"names": names})


@pytest.mark.parametrize("cost", ["exponential", "linear"])
def test_network_costs_from_weighted_shortest_paths(cost):
    g, names = weighted_house()
    tau = 0.001
    d = nx.floyd_warshall_numpy(g, nodelist=names, weight="distance")
    expected = np.exp(tau * d) if cost == "exponential" else 1.0 + tau * d
    got = geography.transport_costs(build(network_scenario(g, names, tau, cost)))
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    # some pair is cheapest through a chain, not its direct link
    direct = {(u, v): w for u, v, w in g.edges(data="distance")}
    assert any(d[names.index(u), names.index(v)] < w - 1e-9 for (u, v), w in direct.items())


def test_qinba_network_against_dijkstra():
    sc = load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "qinba_ring_network.toml"
    )
    g = nx.Graph()
    for link in sc.geography.links:
        g.add_edge(*link.between, distance=link.distance)
    names = sc.region_names
    tau = sc.geography.cost_per_distance
    got = geography.transport_costs(sc)
    for i, u in enumerate(names):
        dist = nx.single_source_dijkstra_path_length(g, u, weight="distance")
        for j, v in enumerate(names):
            assert got[i, j] == pytest.approx(math.exp(tau * dist[v]), rel=1e-13)
    # e.g. Xining–Chengdu has no direct link: via Lanzhou, 194 + 601 km
    i, j = names.index("Xining"), names.index("Chengdu")
    assert got[i, j] == pytest.approx(math.exp(tau * 795.0), rel=1e-13)


def test_disconnected_network_rejected_naming_cut_off_region():
    g, names = weighted_house()
    data = network_scenario(g, [*names, "Island"], 0.001, "exponential")
    msg = error_of(data)
    assert "geography.links" in msg
    assert "Island" in msg
    assert msg.endswith("cut off: Island")  # only the island, not the connected places


# ---------------------------------------------------------------------------------------
# Link overrides
# ---------------------------------------------------------------------------------------


def test_link_override_shortcut_on_racetrack():
    n, T, cheap = 12, 1.5, 1.2
    base = scenario({"kind": "racetrack"}, {"count": n}, transport_cost=T)
    before = geography.transport_costs(build(base))
    data = copy.deepcopy(base)
    data["geography"]["link_overrides"] = [{"between": ["R01", "R07"], "transport_cost": cheap}]
    sc = build(data)
    after = geography.transport_costs(sc)

    # independent: cheapest chains of ln T over the ring plus the new link
    g = nx.cycle_graph(n)
    nx.set_edge_attributes(g, math.log(T), "w")
    g.add_edge(0, 6, w=math.log(cheap))
    expected = np.exp(nx.floyd_warshall_numpy(g, nodelist=range(n), weight="w"))
    np.testing.assert_allclose(after, expected, rtol=1e-12)

    assert after[0, 6] == pytest.approx(cheap, rel=1e-14) == after[6, 0]
    assert before[0, 6] == pytest.approx(T**6, rel=1e-14)
    # R02–R08 (indices 1, 7): R02 → R01 → R07 → R08 = T · cheap · T, down from T^6
    assert after[1, 7] == pytest.approx(T * cheap * T, rel=1e-12)
    assert before[1, 7] == pytest.approx(T**6, rel=1e-14)
    # a pair the shortcut does not help keeps its cost (neighbours)
    assert after[2, 3] == pytest.approx(T, rel=1e-14)
    assert np.all(after <= before + 1e-12)


def test_link_override_on_network_and_unknown_region_rejected():
    g, names = weighted_house()
    data = network_scenario(g, names, 0.001, "exponential")
    data["geography"]["link_overrides"] = [{"between": ["P0", "Atlantis"], "transport_cost": 1.1}]
    msg = error_of(data)
    assert "geography.link_overrides" in msg and "Atlantis" in msg

    data["geography"]["link_overrides"] = [{"between": ["P0", "P4"], "transport_cost": 1.01}]
    got = geography.transport_costs(build(data))
    h = nx.Graph()
    for u, v, d in g.edges(data="distance"):
        h.add_edge(u, v, w=0.001 * d)
    h.add_edge("P0", "P4", w=math.log(1.01))
    expected = np.exp(nx.floyd_warshall_numpy(h, nodelist=names, weight="w"))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_link_override_same_region_rejected():
    data = scenario({"kind": "racetrack"}, {"count": 4}, transport_cost=1.5)
    data["geography"]["link_overrides"] = [{"between": ["R02", "R02"], "transport_cost": 1.1}]
    assert "geography.link_overrides" in error_of(data)


# ---------------------------------------------------------------------------------------
# Explicit matrices
# ---------------------------------------------------------------------------------------


def matrix_scenario(matrix: list[list[float]], n: int = 3) -> dict[str, Any]:
    return scenario({"kind": "matrix", "matrix": matrix}, {"names": ["A", "B", "C"][:n]})


def test_valid_matrix_used_as_is():
    m = [[1.0, 1.5, 2.0], [1.6, 1.0, 1.3], [2.1, 1.4, 1.0]]
    got = geography.transport_costs(build(matrix_scenario(m)))
    np.testing.assert_array_equal(got, np.array(m))


@pytest.mark.parametrize(
    "matrix",
    [
        [[1.0, 1.5], [1.5, 1.0], [2.0, 2.0]],  # 3 rows of 2
        [[1.0, 1.5, 2.0], [1.5, 1.0], [2.0, 1.3, 1.0]],  # ragged
        [[1.0, 1.5, 2.0], [1.5, 1.2, 1.3], [2.0, 1.3, 1.0]],  # diagonal ≠ 1
        [[1.0, 0.9, 2.0], [1.5, 1.0, 1.3], [2.0, 1.3, 1.0]],  # entry < 1
    ],
    ids=["non-square", "ragged", "diagonal", "below-one"],
)
def test_bad_matrix_rejected(matrix):
    msg = error_of(matrix_scenario(matrix))
    assert "geography.matrix" in msg


def test_missing_matrix_rejected():
    assert "geography.matrix" in error_of(scenario({"kind": "matrix"}, {"names": ["A", "B"]}))


# ---------------------------------------------------------------------------------------
# Scenario-level checks
# ---------------------------------------------------------------------------------------


def test_count_names_regions():
    sc = build(scenario({"kind": "racetrack"}, {"count": 12}, transport_cost=1.5))
    assert sc.region_names == [f"R{i:02d}" for i in range(1, 13)]
    assert sc.region_names[0] == "R01" and sc.region_names[-1] == "R12"
    assert sc.n_regions == 12
    small = build(scenario({"kind": "line"}, {"count": 3}, transport_cost=1.5))
    assert small.region_names == ["R1", "R2", "R3"]


def test_names_and_count_exclusive():
    both = scenario(
        {"kind": "racetrack"}, {"count": 3, "names": ["A", "B", "C"]}, transport_cost=2.0
    )
    assert "regions" in error_of(both) and "exactly one" in error_of(both)
    neither = scenario({"kind": "racetrack"}, {}, transport_cost=2.0)
    assert "regions" in error_of(neither) and "exactly one" in error_of(neither)


@pytest.mark.parametrize(("rows", "cols"), [(2, 2), (3, 3), (None, 3), (2, None)])
def test_grid_shape_must_match_regions(rows, cols):
    geo = {"kind": "grid", **{k: v for k, v in (("rows", rows), ("cols", cols)) if v}}
    msg = error_of(scenario(geo, {"count": 6}, transport_cost=1.5))
    assert "geography.rows" in msg and "6" in msg


@pytest.mark.parametrize("kind", ["two_region", "racetrack", "line", "grid"])
def test_kinds_needing_transport_cost(kind):
    geo = {"kind": kind, **({"rows": 1, "cols": 2} if kind == "grid" else {})}
    msg = error_of(scenario(geo, {"names": ["A", "B"]}))
    assert "economy.transport_cost" in msg and kind in msg
    assert build(scenario(geo, {"names": ["A", "B"]}, transport_cost=1.2)).n_regions == 2


def test_network_needs_cost_per_distance():
    g, names = weighted_house()
    data = network_scenario(g, names, 0.001, "exponential")
    del data["geography"]["cost_per_distance"]
    assert "geography.links" in error_of(data)
    assert build(network_scenario(g, names, 0.001, "linear")).economy.transport_cost is None


# ---------------------------------------------------------------------------------------
# Neighbours
# ---------------------------------------------------------------------------------------


def nx_neighbours(graph: nx.Graph, order: list) -> list[list[int]]:
    index = {node: i for i, node in enumerate(order)}
    return [sorted(index[m] for m in graph.neighbors(node)) for node in order]


@pytest.mark.parametrize("n", [3, 5, 12])
def test_neighbours_racetrack_and_line(n):
    ring = build(scenario({"kind": "racetrack"}, {"count": n}, transport_cost=1.5))
    assert geography.neighbours(ring) == nx_neighbours(nx.cycle_graph(n), list(range(n)))
    line = build(scenario({"kind": "line"}, {"count": n}, transport_cost=1.5))
    assert [sorted(x) for x in geography.neighbours(line)] == nx_neighbours(
        nx.path_graph(n), list(range(n))
    )


def test_neighbours_racetrack_of_two():
    ring = build(scenario({"kind": "racetrack"}, {"count": 2}, transport_cost=1.5))
    assert geography.neighbours(ring) == [[1], [0]]


@pytest.mark.parametrize(("rows", "cols"), [(1, 3), (3, 4)])
def test_neighbours_grid(rows, cols):
    sc = build(
        scenario(
            {"kind": "grid", "rows": rows, "cols": cols}, {"count": rows * cols}, transport_cost=1.5
        )
    )
    order = [(i, j) for i in range(rows) for j in range(cols)]
    got = [sorted(x) for x in geography.neighbours(sc)]
    assert got == nx_neighbours(nx.grid_2d_graph(rows, cols), order)


def test_neighbours_network():
    g, names = weighted_house()
    got = geography.neighbours(build(network_scenario(g, names, 0.001, "exponential")))
    assert got == nx_neighbours(g, names)


# ---------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_gini_mean_absolute_difference(seed):
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.ones(3 + 4 * seed))
    n = x.size
    mad = sum(abs(a - b) for a in x for b in x)
    assert metrics.gini(x) == pytest.approx(mad / (2 * n * n * x.mean()), rel=1e-12)


def test_gini_extremes():
    assert metrics.gini(np.full(8, 1 / 8)) == pytest.approx(0.0, abs=1e-15)
    assert metrics.gini(np.eye(8)[3]) == pytest.approx(7 / 8, rel=1e-14)


def ring_neighbours(n: int) -> list[list[int]]:
    return nx_neighbours(nx.cycle_graph(n), list(range(n)))


def test_cluster_centres_racetrack_patterns():
    n = 12
    nb = ring_neighbours(n)
    alternating = np.tile([2.0, 0.0], 6) / 12.0
    assert metrics.cluster_centres(alternating, nb) == [0, 2, 4, 6, 8, 10]
    two_peaks = np.array([1, 2, 5, 2, 1, 0.5, 0.5, 1, 2, 5, 2, 1], dtype=float)
    two_peaks /= two_peaks.sum()
    assert metrics.cluster_centres(two_peaks, nb) == [2, 9]
    assert metrics.cluster_centres(np.full(n, 1 / n), nb) == []
    # a plateau of two equal neighbouring peaks counts once
    plateau = np.array([0.2, 0.2, *([0.06] * 10)])
    assert metrics.cluster_centres(plateau, nb) == [0]


def test_classify_regime_relative_tolerance():
    assert metrics.classify_regime([0.95, 0.05]) == "agglomerated"
    assert metrics.classify_regime([0.9, 0.1]) == "agglomerated"
    n = 20
    even = np.full(n, 1 / n)
    near = even * np.where(np.arange(n) % 2, 1.08, 0.92)  # 8 % off, relative
    far = even * np.where(np.arange(n) % 2, 1.12, 0.88)  # 12 % off: 0.006 absolute
    assert metrics.classify_regime(even) == "dispersed"
    assert metrics.classify_regime(near) == "dispersed"
    assert metrics.classify_regime(far) == "partial"
    assert metrics.classify_regime(far, dispersed_tolerance=0.13) == "dispersed"
    assert metrics.classify_regime([0.6, 0.4]) == "partial"  # |2·0.6 - 1| = 0.2
    assert metrics.classify_regime([0.54, 0.46]) == "dispersed"  # |2·0.54 - 1| = 0.08


def test_transport_cost_with_a_network_or_matrix_is_refused():
    """A transport cost the geography would ignore is an error, not a silent no-op."""
    import tomllib

    from negsim.scenario import ScenarioError, validate

    root = Path(__file__).resolve().parents[1] / "scenarios"
    for name in ("qinba_ring_network.toml", "anhui_ip_towns.toml"):
        data = tomllib.loads((root / name).read_text(encoding="utf-8"))
        data["economy"]["transport_cost"] = 1.5
        with pytest.raises(ScenarioError, match="economy.transport_cost: not used"):
            validate(data, name)
    data = tomllib.loads((root / "two_region_clustering.toml").read_text(encoding="utf-8"))
    data["regions"]["housing"] = [0.5, 0.5]
    with pytest.raises(ScenarioError, match="regions.housing: only used"):
        validate(data, "two_region_clustering.toml")
