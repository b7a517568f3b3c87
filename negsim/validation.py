"""One-line messages from pydantic validation errors: ``SOURCE: dotted.key: message``.

Scenario files and sweep files report their errors through ``error_lines``; this module
imports only pydantic and the standard library, so both can use it.
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

_KEYED_MESSAGE = re.compile(r"^([\w.]+): (.*)$")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with every control character (newline, carriage return, NUL, …: whatever
    could break or hide a line) written as an escape, e.g. ``\\n`` or ``\\x00``."""
    return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


def error_lines(exc: ValidationError, source: str, root: type[BaseModel]) -> list[str]:
    """One line per error of validating ``root``: ``SOURCE: dotted.key: message``.

    The key is the error's location (``policies.0.share``, ``(top level)`` for none), or
    the dotted key a validator names at the start of its message (``"geography.matrix:
    …"``). A missing key reads "required key is missing"; an unknown key lists the keys its
    table allows; other messages end with the rejected value unless a validator wrote them.
    """
    lines = []
    for err in exc.errors():
        key, message = _describe(err, root)
        lines.append(one_line(f"{source}: {key}: {message}"))
    return lines


def did_you_mean(word: str, allowed: list[str]) -> str:
    """``"; did you mean 'X'?"`` for the allowed word closest to ``word`` ("" if none is)."""
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def listing(names: list[str], first: int = 12) -> str:
    """``names`` comma-separated, the first ``first`` of them and "…" if there are more."""
    return ", ".join(names[:first]) + (", …" if len(names) > first else "")


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The table (pydantic model) an annotation holds: ``Firms``, ``list[Policy]``, ``X | None``."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _describe(err: Any, root: type[BaseModel]) -> tuple[str, str]:
    """One pydantic error as (dotted key, message)."""
    loc, kind = err["loc"], err["type"]
    key = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    match = _KEYED_MESSAGE.match(msg)
    if match and "." in match.group(1):
        key, msg = match.groups()
    if kind == "missing":
        msg = "required key is missing"
    elif kind == "extra_forbidden":
        msg = "unknown key"
        table = _table_at(root, loc[:-1])
        allowed = list(table.model_fields) if table is not None else []
        msg += did_you_mean(str(loc[-1]) if loc else "", allowed)
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
    elif kind != "value_error" and "input" in err and not isinstance(err["input"], dict):
        msg += f" (got {err['input']!r})"
    return key, msg


def _table_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The table at ``loc`` under ``root`` (list indices skipped), or None if not a table."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        model = model_in(field.annotation) if field is not None else None
    return model
