"""Shipped scenarios and sweeps (negsim.shipped), ``negsim list`` and ``negsim init``.

The scenarios and sweeps are package data (negsim/data/); the folders scenarios/ and
sweeps/ at the root of the repository are symlinks to them. A bare name on the command line
resolves to a shipped file, a path that exists always wins, an unknown name is one error
line listing the shipped names. ``negsim init`` writes a template whose comments come from
the scenario schema and whose values load back to the source scenario. The last test builds
the wheel and checks it carries every shipped file (.ci/wheel-check installs and runs it).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from negsim import shipped
from negsim.cli import main
from negsim.scenario import Scenario, load_scenario
from negsim.sweeps.spec import load_sweep
from negsim.template import render

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "negsim" / "data"
SCENARIO_FILES = sorted((DATA / "scenarios").glob("*.toml"))
SWEEP_FILES = sorted((DATA / "sweeps").glob("*.toml"))
SHORT = ["--set", "population.workers=500", "--set", "run.steps=30"]


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("negsim: error: "), stderr
    return lines[0]


# --- the shipped files -------------------------------------------------------------------


def test_shipped_names_are_the_package_data_and_the_root_folders_point_there() -> None:
    assert len(SCENARIO_FILES) >= 12 and len(SWEEP_FILES) >= 5
    assert shipped.names("scenarios") == [p.stem for p in SCENARIO_FILES]
    assert shipped.names("sweeps") == [p.stem for p in SWEEP_FILES]
    for kind in ("scenarios", "sweeps"):
        assert (ROOT / kind).resolve() == (DATA / kind).resolve() == shipped.folder(kind).resolve()
    for path in SCENARIO_FILES:
        assert shipped.path("scenarios", path.stem).read_bytes() == path.read_bytes()


def test_every_shipped_sweep_finds_its_base_scenario_in_the_package() -> None:
    for path in SWEEP_FILES:
        base = tomllib.loads(path.read_text(encoding="utf-8"))["sweep"]["scenario"]
        target = (path.parent / base).resolve()
        assert target.parent == (DATA / "scenarios").resolve(), (path.name, base)
        assert target.stem in shipped.names("scenarios")


def test_a_bare_name_resolves_to_the_shipped_file_and_an_existing_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    packaged = DATA / "scenarios" / "two_region_clustering.toml"
    assert shipped.resolve("two_region_clustering", "scenarios") == packaged
    assert shipped.resolve(Path("tomahawk"), "sweeps") == DATA / "sweeps" / "tomahawk.toml"
    places = DATA / "scenarios" / "places" / "german_division.toml"  # the real-places ones too
    assert shipped.resolve("german_division", "scenarios") == places
    # paths stay paths, even missing ones (their loader names the missing file)
    assert shipped.resolve("two_region_clustering.toml", "scenarios") == Path(
        "two_region_clustering.toml"
    )
    assert shipped.resolve("sub/racetrack_12", "scenarios") == Path("sub/racetrack_12")
    local = tmp_path / "two_region_clustering"
    local.write_text("not even TOML")
    assert shipped.resolve("two_region_clustering", "scenarios") == Path("two_region_clustering")


def test_run_a_shipped_name_from_another_folder_equals_running_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "two_region_clustering", *SHORT, "--quiet"]) == 0
    by_file = tmp_path / "by_file"
    path = str(DATA / "scenarios" / "two_region_clustering.toml")
    assert main(["run", path, *SHORT, "--quiet", "--out", str(by_file)]) == 0
    by_name = tmp_path / "runs" / "two_region_clustering"
    for name in ("timeseries.csv", "summary.json", "scenario.resolved.toml"):
        assert (by_name / name).read_bytes() == (by_file / name).read_bytes(), name
    assert json.loads((by_name / "summary.json").read_text())["scenario"] == "two_region_clustering"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["run", "two_region_clusterin"], "scenarios"),
        (["validate", "two_region_clustering", "nope"], "scenarios"),
        (["sweep", "tomahawkk"], "sweeps"),
        (["init", "x", "--from", "nope"], "scenarios"),
    ],
)
def test_an_unknown_name_is_one_line_listing_the_shipped_names(
    argv: list[str],
    kind: shipped.Kind,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"no shipped {shipped.SINGULAR[kind]} of that name" in line
    for name in shipped.names(kind):
        assert name in line
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_name_where_a_scenario_is_wanted_says_which_command_takes_it(
    capsys: pytest.CaptureFixture,
) -> None:
    assert main(["validate", "tomahawk"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "tomahawk: a shipped sweep, not a scenario (negsim sweep tomahawk)" in line
    assert main(["sweep", "racetrack_12"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "racetrack_12: a shipped scenario, not a sweep (negsim run racetrack_12)" in line


def test_a_bare_name_next_to_its_toml_file_suggests_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SCENARIO_FILES[0], tmp_path / "mine.toml")
    assert main(["run", "mine"]) == 2
    assert "did you mean mine.toml?" in _one_error_line(capsys.readouterr().err)


def test_validate_and_sweep_plans_accept_shipped_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    names = shipped.names("scenarios")
    assert main(["validate", *names]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == names
    assert all(": ok (" in line for line in lines)
    plan = load_sweep(shipped.resolve("tomahawk", "sweeps"))
    assert plan.name == "tomahawk" and len(plan.runs) == 62


# --- negsim list -------------------------------------------------------------------------


def test_list_shows_the_shipped_scenarios_and_sweeps_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for path in SCENARIO_FILES:
        description = tomllib.loads(path.read_text(encoding="utf-8"))["description"]
        assert f"  {path.stem} " in out and description in out
    for path in SWEEP_FILES:
        description = tomllib.loads(path.read_text(encoding="utf-8"))["sweep"]["description"]
        assert f"  {path.stem} " in out and description in out
    assert out.index("sweeps shipped") > max(out.index(f"  {p.stem} ") for p in SCENARIO_FILES)


def test_list_of_a_folder_lists_its_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shutil.copy(SCENARIO_FILES[0], tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text("[economy]\nsigma = 0.5\n")
    assert main(["list", str(tmp_path)]) == 0
    a_line, b_line = capsys.readouterr().out.splitlines()
    assert a_line == f"{tmp_path / 'a.toml'}: {load_scenario(SCENARIO_FILES[0]).description}"
    assert b_line.startswith(f"{tmp_path / 'b.toml'}: INVALID: ")


# --- negsim init -------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_the_template_of_every_shipped_scenario_loads_back_to_it(path: Path) -> None:
    scenario = load_scenario(path)
    text = render(scenario, path.stem)
    assert Scenario.model_validate(tomllib.loads(text)).model_dump() == scenario.model_dump()


def _leaf_fields(schema: dict, node: dict, prefix: str = ""):
    """(dotted key, JSON-schema property) of every key, tables and lists of tables opened."""
    for name, prop in node["properties"].items():
        target = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if target:
            table = schema["$defs"][target.split("/")[-1]]
            yield from _leaf_fields(schema, table, f"{prefix}{name}.")
        else:
            yield prefix + name, prop


def _indent(line: str) -> int:
    return len(line) - 1 - len(line[1:].lstrip(" "))


def _comment_blocks(text: str, key: str) -> list[str]:
    """The comments that document ``key``, each with its wrapped lines joined."""
    lines, blocks = text.splitlines(), []
    for i, line in enumerate(lines):
        if line.startswith("#") and line[1:].lstrip(" ").startswith(f"{key}: "):
            block = [line]
            for more in lines[i + 1 :]:
                if not more.startswith("#") or _indent(more) <= _indent(line):
                    break
                block.append(more)
            blocks.append(" ".join(" ".join(b.lstrip("#") for b in block).split()))
    return blocks


SIGNS = {"exclusiveMinimum": ">", "minimum": "≥", "exclusiveMaximum": "<", "maximum": "≤"}


def _states_bound(block: str, sign: str, bound: float) -> bool:
    numbers = re.findall(rf"{sign} (-?[0-9][0-9_]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)", block)
    parse = float if isinstance(bound, float) else int
    return any(parse(n.replace("_", "")) == bound for n in numbers)


def test_the_template_documents_every_key_with_its_range_from_the_schema() -> None:
    text = render(load_scenario(SCENARIO_FILES[0]), "x")
    schema = Scenario.model_json_schema()
    leaves = list(_leaf_fields(schema, schema))
    assert len(leaves) > 60 and "geography.links.distance" in dict(leaves)
    for dotted, prop in leaves:
        key = dotted.rsplit(".", 1)[-1]
        bounds = {k: v for o in prop.get("anyOf", [prop]) for k, v in o.items() if k in SIGNS}
        description = " ".join(prop.get("description", "").split())
        blocks = _comment_blocks(text, key)
        assert any(
            description in block
            and all(_states_bound(block, SIGNS[k], v) for k, v in bounds.items())
            for block in blocks
        ), (dotted, bounds, blocks)
    bounded = [d for d, p in leaves if any(k in SIGNS for o in p.get("anyOf", [p]) for k in o)]
    assert len(bounded) > 30  # the check above is not vacuous


def test_init_writes_a_template_that_validates_and_runs_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mine"]) == 0
    written = tmp_path / "mine.toml"
    assert f"wrote {written.name}" in capsys.readouterr().out
    scenario = load_scenario(written)
    default = load_scenario(shipped.path("scenarios", shipped.DEFAULT_SCENARIO))
    assert scenario.name == "mine"
    assert scenario.model_dump() == {**default.model_dump(), "name": "mine"}

    before = written.read_bytes()
    assert main(["init", "mine"]) == 2
    assert "already exists" in _one_error_line(capsys.readouterr().err)
    assert main(["init", "mine.toml", "--from", "racetrack_12"]) == 2
    capsys.readouterr()
    assert written.read_bytes() == before

    assert main(["run", "mine.toml", *SHORT, "--quiet", "--out", "out"]) == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == "mine"


def test_init_from_a_file_or_a_shipped_name_into_a_given_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert main(["init", "sub/ring.toml", "--from", "qinba_ring_network"]) == 0
    source = shutil.copy(DATA / "scenarios" / "baoji_titanium.toml", tmp_path / "mine.toml")
    assert main(["init", "copy", "--from", str(source)]) == 0
    ring = load_scenario(tmp_path / "sub" / "ring.toml")
    original = load_scenario(shipped.path("scenarios", "qinba_ring_network"))
    assert ring.model_dump() == {**original.model_dump(), "name": "ring"}
    copy = load_scenario(tmp_path / "copy.toml")
    assert copy.model_dump() == {**load_scenario(source).model_dump(), "name": "copy"}
    # the source's own explanation is kept at the top
    assert (tmp_path / "copy.toml").read_text().count(source.read_text().splitlines()[0]) == 1
    assert main(["init", "missing/x"]) == 2
    assert "folder missing does not exist" in _one_error_line(capsys.readouterr().err)


# --- the wheel ---------------------------------------------------------------------------


def test_the_wheel_carries_every_shipped_scenario_and_sweep(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", "build", "runs", "*.egg-info", ".git", "site"),
    )
    # offline with setuptools at hand; otherwise pip fetches it (or takes it from its cache)
    no_isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *no_isolation, "-w"]
        + [str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("negsim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    shipped_files = [
        p for p in sorted(DATA.rglob("*")) if p.is_file() and "__pycache__" not in str(p)
    ]
    assert set(SCENARIO_FILES + SWEEP_FILES) <= set(shipped_files)
    for path in shipped_files:
        member = path.relative_to(ROOT).as_posix()
        assert members.get(member) == path.read_bytes(), member
