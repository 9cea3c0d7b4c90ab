"""The package's layout (docs/design.md): imports run one way, from the notebooks' families to the core, with no
cycle anywhere in helpers/, and the tests mirror the packages."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"
FAMILIES = {"gans", "diffusion", "adaptation", "representation", "segmentation"}
# What each shared package may import, besides itself; a family may import these and itself, never another family.
SHARED = {"core": set(), "data": {"core"}, "deliverables": {"core", "data"}, "grading": {"core", "data", "deliverables"},
          "report": {"core", "data"}}
ROLES = ("config.py", "networks.py", "experiment.py", "analysis.py", "deliverable.py")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def import_graph() -> dict[str, set[str]]:
    """{module: the helpers modules it imports}, function-level imports included (they cycle as well, only later)."""
    modules = {module_name(p): p for p in HELPERS.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("helpers"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    graph[name].add(target if target in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.startswith("helpers"))
    return {name: {t for t in graph[name] if t in modules and t != name} for name in modules}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def test_no_import_cycle_in_helpers():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_run_from_the_families_to_the_shared_packages():
    wrong = []
    for module, targets in import_graph().items():
        source = package(module)
        for target in targets:
            destination = package(target)
            if destination == source or source not in FAMILIES | set(SHARED):
                continue
            allowed = set(SHARED) if source in FAMILIES else SHARED[source]
            if destination not in allowed:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_every_family_has_the_same_roles():
    missing = [f"helpers/{family}/{role}" for family in sorted(FAMILIES) for role in ROLES
               if not (HELPERS / family / role).is_file()]
    assert missing == []


def test_tests_mirror_the_packages():
    """tests/<package>/test_<module>.py for a module of helpers/<package>/ (top-level tests are cross-cutting)."""
    strays = []
    for test in (ROOT / "tests").glob("*/test_*.py"):
        folder = test.parent.name
        assert (HELPERS / folder).is_dir(), f"tests/{folder}/ mirrors no package of helpers/"
        if folder in FAMILIES | {"core", "data", "grading", "report"} and not (HELPERS / folder / test.name.removeprefix("test_")).exists():
            strays.append(str(test.relative_to(ROOT)))
    assert strays == []
