"""Shared by the benchmarks that compare this working tree with an earlier revision: a
temporary git worktree of that revision, and running Python with one tree or the other
first on ``PYTHONPATH``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def revision_tree(revision: str, parent: Path) -> Iterator[Path]:
    """A detached git worktree of ``revision`` below ``parent``, removed afterwards."""
    tree = parent / "base"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), revision],
        check=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)])


def python_in(tree: Path, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run this interpreter with ``tree`` first on PYTHONPATH (its negsim is imported)."""
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, *args], env=env, cwd=tree, **kwargs)
