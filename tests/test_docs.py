"""The documentation site's sources (mkdocs.yml, docs/) and the notebooks it executes. The
notebooks stay output-free in git (the site shows them executed); the site's nav lists every
notebook and every page; the README and ARCHITECTURE sections the pages include exist; the
text tools of docs/sitetext.py (no MkDocs needed) split, include, generate and check.
The build itself (`mkdocs build --strict`, in .ci/run) executes the notebooks."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from negsim.scenario import json_schema

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sitetext", ROOT / "docs" / "sitetext.py")
sitetext = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sitetext)
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


MARKDOWN = """# Title

The lead.

## First

```sh
# a comment, not a title
## nor a section
```

## Second
Text, see [the map](ARCHITECTURE.md).
"""


def test_sections_split_at_headings_outside_code_fences(tmp_path):
    sections = sitetext.split_sections(MARKDOWN)
    assert list(sections) == ["", "First", "Second"]
    assert sections[""] == "The lead.\n"
    assert "## nor a section" in sections["First"] and sections["First"].startswith("## First")
    (tmp_path / "X.md").write_text(MARKDOWN, encoding="utf-8")
    page = '# Second\n\n<!-- include X.md "Second" -->\n\n<!-- include X.md "" -->\n'
    assert sitetext.expand(page, "p.md", root=tmp_path) == (
        "# Second\n\nText, see [the map](architecture.md).\n\n\nThe lead.\n\n"
    )
    with pytest.raises(sitetext.SiteError, match=r"^p.md: .*X.md has no section '## Third'$"):
        sitetext.expand('<!-- include X.md "Third" -->', "p.md", root=tmp_path)
    with pytest.raises(sitetext.SiteError, match="unknown generator"):
        sitetext.expand("<!-- generate nothing -->", "p.md", root=tmp_path)


def test_offline_check_finds_what_a_page_loads_from_another_host_and_nothing_else(tmp_path):
    remote = [
        '<script src="https://cdn.example.org/a.js"></script>',
        '<link rel="stylesheet" href="//fonts.example.org/css?family=Roboto">',
        "<img alt='x' src='http://example.org/p.png'>",
        '<style>@font-face{src:url("https://example.org/f.woff2")}</style>',
        "<script>iframe.setAttribute('src', 'https://example.org/check.html?v=1')</script>",
        "<script>var s = 'https://unpkg.example/@x/dist/embed.js';</script>",
    ]
    local = [
        '<a href="https://squidfunk.github.io/mkdocs-material/">Material</a>',
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        '<script src="../assets/iframe-worker-shim.js"></script>',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
    ]
    (tmp_path / "page.html").write_text("\n".join(local + remote), encoding="utf-8")
    (tmp_path / "ok.html").write_text("\n".join(local), encoding="utf-8")
    found = sitetext.external_resources(tmp_path)
    assert len(found) == len(remote) and all(f.startswith("page.html: ") for f in found)
    assert found[0] == "page.html: https://cdn.example.org/a.js"


def test_cli_help_lists_every_command_and_leaves_the_environment_as_it_was():
    before = dict(os.environ)
    text = sitetext.cli_help()
    assert dict(os.environ) == before  # main() sets MPLBACKEND=Agg: kernels must not inherit it
    for command in ["run", "tomahawk", "racetrack", "validate", "list", "schema", "sweep", "plot"]:
        assert f"### negsim {command}\n" in text
    assert "--transport-cost TRANSPORT_COST" in text


def test_scenario_keys_have_a_row_for_every_key_of_the_schema():
    schema = json_schema()

    def table_of(prop: dict) -> dict | None:
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        return schema["$defs"][ref.rsplit("/", 1)[1]] if ref else None

    nested = {k: table_of(p) for k, p in schema["properties"].items() if table_of(p)}
    text = sitetext.scenario_keys()
    assert sorted(re.findall(r"^### `\[+(\w+)\]+`$", text, re.M)) == sorted(nested)
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", text, re.M)
    top = [k for k in schema["properties"] if k not in nested]
    assert [k for k, _ in rows] == top + [k for t in nested.values() for k in t["properties"]]
    assert ("sigma", "required") in rows and ("kind", '`"two_region"`') in rows


def test_ci_fails_when_the_docs_build_fails_and_lints_nothing_after_it(tmp_path):
    """.ci/run builds the site after the tests; a failing build (a broken notebook, say)
    fails CI. Here the install and the tests pass, mkdocs fails, and a ruff that would pass
    records that it was called."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / "install.sh", tmp_path / "install.sh")
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / ".ci" / "wheel-check").write_text("exit 0\n")  # the wheel passes
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    fakes = {
        "python": f'#!/bin/sh\nif [ "$1" = "-m" ]; then exit 0; fi\nexec {sys.executable} "$@"\n',
        "mkdocs": f'#!/bin/sh\necho "$@" > {tmp_path}/mkdocs-args\necho broken >&2\nexit 1\n',
        "ruff": f"#!/bin/sh\ntouch {tmp_path}/ruff-ran\n",
        "negsim": "#!/bin/sh\nexit 0\n",  # negsim verify passes
    }
    for name, text in fakes.items():
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV")}
    proc = subprocess.run(
        ["bash", ".ci/run"],
        cwd=tmp_path,
        env={**environ, "PYTHON": sys.executable, "CI": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "broken" in proc.stderr
    assert (tmp_path / "mkdocs-args").read_text().split() == ["build", "--strict"]
    assert not (tmp_path / "ruff-ran").exists()


@pytest.mark.parametrize("command", ["tomahawk", "racetrack"])
def test_readme_usage_lines_list_every_option_of_the_command(command):
    """The README's usage lines of `negsim tomahawk` / `racetrack` name every option its
    --help lists."""
    from negsim.cli import _parser

    (sub,) = (a for a in _parser()._actions if a.dest == "command")
    options = {
        s for a in sub.choices[command]._actions for s in a.option_strings if s.startswith("--")
    } - {"--help"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    usage = " ".join(re.findall(rf"^negsim {command} .*$", readme, re.M))
    assert options and not sorted(o for o in options if o not in usage)
