"""Names a package offers but imports only on first use (PEP 562), so that importing the
package, and every ``negsim`` command, pays only for what it touches."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, homes: dict[str, str], namespace: dict[str, Any]) -> Callable:
    """A module ``__getattr__`` for ``package``: ``homes`` maps each name to the module that
    defines it; the first access imports that module and caches the name in ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(homes[name]), name)
        namespace[name] = value
        return value

    return __getattr__
