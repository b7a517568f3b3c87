"""Writing a run's files: the output-directory check, atomic writes, and ``save_run``
(timeseries.csv, summary.json, scenario.resolved.toml, shares.png).

Every file is written to a temporary name and renamed into place, so an interrupted save
never leaves a half-written file; a directory that holds another scenario's or seed's
results is refused before any work.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: writing files needs neither pandas nor pydantic
    from negsim.record import Result
    from negsim.scenario import Scenario

OUTPUT_FILES = ("timeseries.csv", "summary.json", "scenario.resolved.toml", "shares.png")


class OutputError(RuntimeError):
    """Results could not be written where asked."""


def save_run(result: Result, out_dir: str | Path) -> list[Path]:
    """Write timeseries.csv, summary.json, scenario.resolved.toml and shares.png of
    ``result`` into ``out_dir``, each atomically. Refuses (OutputError) to overwrite the
    results of a different scenario or seed already there."""
    from negsim.plots import plot_shares, save_figure

    out = check_output_dir(out_dir, result.scenario)
    resolved = result.scenario.to_toml()
    writers: dict[str, Callable[[Path], None]] = {
        "timeseries.csv": lambda p: result.timeseries.to_csv(p, index=False),
        "summary.json": lambda p: p.write_text(
            json.dumps(result.summary, indent=2) + "\n", encoding="utf-8"
        ),
        "scenario.resolved.toml": lambda p: p.write_text(resolved, encoding="utf-8"),
        "shares.png": lambda p: save_figure(plot_shares(result), p),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        return [atomic_write(out / name, write) for name, write in writers.items()]
    except OSError as exc:
        raise OutputError(f"{out}: cannot write results: {exc.strerror or exc}") from None


def check_output_dir(out_dir: str | Path, scenario: Scenario) -> Path:
    """Check, before any work, that ``out_dir`` can take this scenario's results.

    It may be missing, empty, or hold the results of this very scenario and seed (which a
    re-run reproduces exactly); anything else that would be overwritten is refused.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory; choose another --out")
    present = [name for name in OUTPUT_FILES if (out / name).exists()]
    if not present:
        return out
    previous = out / "scenario.resolved.toml"
    if not previous.exists() or previous.read_text(encoding="utf-8") != scenario.to_toml():
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
