"""Tables of places (CSV): one row per place, read into plain dicts with one-line errors.

Required columns: ``name``, ``lat`` (degrees north, [-90, 90]), ``lon`` (degrees east,
[-180, 180]), ``population`` (> 0). Optional: ``group`` (a label such as a province),
``immobile_share``, ``housing_stock``, ``initial_share`` (numbers ≥ 0, normalised to shares
where a scenario uses them), ``amenity`` (a place's amenity B_r > 0, taken as given where a
scenario names it: ``regions.amenities = "amenity"``). Lines starting with ``#`` before the
header are comments (the table's provenance). Every error names the file, the row and the
column, in one line.
"""

from __future__ import annotations

import csv
import io
import math
import stat
from pathlib import Path
from typing import Any

from negsim.validation import one_line

REQUIRED = ("name", "lat", "lon", "population")
OPTIONAL = ("group", "immobile_share", "housing_stock", "initial_share", "amenity")
SHARE_COLUMNS = ("population", "immobile_share", "housing_stock", "initial_share")
MAX_TABLE_BYTES = 16 * 2**20


class PlaceTableError(ValueError):
    """A table of places could not be read; ``str(err)`` is one line."""


def _fail(path: Path, message: str) -> PlaceTableError:
    return PlaceTableError(one_line(f"{path}: {message}"))


def _text(path: Path) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _fail(path, "must be a regular file (a CSV table of places)")
        if info.st_size > MAX_TABLE_BYTES:
            raise _fail(path, f"is larger than {MAX_TABLE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except PlaceTableError:
        raise
    except FileNotFoundError:
        raise _fail(path, "no such file (a CSV table of places)") from None
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(path, f"line {line}: not UTF-8 text (byte {exc.start})") from None


def read(path: str | Path) -> list[dict[str, Any]]:
    """The places of a CSV table as dicts (name, lat, lon, population and the optional
    columns present); PlaceTableError, one line naming file, row and column, if bad."""
    path = Path(path)
    lines = _text(path).splitlines()
    skipped = 0
    while skipped < len(lines) and (
        not lines[skipped].strip() or lines[skipped].lstrip().startswith("#")
    ):
        skipped += 1
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[skipped:]))))
    except csv.Error as exc:
        raise _fail(path, f"not a CSV table: {exc}") from None
    if not rows:
        raise _fail(path, f"no header row (needs columns {', '.join(REQUIRED)})")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _fail(
            path,
            f"line {skipped + 1}: column {missing[0]!r} is missing (required: "
            f"{', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}; got {', '.join(header)})",
        )
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown or len(set(header)) != len(header):
        what = f"unknown column {unknown[0]!r}" if unknown else "a column appears twice"
        raise _fail(
            path,
            f"line {skipped + 1}: {what} (allowed: {', '.join(REQUIRED + OPTIONAL)})",
        )
    places: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=1):
        where = f"row {number} (line {skipped + 1 + number})"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise _fail(path, f"{where}: has {len(row)} cells, the header {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        place: dict[str, Any] = {"name": cells["name"]}
        if not place["name"]:
            raise _fail(path, f"{where}, column name: empty")
        if place["name"] in seen:
            raise _fail(
                path,
                f"{where}, column name: duplicate name {place['name']!r} (also row "
                f"{seen[place['name']]})",
            )
        seen[place["name"]] = number
        for column, low, high, strict_low in (
            ("lat", -90.0, 90.0, False),
            ("lon", -180.0, 180.0, False),
            ("population", 0.0, math.inf, True),
            ("immobile_share", 0.0, math.inf, False),
            ("housing_stock", 0.0, math.inf, False),
            ("initial_share", 0.0, math.inf, False),
            ("amenity", 0.0, math.inf, True),
        ):
            if column not in cells:
                continue
            text = cells[column]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            bounds = f"> {low:g}" if strict_low else f"in [{low:g}, {high:g}]"
            if high == math.inf and not strict_low:
                bounds = f"≥ {low:g}"
            if (
                not math.isfinite(value)
                or value < low
                or value > high
                or (strict_low and value <= low)
            ):
                raise _fail(
                    path, f"{where}, column {column}: must be a number {bounds} (got {text!r})"
                )
            place[column] = value
        if "group" in cells and cells["group"]:
            place["group"] = cells["group"]
        places.append(place)
    if len(places) < 2:
        raise _fail(path, f"needs at least 2 places (rows), got {len(places)}")
    return places
