"""The site's text from the repository's own files (for ``docs/hooks.py``), without MkDocs:
README and ARCHITECTURE sections by heading, every command's help, the scenario keys from
the schema, and the check that a built site loads nothing from another host.

A page asks for text with one line each (an unknown file, section or generator is an error):

    <!-- include README.md "Command line" -->   that ``## `` section of README.md
    <!-- include README.md "" -->                README's lead (before its first section)
    <!-- include ARCHITECTURE.md -->             the whole file, less its title
    <!-- generate cli -->                        ``negsim --help`` and each command's help
    <!-- generate scenario-keys -->              a table per scenario table, from the schema
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINKS = {"ARCHITECTURE.md": "architecture.md"}  # repository file → its page
DIRECTIVE = re.compile(r'^<!-- (include|generate) ([\w.-]+)(?: "([^"]*)")? -->$', re.M)


class SiteError(ValueError):
    """A page asks for text that does not exist, or the built site is not self-contained."""


def expand(markdown: str, where: str, root: Path = ROOT) -> str:
    """``markdown`` with every directive replaced by the text it names. A section whose
    heading is the page's ``# `` title comes without its heading."""
    title = re.search(r"^# (.+)$", markdown, re.M)

    def replace(match: re.Match) -> str:
        verb, name, section = match.groups()
        here = f"{where}: {match.group(0)}"
        if verb == "generate":
            if name not in GENERATORS:
                raise SiteError(f"{here}: unknown generator (allowed: {', '.join(GENERATORS)})")
            return GENERATORS[name]()
        text = include(root / name, section, here)
        if title and section == title.group(1):
            text = text.split("\n", 1)[1].lstrip("\n")
        for source, page in LINKS.items():
            text = text.replace(f"]({source})", f"]({page})")
        return text

    return DIRECTIVE.sub(replace, markdown)


def include(path: Path, section: str | None, where: str) -> str:
    """The ``## section`` of the Markdown file at ``path`` ("" its lead; None all of it)."""
    if not path.is_file():
        raise SiteError(f"{where}: no file {path.name} in the repository")
    sections = split_sections(path.read_text(encoding="utf-8"))
    if section is None:
        return "\n".join(sections.values())
    if section not in sections:
        raise SiteError(f"{where}: {path.name} has no section '## {section}'")
    return sections[section]


def split_sections(text: str) -> dict[str, str]:
    """Split Markdown at its ``## `` headings (outside code fences): heading → section text,
    heading included; "" → the lead between the ``# `` title and the first section."""
    sections: dict[str, list[str]] = {"": []}
    current, fence = "", None
    for line in text.splitlines():
        marker = re.match(r"\s*(```|~~~)", line)
        if marker:
            fence = None if fence == marker.group(1) else fence or marker.group(1)
        elif fence is None and line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif fence is None and line.startswith("# ") and current == "":
            continue  # the document's title: the page has its own
        sections[current].append(line)
    return {k: "\n".join(v).strip() + "\n" for k, v in sections.items()}


def cli_help() -> str:
    """``negsim --help`` and the help of every command, as the installed CLI prints them."""
    from negsim.cli import main

    def helptext(argv: list[str]) -> str:
        out, saved = io.StringIO(), dict(os.environ)
        os.environ["COLUMNS"] = "100"
        try:
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                main(argv)
        finally:  # main sets MPLBACKEND=Agg, which the notebook kernels would inherit
            os.environ.clear()
            os.environ.update(saved)
        return out.getvalue().rstrip()

    top = helptext(["--help"])
    choices = re.search(r"\{([\w,-]+)\}", top)
    if not choices:
        raise SiteError("negsim --help lists no commands in {...}")
    blocks = [f"```text\n$ negsim --help\n{top}\n```"]
    for command in choices.group(1).split(","):
        blocks.append(f"### negsim {command}\n\n```text\n{helptext([command, '--help'])}\n```")
    return "\n\n".join(blocks) + "\n"


def scenario_keys() -> str:
    """One table per scenario table: key, type, default, allowed values, meaning."""
    from negsim.scenario import json_schema

    schema = json_schema()
    defs = schema["$defs"]
    top, tables = [], []
    for key, prop in schema["properties"].items():
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref is None:
            top.append((key, prop))
            continue
        sub = defs[ref.rsplit("/", 1)[1]]
        title = f"[[{key}]]" if prop.get("type") == "array" else f"[{key}]"
        rows = list(sub["properties"].items())
        tables.append(f"### `{title}`\n\n{_describe(sub)}\n\n{_table(rows, sub)}")
    return "\n\n".join([_table(top, schema), *tables]) + "\n"


def _describe(schema: dict) -> str:
    return schema.get("description", "").split("\n\n")[0].replace("\n", " ")


def _table(rows: list[tuple[str, dict]], parent: dict) -> str:
    required = set(parent.get("required", []))
    lines = ["| key | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for key, prop in rows:
        default = "required" if key in required else _code(prop.get("default"))
        meaning = prop.get("description", "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{key}` | {_type(prop)} | {default} | {_allowed(prop)} | {meaning} |")
    return "\n".join(lines)


def _code(value: object) -> str:
    return "—" if value is None else f"`{json.dumps(value, ensure_ascii=False)}`"  # as in TOML


def _variants(prop: dict) -> list[dict]:
    return [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]


def _type(prop: dict) -> str:
    names = []
    for v in _variants(prop):
        name = v.get("type") or v.get("$ref", "object").rsplit("/", 1)[-1]
        if name == "array":
            item = v.get("items", {})
            name = f"array of {item.get('type') or item.get('$ref', '?').rsplit('/', 1)[-1]}"
        names.append(name)
    return " or ".join(dict.fromkeys(names)) or "any"


def _allowed(prop: dict) -> str:
    bounds = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    parts = []
    for v in _variants(prop):
        if "enum" in v:
            parts.append(" \\| ".join(f"`{e}`" for e in v["enum"]))
        parts += [f"{sign} {v[k]}" for k, sign in bounds.items() if k in v]
    return ", ".join(parts)


GENERATORS = {"cli": cli_help, "scenario-keys": scenario_keys}


REMOTE = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=[\"']((?:https?:)?//[^\"']+)"
    r"|<link\b[^>]*\bhref=[\"']((?:https?:)?//[^\"']+)"
    r"|@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"')]+)"
    r"|url\([\"']?((?:https?:)?//[^\"')]+)"
    r"|setAttribute\([\"']src[\"'],\s*[\"']((?:https?:)?//[^\"']+)"
    r"|[\"'`]((?:https?:)?//[^\"'`\s]+\.(?:js|css|woff2?|ttf|otf))(?:\?[^\"'`]*)?[\"'`]",
    re.I,
)


def external_resources(site: Path) -> list[str]:
    """``file: URL`` of every script, stylesheet, image, frame or font that a page or a
    stylesheet of the built site loads from another host, also through a script (links to
    pages elsewhere are fine).
    MathJax's own files are left out: they load only from their folder."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css") or "mathjax" in path.parts:
            continue
        for match in REMOTE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            url = next(g for g in match.groups() if g)
            found.append(f"{path.relative_to(site)}: {url}")
    return found
