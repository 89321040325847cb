"""The import directions the README's Architecture section states, checked on the source (every import, also
the lazy ones inside functions): ``report`` never imports torch, open_clip, ``method`` or ``runner``; ``method`` never
imports the runner, report, results, suites or the CLI; ``registry`` never imports ``method``, ``runner`` or
``report``; ``results`` imports none of them (nor torch); no module imports a module that imports it back (also lazily); and the
runner's steps import each other only in the order of the data path."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "generator"
ENGINE = ("torch", "torchvision", "open_clip", "timm")
RULES = {  # package -> what it must never import
    "generator.report": ENGINE + ("generator.method", "generator.runner"),
    "generator.method": ("generator.runner", "generator.report", "generator.results", "generator.suite",
                         "generator.commands", "generator.cli"),
    "generator.registry": ("generator.method", "generator.runner", "generator.report", "generator.commands"),
    "generator.results": ENGINE + ("generator.method", "generator.runner", "generator.report", "generator.registry",
                                   "generator.commands"),
}
# the data path of `mkbench build`, in the order a reader follows it: each step imports only steps before it (and
# the shared types), never one after it, so the path reads in one direction
DATA_PATH = ("generator.runner.types", "generator.runner.resolve", "generator.runner.plan", "generator.runner.work",
             "generator.runner.executors", "generator.runner.merge", "generator.runner.orchestrate")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PKG.rglob("*.py")}


def imports(module: str, top_level_only: bool = False) -> set[str]:
    """Absolute names imported by ``module`` (relative imports resolved; ``from a import b`` adds ``a.b`` when that is
    a module of the package)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            out.add(name)
            out |= {f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in MODULES}
    return out


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("package", sorted(RULES))
def test_imports_point_one_way(package):
    bad = sorted(f"{m} imports {i}" for m in MODULES if _within(m, package) for i in imports(m)
                 if any(_within(i, banned) for banned in RULES[package]))
    assert bad == []


def _cycles(top_level_only: bool) -> list[set[str]]:
    graph = {m: {i for i in imports(m, top_level_only) if i in MODULES and i != m} for m in MODULES}
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_a_module_that_imports_it_back():
    """Also through lazy (function-level) imports, anywhere in the package."""
    assert _cycles(top_level_only=True) == []
    assert [sorted(c) for c in _cycles(top_level_only=False)] == []


def test_the_runner_reads_in_the_order_of_the_data_path():
    later = {m: DATA_PATH[i + 1:] for i, m in enumerate(DATA_PATH)}
    back = sorted(f"{m} imports {i}" for m in DATA_PATH for i in imports(m) if i in later[m])
    assert back == []
    assert "generator.runner.suite_run" not in MODULES   # split into resolve / plan / work / merge (issue 12)



def test_the_report_reads_model_info_through_its_typed_fields():
    """No guessing of stored spellings (issue 12): results.schema.ModelInfo names them once."""
    bad = [str(p.relative_to(PKG)) for p in (PKG / "report").rglob("*.py")
           if any(w in p.read_text(encoding="utf-8") for w in ('"n_params"', '"num_params"', '"params_m", "params"'))]
    assert bad == []


def test_the_checker_sees_relative_and_lazy_imports():
    assert "generator.results.metrics" in imports("generator.report.load")
    assert "generator.registry.towers" in imports("generator.method.features")
    assert "generator.registry.paper" in imports("generator.suite")  # a lazy import inside parse_suite
