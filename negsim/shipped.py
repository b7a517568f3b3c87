"""The scenarios and sweeps shipped inside the package (``negsim/data/scenarios``,
``negsim/data/sweeps``), read with ``importlib.resources`` so that an editable install, a
non-editable one and a wheel all find them; ``scenarios/`` and ``sweeps/`` at the root of
the repository are symlinks to the same folders.

A command-line argument names a file or a shipped scenario: a path that exists always
wins; a bare name (no ``.toml``, no folder) is looked up among the shipped files. Errors
are ``ScenarioError`` (one line); ``negsim.scenario`` (pydantic) is imported only then, so
that commands which need no scenario stay fast.
"""

from __future__ import annotations

import atexit
import contextlib
from pathlib import Path
from typing import Literal

Kind = Literal["scenarios", "sweeps"]
SINGULAR = {"scenarios": "scenario", "sweeps": "sweep"}
DEFAULT_SCENARIO = "two_region_clustering"

_data: list[Path] = []  # negsim/data on the file system, once found
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def folder(kind: Kind) -> Path:
    """The folder of the shipped ``kind`` files on the file system. A sweep names its base
    scenario relative to itself (``../scenarios/NAME.toml``), so the files need real paths
    side by side: ``as_file`` extracts the whole data folder if the package sits in a zip."""
    if not _data:
        from importlib import resources

        data = resources.files("negsim") / "data"
        _data.append(Path(_extracted.enter_context(resources.as_file(data))))
    return _data[0] / kind


def names(kind: Kind) -> list[str]:
    """The shipped ``kind`` names, sorted (file names without ``.toml``)."""
    return sorted(p.stem for p in folder(kind).glob("*.toml"))


def path(kind: Kind, name: str) -> Path:
    """The file of the shipped ``kind`` called ``name`` (a scenario on a table of real
    places, in ``scenarios/places/``, too); ScenarioError listing the shipped names when
    there is none."""
    if name not in names(kind):
        on_places = folder(kind) / "places" / f"{name}.toml"
        if kind == "scenarios" and on_places.is_file():
            return on_places
        from negsim.scenario import ScenarioError

        other: Kind = "sweeps" if kind == "scenarios" else "scenarios"
        if name in names(other):
            command = "negsim sweep" if other == "sweeps" else "negsim run"
            raise ScenarioError(
                f"{name}: a shipped {SINGULAR[other]}, not a {SINGULAR[kind]} ({command} {name})"
            )
        from negsim.validation import did_you_mean

        raise ScenarioError(
            f"{name}: no such file and no shipped {SINGULAR[kind]} of that name"
            f"{did_you_mean(name, names(kind))} (shipped: {', '.join(names(kind))})"
        )
    return folder(kind) / f"{name}.toml"


def is_bare_name(argument: str | Path) -> bool:
    """A name rather than a path: no folder part and no ``.toml`` ending."""
    text = str(argument)
    return bool(text) and Path(text).name == text and not text.endswith(".toml")


def resolve(argument: str | Path, kind: Kind, base: Path = Path()) -> Path:
    """The file a command-line argument (or a sweep's ``scenario``, relative to ``base``,
    the sweep's folder) means: the path itself when it exists or looks like a path (its
    loader then reports a missing file), else the shipped file of that name."""
    name, candidate = str(argument), base / argument
    if candidate.exists() or not is_bare_name(name):
        return candidate
    local = candidate.with_name(f"{name}.toml")
    if name not in names(kind) and local.exists():
        from negsim.scenario import ScenarioError

        raise ScenarioError(
            f"{name}: no such file and no shipped {SINGULAR[kind]} of that name; "
            f"did you mean {local}?"
        )
    return path(kind, name)
