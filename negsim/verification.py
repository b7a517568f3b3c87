"""``negsim verify``: recompute every published anchor negsim claims, each by an
independent route, and report them as a table (``negsim.anchors`` holds the anchors, one
module per economy)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable

from negsim.anchors import ANCHORS, Anchor, Check, check
from negsim.anchors.base import clear_run_caches

__all__ = ["format_table", "to_json", "verify"]


def verify(anchors: Iterable[Anchor] | None = None) -> list[Check]:
    """Every anchor checked (default ``negsim.anchors.ANCHORS``), in order: one ``Check``
    per anchor with the expected value, negsim's, their relative error and whether it is
    within the anchor's tolerance."""
    clear_run_caches()
    return [check(a) for a in (ANCHORS if anchors is None else anchors)]


def _number(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.10g}"


def format_table(rows: list[Check], seconds: float | None = None) -> str:
    """The rows as a plain-text table, failures marked ``FAIL``, and a closing tally."""
    header = ("anchor", "source", "expected", "negsim", "rel. error", "pass")
    body = [
        (
            r.anchor,
            r.source,
            _number(r.expected),
            _number(r.negsim),
            "nan"
            if math.isnan(r.relative_error)
            else f"{r.relative_error:.1e} ≤ {r.rtol:.0e}"
            if r.passed
            else f"{r.relative_error:.1e} > {r.rtol:.0e}",
            "ok" if r.passed else "FAIL",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = sum(not r.passed for r in rows)
    tally = f"{len(rows) - failed} of {len(rows)} anchors pass"
    if seconds is not None:
        tally += f" ({seconds:.1f} s)"
    lines.append(tally if not failed else f"{tally}; {failed} FAIL")
    return "\n".join(lines)


def to_json(rows: list[Check], seconds: float | None = None) -> str:
    """The rows as JSON: ``{"passed": bool, "seconds": …, "anchors": [row, …]}`` (NaN as
    null)."""

    def clean(row: dict) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}

    return json.dumps(
        {
            "passed": all(r.passed for r in rows),
            "seconds": seconds,
            "anchors": [clean(r.as_dict()) for r in rows],
        },
        indent=2,
    )


def timed_verify() -> tuple[list[Check], float]:
    """``verify()`` and the wall-clock seconds it took."""
    start = time.perf_counter()
    rows = verify()
    return rows, time.perf_counter() - start
