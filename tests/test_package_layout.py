"""The package's shape (issue 15): imports go one way, down the layers, and modules stay short."""

import ast
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

import resnet_study

PACKAGE = Path(resnet_study.__file__).parent
# Lower layers first; a module may import only from its own layer or the ones before it.
LAYERS = [{"errors", "io", "paper"}, {"models"}, {"data"}, {"config", "presets"}, {"training"},
          {"sweep", "bench", "estimate", "reports", "analyses"}, {"cli"}]


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else module
    layer = next((i for i, names in enumerate(LAYERS) if top in names), None)
    assert layer is not None, f"{module} is in no layer; add it to a folder of the layer it belongs to"
    return layer


def _is_module(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split(".")[1:])
    return path.is_dir() or path.with_suffix(".py").is_file()


def imports(path: Path) -> set[str]:
    """``resnet_study.x.y`` names that ``path`` imports, relative imports resolved."""
    module = "resnet_study." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    package = package.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
                targets = [name] if node.module else [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base
                                                      for a in node.names]
            else:
                targets = [node.module or ""]
            found.update(t for t in targets if t.startswith("resnet_study"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("resnet_study"))
    return found


def modules() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = "resnet_study." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        graph[name.removesuffix(".__init__")] = imports(path)
    return graph


def test_no_import_circle_between_packages():
    graph = {}
    for module, targets in modules().items():
        top = module.split(".")[1] if module.count(".") else "resnet_study"
        graph.setdefault(top, set()).update(t.split(".")[1] for t in targets if t.count(".") and
                                            t.split(".")[1] != top)

    def reach(start, seen):
        for nxt in graph.get(start, ()):
            if nxt not in seen:
                seen.add(nxt)
                reach(nxt, seen)
        return seen

    circles = sorted(top for top in graph if top in reach(top, set()))
    assert not circles, f"import circles through {circles}"


def test_imports_only_go_down_the_layers():
    upward = []
    for module, targets in modules().items():
        if module == "resnet_study":
            continue
        for target in targets:
            if target != "resnet_study" and _layer(target) > _layer(module):
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_the_model_library_imports_nothing_above_it():
    above = [f"{m} -> {t}" for m, targets in modules().items() if m.startswith("resnet_study.models")
             for t in targets if not t.startswith(("resnet_study.models", "resnet_study.errors", "resnet_study.io",
                                                   "resnet_study.paper"))]
    assert not above, above


def test_no_module_is_longer_than_250_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 250}
    assert not long, long


def test_the_test_walks_real_imports():
    # The walk must see what the files import, or the checks above could not fail.
    graph = modules()
    assert "resnet_study.training.runfolder" in graph["resnet_study.training.loop"]
    assert "resnet_study.config" in graph["resnet_study.training.device"]
    assert _layer("resnet_study.cli.sweep") > _layer("resnet_study.sweep.spec") > _layer("resnet_study.config")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle of ``graph`` (module -> modules), as the modules on it (Tarjan's components)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _folder(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_no_import_circle_inside_a_folder():
    # Imports inside functions count too: a circle that only a deferred import hides is still one.
    graph = {m: {t for t in targets if t != m and _folder(t) == _folder(m) and _folder(m)}
             for m, targets in modules().items()}
    assert not _cycles(graph), _cycles(graph)


def test_the_circle_finder_finds_circles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


LINE_LIMIT = 120  # [tool.ruff] line-length in pyproject.toml


def display_width(line: str) -> int:
    """Columns ``line`` takes in a terminal: wide characters (Hangul, CJK) count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def test_no_line_is_longer_than_the_limit():
    root = PACKAGE.parent
    long = [f"{p.relative_to(root)}:{i}" for folder in ("resnet_study", "scripts", "tests")
            for p in sorted((root / folder).rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if display_width(line) > LINE_LIMIT]
    assert not long, long
    assert display_width("한글") == 4


def test_the_limit_is_the_configured_one():
    settings = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    assert settings["tool"]["ruff"]["line-length"] == LINE_LIMIT


def test_importing_a_module_changes_no_global_setting():
    # Plotting styles and matplotlib's backend are set where figures are drawn, not at import.
    script = ("import importlib, pkgutil, matplotlib, resnet_study\n"
              "before = dict(matplotlib.rcParams)\n"
              "for m in pkgutil.walk_packages(resnet_study.__path__, 'resnet_study.'):\n"
              "    if not m.name.endswith('__main__'):\n"
              "        importlib.import_module(m.name)\n"
              "changed = sorted(k for k, v in matplotlib.rcParams.items() if before[k] != v)\n"
              "assert not changed, changed\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(PACKAGE.parent), "MPLBACKEND": "agg"})
    assert result.returncode == 0, result.stderr[-2000:]
