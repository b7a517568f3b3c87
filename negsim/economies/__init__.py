"""The NEG economies negsim runs, and the registry that maps a scenario's ``economy.model``
to one: ``cp`` (Krugman core–periphery, with an optional housing/congestion force), ``fe``
(footloose entrepreneur), ``fc`` (footloose capital), ``cpvl`` (core–periphery with
vertical linkages), ``ql`` (Pflüger's quasi-linear model), ``linear``
(Ottaviano–Tabuchi–Thisse). Each module implements the ``Economy`` interface
(``negsim.economies.base``) once; everything else asks ``get(name)``.

Who moves, by economy:

| economy | mobile agents (their share is λ)   | who follows                         |
| ------- | ---------------------------------- | ----------------------------------- |
| cp      | workers, on real wages             | firms track workers (free entry), or  |
|         |                                    | move on profits at their own speed    |
|         |                                    | (``negsim.firm_dynamics``)            |
| fe      | entrepreneurs, on real rewards     | each firm moves with its entrepreneur |
| fc      | firms (capital), on nominal reward | nobody: workers and owners stay       |
| cpvl    | industry (firms), on industrial    | nobody migrates: labour switches      |
|         | wages                              | sector within each region             |
| ql      | skilled workers, on utility        | each firm moves with its skilled owner|
| linear  | skilled workers, on utility        | each firm moves with its skilled owner|

A new economy is one new module defining an ``Economy`` subclass and its ``ECONOMY``
instance, added to ``REGISTRY`` below.
"""

from __future__ import annotations

from negsim.economies import cp, cpvl, fc, fe, linear, ql
from negsim.economies.base import Economy, Equilibrium, EquilibriumError, MobileFactor, Solver

__all__ = [
    "NAMES",
    "REGISTRY",
    "Economy",
    "Equilibrium",
    "EquilibriumError",
    "MobileFactor",
    "Solver",
    "get",
    "with_firm_dynamics",
    "with_housing",
    "with_input_share",
]

REGISTRY: dict[str, Economy] = {
    e.name: e
    for e in (cp.ECONOMY, fe.ECONOMY, fc.ECONOMY, cpvl.ECONOMY, ql.ECONOMY, linear.ECONOMY)
}
"""Every economy by its ``economy.model`` key, in the order the docs list them."""

NAMES: tuple[str, ...] = tuple(REGISTRY)


def get(name: str | Economy) -> Economy:
    """The economy a scenario's ``economy.model`` names; ValueError for an unknown name. An
    ``Economy`` is returned as it is (one with parameters of its own bound, e.g. cpvl's
    input share: ``get(model).with_parameters(table)``)."""
    if isinstance(name, Economy):
        return name
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown economy {name!r} ({', '.join(NAMES)})") from None


def with_housing() -> list[str]:
    """The economies that accept a housing share η > 0."""
    return [name for name, e in REGISTRY.items() if e.has_housing]


def with_firm_dynamics() -> list[str]:
    """The economies whose firms can adjust at a speed of their own."""
    return [name for name, e in REGISTRY.items() if e.has_firm_dynamics]


def with_input_share() -> list[str]:
    """The economies whose firms buy intermediate inputs (``economy.input_share``)."""
    return [name for name, e in REGISTRY.items() if hasattr(e, "input_share")]
