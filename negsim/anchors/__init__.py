"""Every anchor ``negsim verify`` checks, economy by economy. A new economy adds its
anchors in one module here (a tuple ``ANCHORS`` of ``Anchor``) and lists it in ``MODULES``."""

from __future__ import annotations

from negsim.anchors import cp, cpvl, fc, fcvl, fe, linear, ql
from negsim.anchors.base import Anchor, Check, check

__all__ = ["ANCHORS", "MODULES", "Anchor", "Check", "check"]

MODULES = (cp, fe, fc, cpvl, fcvl, ql, linear)
ANCHORS: tuple[Anchor, ...] = tuple(a for module in MODULES for a in module.ANCHORS)
