"""The shape of the package (ARCHITECTURE.md): no import cycles, and no module but the
registry asks which economy it is by comparing ``economy.model`` with a string.

Both checks read the source with ``ast``: every ``import`` counts, also one inside a
function or under ``if TYPE_CHECKING:`` — a cycle that only typing hides is still a tangle.
Each detector is first shown a small violation, so the checks cannot pass vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from negsim import economies

PACKAGE = Path(__file__).resolve().parents[1] / "negsim"
REGISTRY_MODULE = "negsim.economies"

LAYERS = [  # ARCHITECTURE.md: a module imports only from its own layer and earlier ones
    [
        "negsim.economies",  # and its modules
        "negsim.geography",
        "negsim.rules",
        "negsim.firm_dynamics",
        "negsim.stability",
        "negsim.rest_point",
        "negsim.metrics",
        "negsim.racetrack",
    ],
    [
        "negsim.validation",
        "negsim.place_table",
        "negsim.scenario",
        "negsim.amenities",
        "negsim.frictions",
        "negsim.shipped",
        "negsim.template",
    ],
    ["negsim.theory"],
    ["negsim.record"],
    [
        "negsim.policies",
        "negsim.start",
        "negsim.convergence",
        "negsim.ensemble",
        "negsim.firm_slots",
        "negsim.own_speed_firms",
        "negsim.agents",
        "negsim.model",
    ],
]  # every other module: running and presenting, the last layer


def layer_of(module: str) -> int:
    for level, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return level
    return len(LAYERS)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = ["negsim", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imported_modules(source: str, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The negsim modules ``source`` (module ``name``) imports, wherever the import stands.

    ``from pkg import x`` names the module ``pkg.x`` where that is a module, else ``pkg``;
    relative imports are resolved against the module's package.
    """
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {m for m in found if m in known and m != name}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = package_modules(root)
    known = set(modules)
    return {
        name: imported_modules(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known
        )
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def economy_string_dispatch(source: str, names: tuple[str, ...]) -> list[int]:
    """Lines that ask which economy it is by name: a comparison (==, !=, in, match case)
    with a registered economy's name, or a dict literal keyed by economy names."""

    def is_name(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(is_name(e) for e in node.elts)
        return False

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            is_name(x) for x in [node.left, *node.comparators]
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.Dict) and any(k is not None and is_name(k) for k in node.keys):
            lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and is_name(node.value):
            lines.append(node.lineno)
    return sorted(set(lines))


# --- the detectors see what they are meant to see ----------------------------------------


def test_cycle_detector_finds_a_cycle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "negsim"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from negsim.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from negsim import c\n"
    )
    (pkg / "c.py").write_text("def f():\n    from . import a\n")
    graph = import_graph(pkg)
    assert graph["negsim.a"] == {"negsim.sub.b"}
    assert graph["negsim.sub.b"] == {"negsim.c"}
    assert graph["negsim.c"] == {"negsim.a"}
    assert find_cycle(graph) == ["negsim.a", "negsim.sub.b", "negsim.c", "negsim.a"]
    (pkg / "c.py").write_text("import numpy\n")
    assert find_cycle(import_graph(pkg)) is None


def test_dispatch_detector_finds_string_comparisons_and_tables():
    source = """
if scenario.economy.model == "cp":
    pass
ok = model != "fe"
kind = "fc" in (x, y) or model in ("cp", "fe")
table = {"cp": 1, "fe": 2}
match model:
    case "fc":
        pass
name = "cp"              # a value, not a question
other = {"model": "cp"}  # keyed by "model", not by an economy
"""
    assert economy_string_dispatch(source, ("cp", "fe", "fc")) == [2, 4, 5, 6, 8]


# --- the package ------------------------------------------------------------------------


def test_the_package_has_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 30 and "negsim.model" in graph["negsim.runner"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_imports_flow_one_way_through_the_layers():
    graph = import_graph()
    assert layer_of("negsim.economies.cp") == 0 and layer_of("negsim.cli") == len(LAYERS)
    upward = [
        f"{module} → {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "imports from a later layer: " + ", ".join(upward)


@pytest.mark.parametrize("module", sorted(package_modules()))
def test_only_the_registry_asks_which_economy_by_name(module):
    if module == REGISTRY_MODULE:
        return
    path = package_modules()[module]
    lines = economy_string_dispatch(path.read_text(encoding="utf-8"), economies.NAMES)
    assert not lines, (
        f"{path.relative_to(PACKAGE.parent)} compares with an economy's name on line(s) "
        f"{lines}: ask negsim.economies.get(model) instead"
    )
