"""``places.geojson``: a places run's map as a GeoJSON FeatureCollection (RFC 7946), one
Point per place at [longitude, latitude] (WGS 84 degrees, the order RFC 7946 §3.1.1
prescribes), so that QGIS, geopandas and ``pandas.json_normalize`` open it as is.

Properties per place: ``name``, ``population`` (the table's figure), ``group`` (when the
table has one), ``initial_share`` and ``final_share`` of the mobile factor (first and last
recorded step), ``change_percent`` = 100 · (final − initial) / initial, and
``final_real_wage`` (the same numbers as summary.json's ``final_shares`` and
``final_real_wages``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from negsim.record import Result

GEOJSON_FILE = "places.geojson"


def has_places(result: Result) -> bool:
    """Whether the run's geography is a table of real places (it gets a places.geojson)."""
    geo = result.scenario.geography
    return geo.kind == "places" and bool(geo.table)


def feature_collection(result: Result) -> dict[str, Any]:
    """The places of a finished places run as a GeoJSON FeatureCollection (a dict)."""
    if not has_places(result):
        raise ValueError("places.geojson needs a places geography (geography.kind = 'places')")
    ts = result.timeseries
    first = ts[ts["step"] == ts["step"].min()]
    initial = {str(r): float(s) for r, s in zip(first["region"], first["share"], strict=True)}
    final = result.summary["final_shares"]
    wages = result.summary["final_real_wages"]
    features = []
    for place in result.scenario.geography.table:
        name = place.name
        start, end = initial[name], final[name]
        properties: dict[str, Any] = {"name": name, "population": place.population}
        if place.group is not None:
            properties["group"] = place.group
        properties.update(
            initial_share=start,
            final_share=end,
            change_percent=100.0 * (end - start) / start if start > 0 else None,
            final_real_wage=wages[name],
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "name": result.scenario.name, "features": features}


def geojson_text(result: Result) -> str:
    """``feature_collection`` as UTF-8 JSON text (names unescaped), ending in a newline."""
    return json.dumps(feature_collection(result), indent=1, ensure_ascii=False) + "\n"
