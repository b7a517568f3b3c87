"""MkDocs hooks: the site reuses the repository's own text instead of copies that drift.

Pages ask for README and ARCHITECTURE sections, the CLI help and the scenario keys with one
line each (``docs/sitetext.py`` lists the directives); a missing one fails the build. The
notebooks in ``notebooks/`` and the README's figure are added to the site's files at their
repository paths, so mkdocs-jupyter renders (and executes) the committed notebooks. MathJax
for their formulas is copied into the site (``jupyter-server-mathjax``), and the build fails
if a page would load anything from another host.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sitetext  # docs/ is on sys.path while MkDocs loads this hook
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = sitetext.ROOT


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config: MkDocsConfig) -> Files:
    notebooks = ROOT / "notebooks"
    for path in [*notebooks.glob("*.ipynb"), *notebooks.glob("figures/*.png")]:
        rel = path.relative_to(ROOT).as_posix()
        files.append(
            File(rel, str(ROOT), config.site_dir, use_directory_urls=config.use_directory_urls)
        )
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    try:
        return sitetext.expand(markdown, page.file.src_uri)
    except sitetext.SiteError as err:
        raise PluginError(str(err)) from None


def on_post_build(config: MkDocsConfig) -> None:
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(config.site_dir) / "assets" / "mathjax"
    shutil.copytree(static, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py*"))
    remote = sitetext.external_resources(Path(config.site_dir))
    if remote:
        raise PluginError(f"the site must work offline; it loads {len(remote)}: {remote[:5]}")
