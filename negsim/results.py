"""What a run produced: the time series, the summary, and writing them to disk atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from negsim.scenario import Scenario

OUTPUT_FILES = ("timeseries.csv", "summary.json", "scenario.resolved.toml", "shares.png")


class OutputError(RuntimeError):
    """Results could not be written where asked."""


@dataclass
class Result:
    """A finished run: ``timeseries`` (one row per step per region) and ``summary``."""

    scenario: Scenario
    timeseries: pd.DataFrame
    summary: dict[str, Any]

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write timeseries.csv, summary.json, scenario.resolved.toml and shares.png.

        Each file is written to a temporary name and renamed into place, so an interrupted
        save never leaves a half-written file. Refuses to overwrite the results of a
        different scenario or seed already in ``out_dir``.
        """
        from negsim.plots import plot_shares, save_figure

        out = Path(out_dir)
        resolved = self.resolved_toml()
        previous = out / "scenario.resolved.toml"
        if previous.exists() and previous.read_text(encoding="utf-8") != resolved:
            raise OutputError(
                f"{out}: already holds results of a different scenario or seed; "
                "choose another --out directory or remove it"
            )
        out.mkdir(parents=True, exist_ok=True)
        writers: dict[str, Callable[[Path], None]] = {
            "timeseries.csv": lambda p: self.timeseries.to_csv(p, index=False),
            "summary.json": lambda p: p.write_text(
                json.dumps(self.summary, indent=2) + "\n", encoding="utf-8"
            ),
            "scenario.resolved.toml": lambda p: p.write_text(resolved, encoding="utf-8"),
            "shares.png": lambda p: save_figure(plot_shares(self), p),
        }
        written = []
        for name, write in writers.items():
            written.append(_atomic_write(out / name, write))
        return written

    def resolved_toml(self) -> str:
        return self.scenario.to_toml()


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
