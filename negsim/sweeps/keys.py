"""What the scenario schema says about a dotted key (``economy.transport_cost``,
``policies.0.share``): whether it exists, its annotation, the types it accepts, its
description."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel

from negsim.scenario import Scenario
from negsim.validation import model_in


def field_annotation(key: str) -> Any:
    """The annotation of a dotted scenario key; KeyError naming the allowed keys if unknown."""
    model: type[BaseModel] = Scenario
    parts = key.split(".")
    listed = False  # the part before was a list of tables, so this one must index it
    for i, part in enumerate(parts):
        if listed:
            name = ".".join(parts[:i])
            if not part.isdigit():
                raise KeyError(f"{name} is a list of tables; index it ({name}.0.{part})")
            if i == len(parts) - 1:
                raise KeyError(f"is a table; vary its keys ({', '.join(model.model_fields)})")
            listed = False
            continue
        fields = model.model_fields
        if part not in fields:
            where = ".".join(parts[:i]) or "a scenario"
            raise KeyError(f"unknown scenario key ({where} has: {', '.join(fields)})")
        annotation = fields[part].annotation
        sub = model_in(annotation)
        if i == len(parts) - 1:
            if sub is not None:
                raise KeyError(f"is a table; vary its keys ({', '.join(sub.model_fields)})")
            return annotation
        if sub is None:
            raise KeyError(f"unknown scenario key ({'.'.join(parts[: i + 1])} is a value)")
        listed = typing.get_origin(annotation) is list
        model = sub
    raise KeyError("empty key")


def key_description(key: str) -> str:
    """What a dotted scenario key means, from the scenario schema ("" if unknown), without
    the "kind:" prefix of policy fields: "policies.0.share" → "share of the region's firms
    that close"."""
    model: type[BaseModel] | None = Scenario
    field = None
    for part in key.split("."):
        if part.isdigit():
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return ""
        model = model_in(field.annotation)
    return (field.description or "").split(": ", 1)[-1] if field is not None else ""


def unknown_key(key: str) -> str | None:
    """Why ``key`` is not a scenario value a sweep can set (None if it is one)."""
    try:
        field_annotation(key)
    except KeyError as exc:
        return str(exc.args[0])
    return None


def value_kinds(annotation: Any) -> set[type]:
    """The basic types a field accepts: {float}, {int}, {list}, {str}, ... (None dropped)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(value_kinds(a) for a in typing.get_args(annotation)))
    if origin is Literal:
        return {type(v) for v in typing.get_args(annotation)}
    if origin in (list, tuple):
        return {list}
    if annotation is type(None):
        return set()
    return {annotation} if isinstance(annotation, type) else {object}
