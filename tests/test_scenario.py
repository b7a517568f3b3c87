"""Scenario files: loading, one-line errors naming file + key + reason, --set overrides,
seed override, resolved-TOML round trip and the JSON Schema (negsim.scenario).

Bad scenarios are built by parsing a valid fixture (tests/data/two_region.toml) with
tomllib, editing the dict and writing it back with tomli_w into tmp_path.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from pydantic import BaseModel

from negsim.scenario import (
    Analysis,
    Behaviour,
    Economy,
    Population,
    Regions,
    Run,
    Scenario,
    ScenarioError,
    Solver,
    apply_overrides,
    json_schema,
    load_scenario,
    parse_override,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
VALID = DATA / "two_region.toml"
MINIMAL = DATA / "minimal.toml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def _valid_dict() -> dict[str, Any]:
    with VALID.open("rb") as fh:
        return tomllib.load(fh)


def _write(tmp_path: Path, data: dict[str, Any], name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _error_of(path: Path, **kwargs: Any) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    return str(info.value)


def _assert_one_line(msg: str) -> None:
    assert msg.strip(), "empty error message"
    assert "\n" not in msg and "\r" not in msg, f"error is not one line: {msg!r}"


# --- shipped scenarios ------------------------------------------------------------------


def test_scenarios_directory_is_not_empty() -> None:
    # Guards the parametrized test below against silently collecting nothing.
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.n_regions == len(scenario.region_names) >= 2
    assert sum(scenario.initial_shares()) == pytest.approx(1.0, abs=1e-9)
    assert sum(scenario.farmer_shares()) == pytest.approx(1.0, abs=1e-9)
    # no-black-hole condition holds for every shipped economy
    sigma, mu = scenario.economy.sigma, scenario.economy.mu
    assert mu < (sigma - 1) / sigma


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "my_case.toml"
    path.write_bytes(MINIMAL.read_bytes())
    assert load_scenario(path).name == "my_case"
    # an explicit name wins over the file name
    assert load_scenario(VALID).name == _valid_dict()["name"]


# --- bad scenario files -----------------------------------------------------------------


def _set(table: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data[table].update(values)

    return edit


def _drop(table: str, key: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        del data[table][key]

    return edit


# (id, edit of the valid dict, dotted key the message must name, fragments it must contain)
BAD_FILES: list[tuple[str, Callable[[dict[str, Any]], None], str, list[str]]] = [
    ("missing-sigma", _drop("economy", "sigma"), "economy.sigma", ["missing"]),
    ("missing-steps", _drop("run", "steps"), "run.steps", ["missing"]),
    (
        "unknown-key",
        _set("economy", sigmaa=5.0),
        "economy.sigmaa",
        ["unknown key", "allowed", "model", "sigma", "mu", "transport_cost"],
    ),
    ("sigma-equal-1", _set("economy", sigma=1.0), "economy.sigma", ["greater than 1"]),
    ("sigma-below-1", _set("economy", sigma=0.5), "economy.sigma", ["greater than 1"]),
    ("mu-equal-1", _set("economy", mu=1.0), "economy.mu", ["less than 1"]),
    ("mu-above-1", _set("economy", mu=1.5), "economy.mu", ["less than 1"]),
    ("mu-zero", _set("economy", mu=0.0), "economy.mu", ["greater than 0"]),
    (
        "transport-negative",
        _set("economy", transport_cost=-1.0),
        "economy.transport_cost",
        ["greater than or equal to 1"],
    ),
    (
        "transport-below-1",
        _set("economy", transport_cost=0.9),
        "economy.transport_cost",
        ["greater than or equal to 1"],
    ),
    (
        "initial-shares-sum-over",
        _set("population", initial_shares=[0.6, 0.6]),
        "population.initial_shares",
        ["sum to 1"],
    ),
    (
        "initial-shares-sum-under",
        _set("population", initial_shares=[0.5, 0.4]),
        "population.initial_shares",
        ["sum to 1"],
    ),
    (
        "farmer-shares-sum",
        _set("regions", farmer_shares=[0.3, 0.3]),
        "regions.farmer_shares",
        ["sum to 1"],
    ),
    (
        "farmer-shares-length",
        _set("regions", farmer_shares=[0.5, 0.25, 0.25]),
        "regions.farmer_shares",
        ["one entry per region", "3"],
    ),
    (
        "initial-shares-length",
        _set("population", initial_shares=[1.0]),
        "population.initial_shares",
        ["one entry per region"],
    ),
    (
        "black-hole",
        _set("economy", sigma=2.0, mu=0.6),
        "economy.mu",
        ["no-black-hole", "0.5"],
    ),
    ("sigma-nan", _set("economy", sigma=float("nan")), "economy.sigma", ["finite"]),
    (
        "transport-inf",
        _set("economy", transport_cost=float("inf")),
        "economy.transport_cost",
        ["finite"],
    ),
    (
        "workers-too-few",
        _set("population", workers=1),
        "population.workers",
        ["greater than or equal to 2"],
    ),
    ("duplicate-regions", _set("regions", names=["A", "A"]), "regions.names", ["unique"]),
    ("model-unknown", _set("economy", model="nope"), "economy.model", ["'cp'"]),
]


@pytest.mark.parametrize(
    ("edit", "key", "fragments"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_file_gives_one_line_error_naming_file_and_key(
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    key: str,
    fragments: list[str],
) -> None:
    data = _valid_dict()
    edit(data)
    path = _write(tmp_path, data)
    msg = _error_of(path)
    _assert_one_line(msg)
    assert msg.startswith(str(path)), msg
    assert f": {key}: " in msg, msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


@pytest.mark.parametrize(
    ("needle", "literal", "key"),
    [
        ("sigma = 5.0", "sigma = nan", "economy.sigma"),
        ("mu = 0.4", "mu = -nan", "economy.mu"),
        ("transport_cost = 1.5", "transport_cost = inf", "economy.transport_cost"),
        ("response = 10.0", "response = +inf", "behaviour.response"),
    ],
)
def test_toml_nan_and_inf_literals_rejected(
    tmp_path: Path, needle: str, literal: str, key: str
) -> None:
    text = VALID.read_text(encoding="utf-8")
    assert needle in text
    path = tmp_path / "nonfinite.toml"
    path.write_text(text.replace(needle, literal), encoding="utf-8")
    msg = _error_of(path)
    _assert_one_line(msg)
    assert str(path) in msg and f": {key}: " in msg and "finite" in msg, msg


def test_nan_inside_share_list_rejected(tmp_path: Path) -> None:
    data = _valid_dict()
    data["population"]["initial_shares"] = [float("nan"), 0.5]
    msg = _error_of(_write(tmp_path, data))
    _assert_one_line(msg)
    assert "population.initial_shares" in msg and "finite" in msg


def test_black_hole_boundary_is_excluded(tmp_path: Path) -> None:
    # mu exactly (sigma-1)/sigma is still a black hole; just below it is fine.
    data = _valid_dict()
    data["economy"].update(sigma=4.0, mu=0.75)
    msg = _error_of(_write(tmp_path, data))
    assert "no-black-hole" in msg and "0.75" in msg
    data["economy"]["mu"] = 0.7499
    assert load_scenario(_write(tmp_path, data, "ok.toml")).economy.mu == 0.7499


def test_several_problems_give_one_line_each(tmp_path: Path) -> None:
    data = _valid_dict()
    del data["economy"]["sigma"]
    data["run"]["steps"] = 0
    path = _write(tmp_path, data)
    lines = _error_of(path).split("\n")
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert any("economy.sigma" in line and "missing" in line for line in lines)
    assert any("run.steps" in line for line in lines)


def test_missing_table_named(tmp_path: Path) -> None:
    data = _valid_dict()
    del data["economy"]
    msg = _error_of(_write(tmp_path, data))
    _assert_one_line(msg)
    assert ": economy: " in msg and "missing" in msg


def test_unknown_top_level_table_lists_allowed(tmp_path: Path) -> None:
    data = _valid_dict()
    data["ecnomy"] = {"sigma": 5.0}
    msg = _error_of(_write(tmp_path, data))
    _assert_one_line(msg)
    assert ": ecnomy: unknown key" in msg
    for table in ("economy", "regions", "population", "behaviour", "run"):
        assert table in msg


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text("[economy\nsigma = 5.0\n", encoding="utf-8")
    msg = _error_of(path)
    _assert_one_line(msg)
    assert msg.startswith(str(path)) and "not valid TOML" in msg and "line 1" in msg


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "does_not_exist.toml"
    msg = _error_of(path)
    _assert_one_line(msg)
    assert str(path) in msg and "no such file" in msg


def test_directory_instead_of_file(tmp_path: Path) -> None:
    msg = _error_of(tmp_path)
    _assert_one_line(msg)
    assert str(tmp_path) in msg and "directory" in msg


# --- --set overrides --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("economy.transport_cost=1.7", ["economy", "transport_cost"], 1.7),
        ("run.steps=800", ["run", "steps"], 800),
        ("population.initial_shares=[0.9,0.1]", ["population", "initial_shares"], [0.9, 0.1]),
        ("economy.model=cp", ["economy", "model"], "cp"),
        ('name="quoted name"', ["name"], "quoted name"),
        (" run.stop_when_converged = false ", ["run", "stop_when_converged"], False),
    ],
)
def test_parse_override(text: str, path: list[str], value: Any) -> None:
    got_path, got_value = parse_override(text)
    assert got_path == path
    assert got_value == value and type(got_value) is type(value)


def test_load_with_overrides_changes_only_those_keys() -> None:
    base = load_scenario(VALID)
    overridden = load_scenario(
        VALID,
        overrides=[
            "economy.transport_cost=1.7",
            "run.steps=800",
            "population.initial_shares=[0.9,0.1]",
            "economy.model=cp",
        ],
    )
    assert overridden.economy.transport_cost == 1.7
    assert overridden.run.steps == 800 and isinstance(overridden.run.steps, int)
    assert overridden.population.initial_shares == [0.9, 0.1]
    assert overridden.economy.model == "cp"
    assert base.economy.transport_cost != 1.7 and base.run.steps != 800

    expected = base.model_dump()
    expected["economy"]["transport_cost"] = 1.7
    expected["run"]["steps"] = 800
    expected["population"]["initial_shares"] = [0.9, 0.1]
    assert overridden.model_dump() == expected


def test_later_override_wins() -> None:
    assert load_scenario(VALID, overrides=["run.steps=800", "run.steps=900"]).run.steps == 900


def test_apply_overrides_copies_and_creates_tables() -> None:
    data = _valid_dict()
    before = copy.deepcopy(data)
    assert "solver" not in data
    new = apply_overrides(data, ["solver.max_iter=7", "economy.sigma=6"])
    assert data == before  # input untouched
    assert new["solver"] == {"max_iter": 7}
    assert new["economy"]["sigma"] == 6
    assert load_scenario(VALID, overrides=["solver.max_iter=7"]).solver.max_iter == 7


def test_override_indexes_a_list_of_tables() -> None:
    closures = Path(__file__).resolve().parents[1] / "scenarios" / "core_plant_closures.toml"
    shipped = load_scenario(closures)
    changed = load_scenario(closures, overrides=["policies.0.share=0.5", "policies.0.start=80"])
    assert (shipped.policies[0].share, changed.policies[0].share) == (0.3, 0.5)
    assert changed.policies[0].start == 80
    assert changed.policies[0].region == shipped.policies[0].region  # the rest is kept
    with pytest.raises(ScenarioError) as info:
        load_scenario(closures, overrides=["policies.1.share=0.5"])
    msg = str(info.value)
    _assert_one_line(msg)
    assert "--set policies.1.share=0.5: policies has no entry 1 (it has 1" in msg
    msg = _error_of(closures, overrides=["policies.0.share=1.5"])
    assert ": policies.0.share: " in msg and "less than or equal to 1" in msg


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("economy.transport_cost=0.5", "economy.transport_cost", "greater than or equal to 1"),
        ("economy.sigma=1", "economy.sigma", "greater than 1"),
        ("economy.mu=0.9", "economy.mu", "no-black-hole"),
        ("population.initial_shares=[0.9,0.2]", "population.initial_shares", "sum to 1"),
        ("economy.model=krugman", "economy.model", "'cp'"),
        ("economy.sigmaa=5", "economy.sigmaa", "unknown key"),
        ("run.steps=inf", "run.steps", "valid integer"),
        ("economy.sigma=nan", "economy.sigma", "finite"),
        ("run.seed=-1", "run.seed", "greater than or equal to 0"),
    ],
)
def test_invalid_override_validated_like_file_value(override: str, key: str, fragment: str) -> None:
    msg = _error_of(VALID, overrides=[override])
    _assert_one_line(msg)
    assert str(VALID) in msg and "--set" in msg
    assert f": {key}: " in msg and fragment in msg, msg


@pytest.mark.parametrize(
    "override",
    [
        "economy.sigma",  # no '='
        "=5",  # no key
        "economy..sigma=5",  # empty key part
        "economy sigma=5",  # space in key
        "economy.sigma=",  # no value
        "economy.sigma=abc def",  # not a TOML literal nor a bare word
        "economy.sigma.x=1",  # descends into a value
        "policies.0.share=0.2",  # VALID has no policies: no entry 0
        "economy.0=1",  # a number indexes a list, and economy is a table
    ],
)
def test_malformed_override_raises(override: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(VALID, overrides=[override])
    msg = str(info.value)
    _assert_one_line(msg)
    assert override.strip() in msg or override in msg


# --- seed override and resolved TOML ------------------------------------------------------


def test_seed_override() -> None:
    file_seed = _valid_dict()["run"]["seed"]
    assert load_scenario(VALID).run.seed == file_seed
    assert load_scenario(VALID, seed=file_seed + 5).run.seed == file_seed + 5
    # the explicit seed wins over a --set run.seed
    assert load_scenario(VALID, overrides=["run.seed=3"], seed=11).run.seed == 11
    assert load_scenario(MINIMAL, seed=9).run.seed == 9
    msg = _error_of(VALID, seed=-1)
    _assert_one_line(msg)
    assert "run.seed" in msg


def _assert_every_field_present(model: BaseModel, dumped: dict[str, Any], where: str) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue  # optional keys left unset are omitted (TOML has no null)
        assert name in dumped, f"{where}{name} missing from resolved TOML"
        if isinstance(value, BaseModel):
            _assert_every_field_present(value, dumped[name], f"{where}{name}.")


@pytest.mark.parametrize("path", [MINIMAL, VALID, *SHIPPED], ids=lambda p: p.name)
def test_to_toml_round_trips(tmp_path: Path, path: Path) -> None:
    scenario = load_scenario(path, seed=123)
    text = scenario.to_toml()
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(text, encoding="utf-8")
    again = load_scenario(resolved)
    assert again.model_dump() == scenario.model_dump()
    assert again.to_toml() == text  # a fixed point
    data = tomllib.loads(text)
    assert data["run"]["seed"] == 123
    _assert_every_field_present(scenario, data, "")


def test_to_toml_fills_defaults_missing_from_source() -> None:
    source = tomllib.loads(MINIMAL.read_text(encoding="utf-8"))
    for table in ("behaviour", "solver", "analysis", "geography"):
        assert table not in source
    assert "seed" not in source["run"] and "firms" not in source["population"]

    data = tomllib.loads(load_scenario(MINIMAL).to_toml())
    assert data["name"] == "minimal"
    defaults = {
        "behaviour": Behaviour(),
        "solver": Solver(),
        "analysis": Analysis(),
    }
    for table, model in defaults.items():
        assert data[table] == model.model_dump(), table
    assert (
        data["behaviour"]["adjustment_speed"] == Behaviour.model_fields["adjustment_speed"].default
    )
    assert data["run"]["seed"] == Run.model_fields["seed"].default
    assert data["population"]["firms"] == Population.model_fields["firms"].default
    assert data["geography"]["kind"] == "two_region"


# --- JSON Schema ----------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/")
    target: Any = schema
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def test_json_schema() -> None:
    schema = json_schema()
    json.loads(json.dumps(schema))  # serialisable
    props = schema["properties"]
    for table in ("economy", "regions", "population", "behaviour", "run"):
        assert table in props
    assert {"economy", "regions", "population", "run"} <= set(schema["required"])
    assert schema.get("additionalProperties") is False

    economy = _resolve(schema, props["economy"])
    assert set(economy["properties"]) == set(Economy.model_fields)
    sigma = economy["properties"]["sigma"]
    assert sigma["exclusiveMinimum"] == 1
    assert "minimum" not in sigma
    mu = economy["properties"]["mu"]
    assert mu["exclusiveMinimum"] == 0 and mu["exclusiveMaximum"] == 1
    (number,) = [
        option
        for option in economy["properties"]["transport_cost"]["anyOf"]
        if option.get("type") == "number"
    ]
    assert number["minimum"] == 1
    assert economy.get("additionalProperties") is False

    regions = _resolve(schema, props["regions"])
    assert set(regions["properties"]) == set(Regions.model_fields)
