"""Writing a run's files: the output directory claimed before the run, atomic writes, and
``save_run`` (timeseries.csv, summary.json, welfare.csv, scenario.resolved.toml, shares.png,
regions.png;
places.geojson too when the geography is a table of places; effects.csv and effects.png for
a run against its baseline).

Crash safety: before the run, ``claim`` checks the directory (a directory holding another
scenario's or seed's results is refused before anything is written), locks it against a
second negsim process, removes the temporary files a killed run left, and writes
``scenario.resolved.toml`` first, as the claim. Every file is written to a temporary name
and renamed into place, so a file is either absent or complete. Whenever a run is killed,
re-running the same command into the same directory succeeds and leaves no stray files.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: writing files needs neither pandas nor pydantic
    from negsim.record import Result
    from negsim.scenario import Scenario

OUTPUT_FILES = (
    "timeseries.csv",
    "summary.json",
    "welfare.csv",
    "scenario.resolved.toml",
    "shares.png",
    "regions.png",
)
PLACES_FILES = ("places.geojson",)  # written only for a places geography
EFFECT_FILES = ("effects.csv", "effects.png")  # written only by a run against its baseline
ALL_FILES = OUTPUT_FILES + PLACES_FILES + EFFECT_FILES


def output_files(scenario: Scenario, baseline: bool = False) -> tuple[str, ...]:
    """The files a run of ``scenario`` writes: OUTPUT_FILES, PLACES_FILES for places, and
    EFFECT_FILES for a run against its ``baseline``."""
    files = OUTPUT_FILES + (PLACES_FILES if scenario.geography.kind == "places" else ())
    return files + (EFFECT_FILES if baseline else ())


class OutputError(RuntimeError):
    """Results could not be written where asked."""


RESOLVED = "scenario.resolved.toml"


def folder_name(name: str) -> str:
    """A scenario's (or sweep's) name as one safe folder name below the output root: every
    run of characters other than letters, digits, "_" and "-" becomes "_" (no path
    separators, dots, control characters or quotes), "_" trimmed from both ends, at most
    100 characters; "scenario" when nothing is left."""
    cleaned = re.sub(r"[^\w\-]+", "_", name).strip("_")[:100]
    return cleaned or "scenario"


def save_run(result: Result, out_dir: str | Path) -> list[Path]:
    """Write timeseries.csv, summary.json, scenario.resolved.toml, shares.png and regions.png
    of ``result`` into ``out_dir``, each atomically. Refuses (OutputError) to overwrite the
    results of a different scenario or seed already there."""
    with claim(out_dir, result.scenario) as out:
        return [out / RESOLVED, *write_results(result, out)]


@contextmanager
def claim(out_dir: str | Path, scenario: Scenario) -> Iterator[Path]:
    """Hold ``out_dir`` for this scenario's results while the block runs: checked
    (``check_output_dir``), created, locked (another negsim process writing there is refused),
    cleared of temporary files a killed run left, and claimed by writing
    scenario.resolved.toml first. OutputError, one line, if any of that fails."""
    out = check_output_dir(out_dir, scenario)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write results: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{out}: another negsim run is writing here; wait for it or choose another --out"
            ) from None
        check_output_dir(out, scenario)  # again, now that nobody else writes here
        resolved = scenario.to_toml()
        try:
            for stray in out.glob(".*.tmp"):
                if any(stray.name.startswith(f".{name}.") for name in ALL_FILES):
                    stray.unlink(missing_ok=True)
            target = out / RESOLVED
            if not target.exists() or target.read_text(encoding="utf-8") != resolved:
                atomic_write(target, lambda p: p.write_text(resolved, encoding="utf-8"))
        except OSError as exc:
            raise OutputError(f"{out}: cannot write results: {exc.strerror or exc}") from None
        yield out
    finally:
        os.close(fd)  # releases the lock


def write_results(result: Result, out: Path) -> list[Path]:
    """Write timeseries.csv, summary.json, shares.png and regions.png (the map of the last
    step) into a claimed directory; places.geojson too for a places geography, effects.csv
    and effects.png for a run against its baseline (``result.effects``)."""
    from negsim.place_geojson import GEOJSON_FILE, geojson_text, has_places
    from negsim.plots import plot_effects, plot_regions, plot_shares, save_figure
    from negsim.record import welfare_frame

    welfare = result.welfare if result.welfare is not None else welfare_frame([], [])
    writers: dict[str, Callable[[Path], None]] = {
        "timeseries.csv": lambda p: result.timeseries.to_csv(p, index=False),
        "summary.json": lambda p: p.write_text(
            json.dumps(result.summary, indent=2) + "\n", encoding="utf-8"
        ),
        "welfare.csv": lambda p: welfare.to_csv(p, index=False),
        "shares.png": lambda p: save_figure(plot_shares(result), p),
        "regions.png": lambda p: save_figure(plot_regions(result), p),
    }
    if has_places(result):
        text = geojson_text(result)
        writers[GEOJSON_FILE] = lambda p: p.write_text(text, encoding="utf-8")
    effects = result.effects
    if effects is not None:
        writers["effects.csv"] = lambda p: effects.to_csv(p, index=False)
        writers["effects.png"] = lambda p: save_figure(plot_effects(result), p)
    try:
        return [atomic_write(out / name, write) for name, write in writers.items()]
    except OSError as exc:
        raise OutputError(f"{out}: cannot write results: {exc.strerror or exc}") from None


def check_output_dir(out_dir: str | Path, scenario: Scenario) -> Path:
    """Check, before any work, that ``out_dir`` can take this scenario's results.

    It may be missing, empty, or hold the results of this very scenario and seed (which a
    re-run reproduces exactly); anything else that would be overwritten is refused.
    """
    out = Path(out_dir)
    try:
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: exists and is not a directory; choose another --out")
        present = [name for name in ALL_FILES if (out / name).exists()]
        if not present:
            return out
        previous = out / RESOLVED
        same = previous.exists() and previous.read_text(encoding="utf-8") == scenario.to_toml()
    except OSError as exc:  # a name too long, a path through a file, no permission, ...
        raise OutputError(f"{out}: cannot write results: {exc.strerror or exc}") from None
    if not same:
        raise OutputError(
            f"{out}: already holds results of a different scenario or seed "
            f"({', '.join(present)}); choose another --out directory or remove them"
        )
    return out


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place.

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
