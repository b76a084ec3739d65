"""The import graph of accelsim/ has no cycle, counting function-level imports too, and its layers point
one way: the pruning front end uses the simulator (accelerators, trace) but the simulator never uses it,
and report/ draws saved results without running the simulator or the pruning code."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "accelsim"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> accelsim modules it imports anywhere in its body (an `import` inside a function counts).
    ``from P import x`` points at ``P.x`` when that is a module, else at ``P``; relative imports resolve."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.split(".")[0] == "accelsim"}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                    pkg = pkg[:len(pkg) - node.level + 1]
                    base = ".".join(pkg + ([base] if base else []))
                if base.split(".")[0] != "accelsim":
                    continue
                for a in node.names:
                    deps.add(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_and_relative_imports():
    """The parser itself: a function-level import and a relative import both make edges."""
    g = _edges(_modules())
    assert "accelsim.energy" in g["accelsim.accelerators.base"]          # imported inside __init__
    assert g and all(isinstance(v, set) for v in g.values())
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_accelsim():
    cycle = _find_cycle(_edges(_modules()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        n = todo.pop()
        for m in graph.get(n, ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


@pytest.mark.parametrize("layer,forbidden", [
    ("accelsim.accelerators", ("accelsim.prune", "accelsim.report", "accelsim.commands", "accelsim.export")),
    ("accelsim.trace", ("accelsim.prune", "accelsim.report", "accelsim.commands", "accelsim.accelerators")),
    ("accelsim.prune", ("accelsim.report", "accelsim.commands")),
    ("accelsim.report", ("accelsim.prune", "accelsim.accelerators", "accelsim.runner", "accelsim.commands")),
])
def test_dependencies_point_one_way(layer, forbidden):
    g = _edges(_modules())
    for mod in [m for m in g if m == layer or m.startswith(layer + ".")]:
        bad = sorted(d for d in _reach(g, mod) if d.startswith(forbidden))
        assert not bad, f"{mod} reaches {bad}"
