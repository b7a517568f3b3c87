"""A generator of mutated negsim inputs (hypothesis strategies), shared by
``tests/test_fuzz_inputs.py`` (fast: validate only, in CI) and
``benchmarks/stress_inputs.py`` (slow: validate and run).

Inputs start from the shipped scenario and sweep files and are mutated the way users and
editors break them: a key removed, a value replaced by something of the wrong type, out of
range, huge, tiny, empty, nested or full of control characters, an unknown key added, a
list shortened or lengthened, the text truncated or spliced. ``cli_outcome`` runs
``negsim.cli.main`` on one input in-process and classifies what came out; anything but a
clean load or one line per problem naming the file (and key) is a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILES = sorted(p.resolve() for p in (ROOT / "scenarios").glob("*.toml"))
SWEEP_FILES = sorted((ROOT / "sweeps").glob("*.toml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _sweep(path: Path) -> dict[str, Any]:
    data = _load(path)
    scenario = data.get("sweep", {}).get("scenario")
    if scenario:  # absolute, so the mutated copy elsewhere still finds it
        data["sweep"]["scenario"] = str((path.parent / scenario).resolve())
    return data


SCENARIOS = [_load(p) for p in SCENARIO_FILES]
SWEEPS = [_sweep(p) for p in SWEEP_FILES]

SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, 2, -1, 10**7, 5 * 10**7, 2**62, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 1.0000001, 1e-300, 5e-324, 1e308, 1e200, 0.5, 2e9]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", " ", "..", "../../x", "/abs", "a\x00b", "\n", "é" * 40, "x" * 300]),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
)


def _deep(kind: str, depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
) | st.builds(_deep, st.sampled_from(["list", "table"]), st.integers(15, 40))


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in ``doc`` (dict keys and list indices), the root included."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += paths(value, (*prefix, i))
    return out


def _at(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def _walk(draw: st.DrawFn, doc: Any) -> tuple:
    """A path from the root of ``doc`` down to some value: a random walk that stops at each
    level with probability 1/3 (and at a leaf)."""
    path: tuple = ()
    node = doc
    while isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        path = (*path, draw(st.sampled_from(keys)))
        node = node[path[-1]]
        if draw(st.integers(0, 2)) == 0:
            break
    return path


@st.composite
def mutated(draw: st.DrawFn, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One of ``documents`` with 1–3 mutations."""
    import copy

    doc = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(_walk(doc))
        if not path:
            break
        parent, last = _at(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "resize", "scale"]))
        if op == "replace":
            parent[last] = draw(VALUES)
        elif op == "delete":
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        elif op == "resize" and isinstance(parent[last], list):
            items = parent[last]
            parent[last] = items[: draw(st.integers(0, len(items)))] + items * draw(
                st.integers(0, 2)
            )
        elif op == "scale" and isinstance(parent[last], int | float):
            if not isinstance(parent[last], bool):
                factor = draw(st.sampled_from([-1, 0, 1e-9, 0.5, 2, 10, 1e3, 1e9, 1e300]))
                parent[last] = parent[last] * factor
    return doc


@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    """A mutated scenario file's text (sometimes also spliced below the TOML level)."""
    return _text(draw, draw(mutated(SCENARIOS)))


@st.composite
def sweep_texts(draw: st.DrawFn) -> str:
    """A mutated sweep file's text (its base scenario an absolute path, or [base] mutated)."""
    return _text(draw, draw(mutated(SWEEPS)))


def _text(draw: st.DrawFn, doc: dict[str, Any]) -> str:
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # e.g. a value tomli_w cannot write
        text = tomli_w.dumps({})
    if draw(st.integers(0, 9)) == 0:  # one in ten: break the text itself
        cut = draw(st.integers(0, len(text)))
        text = (
            text[:cut]
            + draw(st.sampled_from(["", "[", "= ", "\x00", "]]", '"', "\n[x"]))
            + (text[cut + draw(st.integers(0, 20)) :])
        )
    return text


SET_KEYS = sorted(
    {".".join(map(str, p)) for doc in SCENARIOS for p in paths(doc)[1:]}
    | {"economy.sigma", "economy.transport_cost", "population.workers", "regions.count"}
)
SET_LITERALS = st.one_of(
    st.floats(0.05, 0.95).map(lambda x: f"{x:.3f}"),  # plausible: a share, μ, a speed, …
    st.floats(1.0, 8.0).map(lambda x: f"{x:.3f}"),  # σ, T
    st.integers(1, 5000).map(str),
    st.builds(
        lambda v: tomli_w.dumps({"v": v}).partition("=")[2].strip(),
        VALUES.filter(lambda v: not isinstance(v, dict)),
    ),
    st.text(max_size=20),
    st.sampled_from(["1e308", "-1e308", "inf", "nan", "[" * 2000 + "]" * 2000, '"a\\u0000b"']),
)


PLAUSIBLE = {  # --set values the base scenario accepts: so that some cases load
    "economy.sigma": st.floats(2.0, 8.0),
    "economy.transport_cost": st.floats(1.0, 3.0),
    "population.workers": st.integers(2, 100_000),
    "run.steps": st.integers(1, 5000),
    "behaviour.noise": st.floats(0.0, 1.0),
}


@st.composite
def overrides(draw: st.DrawFn) -> list[str]:
    """1–3 ``--set KEY=VALUE`` arguments: known keys (and a few made up), mutated values;
    one case in four only plausible values of known keys."""
    if draw(st.integers(0, 3)) == 0:
        keys = draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), min_size=1, max_size=3))
        return [f"{key}={draw(PLAUSIBLE[key])!r}" for key in keys]
    keys = st.sampled_from(SET_KEYS) | st.text(max_size=15)
    return [
        f"{draw(keys)}={draw(SET_LITERALS)}".replace("\x00", "")  # argv cannot hold NUL
        for _ in range(draw(st.integers(1, 3)))
    ]


@dataclass
class Outcome:
    """What ``negsim ARGV`` did with one input: ``kind`` is "loaded" (exit 0), "refused"
    (exit 2, one line per problem naming the file, or the argument for argparse) or
    "failure" (anything else: ``reason`` says what)."""

    kind: str
    code: int | None
    stderr: str
    reason: str = ""


def cli_outcome(argv: list[str], *sources: str) -> Outcome:
    """Run ``negsim ARGV`` in this process and classify it; each error line must name one
    of ``sources`` (the file, or the base scenario of a sweep) or a ``--set`` argument,
    then a key. A traceback is a failure, not an exception."""
    from negsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # noqa: BLE001 — a traceback is what we look for
        return Outcome("failure", None, err.getvalue(), f"{type(exc).__name__}: {exc}")
    text = err.getvalue()
    if code == 0:
        return Outcome("loaded", 0, text)
    lines = text.splitlines()
    if code != 2:
        return Outcome("failure", code, text, f"exit code {code}")
    if not lines:
        return Outcome("failure", code, text, "exit 2 without a message")
    files = "|".join(re.escape(source) for source in sources)
    named = re.compile(
        rf"^negsim: error: (?:--set .*?|negsim \w+: argument \S+|(?:{files})"
        r"(?: \((?:with --set|its largest run)\))?): \S"
    )
    bad = [line for line in lines if not named.match(line)]
    if bad:
        return Outcome("failure", code, text, f"line not naming the file and key: {bad[0]!r}")
    return Outcome("refused", code, text)


BASE_SCENARIO = ROOT / "scenarios" / "two_region_clustering.toml"
