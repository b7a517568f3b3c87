"""A policy's effect against its baseline: the same scenario and seed run with and without
its ``[[policies]]`` (common random numbers), compared place by place at the last step.

Pure functions of two summaries (``final_shares`` and ``final_real_wages`` of
summary.json): no model, no files. Definitions, per place r with baseline share s⁰_r and
policy share s¹_r (shares of the mobile factor):

- ``change_pp`` = 100 · (s¹_r − s⁰_r), the change in percentage points;
- ``change_percent`` = 100 · (s¹_r − s⁰_r) / s⁰_r, empty where s⁰_r = 0;
- ``real_wage_change`` = ω¹_r − ω⁰_r, the change in the real wage (model units).

Who gains and who loses (``welfare_effect_rows``, more columns of effects.csv, from the
two runs' welfare.csv at their last steps): per place and group, the change in one
resident's indirect utility V = y/P (``Economy.group_welfare``) in percent,
100 · (V¹/V⁰ − 1) (utility is defined up to a constant factor, so percentages are what
compare), and the change in the place's Σ of utilities Y_r/P_r (its residents come and go
with the policy). Market incomes only: a subsidy's payment and its tax are not counted.

The summary block ``policy_effect`` adds the largest gainer and loser (in percentage
points), the total absolute change Σ_r |s¹_r − s⁰_r| (twice the share of the mobile factor
the policy moved) and the regime of each run.
"""

from __future__ import annotations

import math
from typing import Any

#: Column names of effects.csv, units in brackets.
EFFECT_COLUMNS = (
    "region",
    "baseline_share [share of mobile factor]",
    "policy_share [share of mobile factor]",
    "change [percentage points]",
    "change [percent of baseline share]",
    "baseline_real_wage [model units]",
    "policy_real_wage [model units]",
    "real_wage_change [model units]",
)


def effect_rows(baseline: dict[str, Any], policy: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per place (the policy run's order) comparing two runs' summaries; the keys
    are ``EFFECT_COLUMNS``. ``change [percent ...]`` is None where the baseline share is 0."""
    rows = []
    for name, s1 in policy["final_shares"].items():
        s0 = baseline["final_shares"][name]
        w0, w1 = baseline["final_real_wages"][name], policy["final_real_wages"][name]
        values = (
            name,
            s0,
            s1,
            100.0 * (s1 - s0),
            100.0 * (s1 - s0) / s0 if s0 > 0 else None,
            w0,
            w1,
            w1 - w0,
        )
        rows.append(dict(zip(EFFECT_COLUMNS, values, strict=True)))
    return rows


def policy_effect(baseline: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """The ``policy_effect`` block of summary.json: largest gainer and loser in percentage
    points (None when no place gains, resp. loses), the total absolute change in shares
    Σ|Δs|, and the regime without and with the policies."""
    rows = effect_rows(baseline, policy)
    pp = EFFECT_COLUMNS[3]
    up = max(rows, key=lambda r: r[pp])
    down = min(rows, key=lambda r: r[pp])
    return {
        "baseline": "the same scenario and seed without its policies",
        "largest_gainer": up["region"] if up[pp] > 0 else None,
        "largest_gain_pp": up[pp] if up[pp] > 0 else 0.0,
        "largest_loser": down["region"] if down[pp] < 0 else None,
        "largest_loss_pp": down[pp] if down[pp] < 0 else 0.0,
        "total_absolute_change": math.fsum(
            abs(r[EFFECT_COLUMNS[2]] - r[EFFECT_COLUMNS[1]]) for r in rows
        ),
        "regime_baseline": baseline["regime"],
        "regime_policy": policy["regime"],
    }


#: The welfare columns effects.csv adds (``welfare_effect_rows``), units in brackets.
WELFARE_EFFECT_COLUMNS = (
    "mobile_utility_change [percent]",
    "immobile_utility_change [percent]",
    "region_welfare_change [model units]",
)


def final_welfare(table: Any) -> dict[str, dict[str, float]]:
    """The last step of a run's welfare table (``record.WELFARE_COLUMNS``), by region."""
    last = table[table["step"] == table["step"].max()]
    return {str(row["region"]): row for row in last.to_dict("records")}


def welfare_effect_rows(baseline: Any, policy: Any) -> list[dict[str, float | None]]:
    """``WELFARE_EFFECT_COLUMNS`` per place (the policy run's order) from the two runs'
    welfare tables; a percentage is None where the baseline utility is 0."""
    before, after = final_welfare(baseline), final_welfare(policy)

    def percent(new: float, old: float) -> float | None:
        return 100.0 * (new / old - 1.0) if old > 0 else None

    rows = []
    for name, w1 in after.items():
        w0 = before[name]
        values = (
            percent(w1["mobile_utility"], w0["mobile_utility"]),
            percent(w1["immobile_utility"], w0["immobile_utility"]),
            w1["region_welfare"] - w0["region_welfare"],
        )
        rows.append(dict(zip(WELFARE_EFFECT_COLUMNS, values, strict=True)))
    return rows


def welfare_line(baseline: Any, policy: Any) -> str:
    """One printed line: the utilitarian total without and with the policies."""
    w0 = float(baseline["total_welfare"].iloc[-1])
    w1 = float(policy["total_welfare"].iloc[-1])
    return f"utilitarian welfare {w0:.6g} → {w1:.6g} ({100.0 * (w1 / w0 - 1.0):+.3f} %)"
