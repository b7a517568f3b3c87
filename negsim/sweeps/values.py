"""How sweep values are written: canonical JSON (seeds, duplicate checks) and TOML inline
(error messages, the resolved sweep file)."""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> str:
    """``value`` as compact JSON with sorted keys: equal values give equal text. A value
    JSON cannot hold (a TOML date or time, which validation then refuses) is written as its
    repr."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def inline(value: Any) -> str:
    """A value as TOML would show it inline: 1.5, [0.5, 0.5], {min = 1, max = 2}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)
