"""A commented scenario template (``negsim init``): every section and key of the scenario
schema with what it means, its type and allowed range, and the values of a scenario.

The comments are generated from the pydantic schema in ``negsim.scenario`` (field
descriptions, ``Literal`` choices and ``gt``/``ge``/``lt``/``le``/length constraints), so
the template cannot drift from what ``load_scenario`` accepts. Keys a scenario leaves unset
are written as comments; lists of tables (``[[policies]]``, ``[[geography.links]]``, …)
document their keys once, with a commented example header when the list is empty.
"""

from __future__ import annotations

import textwrap
import types
import typing
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from negsim.scenario import Scenario

WIDTH = 96  # comment lines wrap here (the repository's line length is 100)


def render(scenario: Scenario, source: str, header: list[str] | None = None) -> str:
    """The scenario as a commented TOML template; ``source`` names where its values come
    from and ``header`` (comment lines, e.g. the source file's own) goes first."""
    lines = [
        f"# A negsim scenario, written by `negsim init` with the values of {source}.",
        "# Every key is listed with what it means, its type and allowed range; keys shown",
        "# commented out are unset (their default applies). Check it with `negsim validate`.",
    ]
    if header:
        lines += ["#", *header]
    lines.append("")
    _table(lines, Scenario, scenario.model_dump(), prefix="")
    return "\n".join(lines).rstrip() + "\n"


def leading_comments(text: str) -> list[str]:
    """The comment block a TOML file opens with (its explanation), up to the first key."""
    block = []
    for line in text.splitlines():
        if line.startswith("#"):
            block.append(line)
        elif line.strip():
            break
    return block


def _table(lines: list[str], model: type[BaseModel], values: dict[str, Any], prefix: str) -> None:
    fields = model.model_fields
    for name, field in fields.items():  # plain keys first: a [table] header ends them
        if _kind(field) == "key":
            _key(lines, name, field, values.get(name))
    for name, field in fields.items():
        dotted = f"{prefix}{name}"
        if _kind(field) == "table":
            sub = _model_of(field.annotation)
            lines += ["", *_wrap(f"[{dotted}] {_doc(sub)}"), f"[{dotted}]"]
            _table(lines, sub, values.get(name) or {}, prefix=f"{dotted}.")
        elif _kind(field) == "array":
            _array(lines, dotted, field, values.get(name) or [])


def _array(lines: list[str], dotted: str, field: FieldInfo, entries: list[dict]) -> None:
    sub = _model_of(field.annotation)
    lines += ["", *_wrap(f"[[{dotted}]] {field.description or _doc(sub)}: {_doc(sub)}")]
    lines.append("# one table per entry, keys:")
    for name, item in sub.model_fields.items():
        lines += _wrap(f"{name}: {_meaning(item)}", first="  ", rest="      ")
    if not entries:
        lines.append(f"# [[{dotted}]]   (none; add tables like this one)")
    for entry in entries:
        lines.append(f"[[{dotted}]]")
        for name, value in entry.items():
            if value is not None:
                lines.append(_assign(name, value))


def _key(lines: list[str], name: str, field: FieldInfo, value: Any) -> None:
    lines += _wrap(f"{name}: {_meaning(field)}")
    lines.append(_assign(name, value) if value is not None else f"# {name} =   (unset)")


def _assign(name: str, value: Any) -> str:
    return f"{_assign_key(name)} = {_value(value)}"


def _assign_key(name: str) -> str:
    return tomli_w.dumps({name: 0}).partition(" = ")[0]


def _value(value: Any) -> str:
    """A TOML value on one line (tomli_w puts list entries and tables on lines of their own)."""
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(_assign(k, v) for k, v in value.items()) + " }"
    return _literal(value)


def _meaning(field: FieldInfo) -> str:
    """What a key means, its type and allowed range, and whether it is required."""
    parts = [field.description or ""]
    kind = _type_text(field.annotation)
    allowed = _range_text(field.metadata)
    parts.append(f"{kind}, {allowed}" if allowed else kind)
    if field.is_required():
        parts.append("required")
    elif field.default_factory is None and field.default is not None:
        parts.append(f"default {_literal(field.default)}")
    return " | ".join(p for p in parts if p)


def _type_text(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if _is_union(annotation) and len(args) == 1:
        return _type_text(args[0])
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(_literal(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        return f"list of {_type_text(args[0])}"
    return {bool: "true/false", int: "integer", float: "number", str: "text"}.get(
        annotation, getattr(annotation, "__name__", str(annotation))
    )


def _range_text(metadata: list[Any]) -> str:
    """The bounds and lengths pydantic enforces (``annotated_types`` constraints)."""
    limits = {}
    for item in metadata:
        for attribute in ("gt", "ge", "lt", "le", "min_length", "max_length"):
            if getattr(item, attribute, None) is not None:
                limits[attribute] = getattr(item, attribute)
    low = [f"{sign} {_number(limits[a])}" for a, sign in (("gt", ">"), ("ge", "≥")) if a in limits]
    high = [f"{sign} {_number(limits[a])}" for a, sign in (("lt", "<"), ("le", "≤")) if a in limits]
    words = [f"allowed {' and '.join(low + high)}"] if low or high else []
    if limits.get("min_length") and limits.get("min_length") == limits.get("max_length"):
        return ", ".join([*words, f"exactly {limits['min_length']} entries"])
    if limits.get("min_length"):
        words.append(f"at least {limits['min_length']} entries")
    if "max_length" in limits:
        words.append(f"at most {limits['max_length']} entries")
    return ", ".join(words)


def _number(value: float) -> str:
    return f"{value:,}".replace(",", "_") if isinstance(value, int) else f"{value:g}"


def _literal(value: Any) -> str:
    return tomli_w.dumps({"v": value})[4:].rstrip("\n")


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split("\n\n")[0].split())


def _wrap(text: str, first: str = "", rest: str = "  ") -> list[str]:
    wrapped = textwrap.wrap(
        text,
        WIDTH - 2,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"# {line}" for line in wrapped]


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _model_of(annotation: Any) -> type[BaseModel]:
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return annotation


def _kind(field: FieldInfo) -> str:
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "array"
    return "key"


def target_path(name: str) -> Path:
    """The file ``negsim init NAME`` writes: NAME itself when it ends in .toml, else
    NAME.toml."""
    return Path(name if name.endswith(".toml") else f"{name}.toml")
