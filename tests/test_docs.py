"""The documentation site's sources (mkdocs.yml, docs/) and the notebooks it executes. The
notebooks stay output-free in git (the site shows them executed); the site's nav lists every
notebook and every page; the README and ARCHITECTURE sections the pages include exist.
The build itself (`mkdocs build --strict`, in .ci/run) executes the notebooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
INCLUDE = re.compile(r'^<!-- include ([\w.-]+)(?: "([^"]*)")? -->$', re.M)


def nav_entries() -> list[str]:
    """The page files in mkdocs.yml's nav (``- file`` or ``- Title: file``), in order."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.split(r"\n(?=\S)", text.split("\nnav:\n", 1)[1], maxsplit=1)[0]
    return re.findall(r"^\s*- (?:[^:\n]+: )?(\S+\.(?:md|ipynb))\s*$", nav, re.M)


def test_committed_notebooks_have_no_outputs_or_execution_counts():
    assert len(NOTEBOOKS) >= 6
    dirty = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            if cell.get("outputs") or cell.get("execution_count") is not None:
                dirty.append(f"{path.name} cell {i}")
    assert dirty == [], "clear the outputs before committing (Jupyter: Edit > Clear Outputs)"


def test_nav_lists_every_notebook_and_every_page_and_each_file_exists():
    entries = nav_entries()
    assert sorted(e for e in entries if e.endswith(".ipynb")) == [
        f"notebooks/{p.name}" for p in NOTEBOOKS
    ]
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(e for e in entries if e.endswith(".md")) == pages
    missing = [e for e in entries if not (ROOT / e).is_file() and not (ROOT / "docs" / e).is_file()]
    assert missing == []
    assert len(entries) == len(set(entries))


def test_every_included_section_exists_in_its_file():
    includes = [
        (page.name, name, section)
        for page in sorted((ROOT / "docs").rglob("*.md"))
        for name, section in INCLUDE.findall(page.read_text(encoding="utf-8"))
    ]
    assert ("index.md", "README.md", "Set-up: two commands") in includes
    for page, name, section in includes:
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        assert not section or f"## {section}" in lines, f"{page}: {name} has no '## {section}'"


def test_readme_documents_the_one_command_that_builds_the_site():
    assert "bash install.sh docs && .venv/bin/mkdocs build --strict" in (
        ROOT / "README.md"
    ).read_text(encoding="utf-8")
    assert "site/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
