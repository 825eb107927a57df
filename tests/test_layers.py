"""The package's import graph: layers point down only, and no module imports one that imports it
back. Read from the source (every import statement, also those inside functions), so a lazy
import cannot hide an upward dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "treeboost"

# Bottom to top; a module may import its own layer and the layers below it.
LAYERS = [
    {"kernels"},
    {"data", "objectives", "metrics"},
    {"tree"},
    {"model", "interop"},
    {"training", "online", "boost"},
    {"sklearn"},
    {"explain", "uncertainty", "tune", "plotting", "timeseries", "dask"},
    {"report"},
    {"cli"},
]
# The package root (treeboost/__init__.py, __main__.py) sits above every layer.
TOP = len(LAYERS)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """Modules of the package that ``module`` imports."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from package import submodule`` depends on the submodule, not on the package's
            # own code; ``from module import name`` on the module.
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in submodules if name in MODULES]
            candidates = submodules or [target]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in candidates if name in MODULES)
    found.discard(module)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return TOP
    for level, names in enumerate(LAYERS):
        if parts[1] in names:
            return level
    raise AssertionError(
        f"{module} is in no layer: add its folder to LAYERS here and to docs/architecture.md"
    )


def _closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _circles() -> list[list[str]]:
    """Strongly connected sets of modules (Tarjan). A package importing its own submodules to
    re-export their names is not a circle of files, so those edges are left out, as are sets
    that pass through a package __init__ and only one other module."""
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in GRAPH.items()}
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
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
            files = [m for m in component if MODULES[m].name != "__init__.py"]
            if len(files) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_folder_at_the_package_root_is_a_layer():
    for module in MODULES:
        _layer(module)
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert loose == [], f"modules loose at the package root: {loose}"


def test_architecture_notes_name_every_folder():
    notes = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    folders = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    missing = [f for f in folders if f"`{f}/`" not in notes]
    assert missing == [], f"docs/architecture.md does not describe {missing}"
    assert len(notes.splitlines()) < 200


def test_no_import_circles():
    assert _circles() == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    upward = sorted(dep for dep in GRAPH[module] if _layer(dep) > _layer(module))
    assert upward == [], f"{module} (layer {_layer(module)}) imports a layer above it: {upward}"


def test_the_ground_floor_imports_only_itself():
    for module in MODULES:
        if module.startswith("treeboost.kernels"):
            assert all(dep.startswith("treeboost.kernels") for dep in GRAPH[module]), module


def test_reading_model_files_needs_neither_booster_nor_training():
    deps = _closure("treeboost.model.model_file")
    assert "treeboost.model.booster" not in deps
    assert not any(dep.startswith("treeboost.training") for dep in deps)


def test_treeshap_walks_the_forest_with_kernels_only():
    deps = _closure("treeboost.model.treeshap")
    assert deps and all(dep.startswith("treeboost.kernels") for dep in deps)


def test_the_checks_see_a_planted_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The graph reader is not vacuous: an upward lazy import and a circle are found."""
    planted = {
        "treeboost.kernels.fake_a": "def f():\n    from ..model import booster\n",
        "treeboost.model.fake_b": "from . import fake_c\n",
        "treeboost.model.fake_c": "from .fake_b import x\n",
    }
    modules = dict(MODULES)
    for name, text in planted.items():
        path = tmp_path / (name.rsplit(".", 1)[1] + ".py")
        path.write_text(text)
        modules[name] = path
    monkeypatch.setattr(__import__(__name__), "MODULES", modules)
    graph = {m: _imports(m, p) for m, p in modules.items()}
    monkeypatch.setattr(__import__(__name__), "GRAPH", graph)
    assert "treeboost.model.booster" in graph["treeboost.kernels.fake_a"]
    assert _layer("treeboost.model.booster") > _layer("treeboost.kernels.fake_a")
    assert ["treeboost.model.fake_b", "treeboost.model.fake_c"] in _circles()


def test_public_module_names_keep_working():
    """``tb.calibration``, ``tb.conformal`` and ``tb.model_selection`` are names, not folders:
    imported either way they are the very modules in uncertainty/ that hold the code."""
    import importlib

    import treeboost as tb
    from treeboost.uncertainty import calibration, conformal, cross_val

    assert importlib.import_module("treeboost.calibration") is calibration is tb.calibration
    assert importlib.import_module("treeboost.conformal") is conformal is tb.conformal
    assert importlib.import_module("treeboost.model_selection") is cross_val
    assert tb.model_selection is cross_val
    # The shared module keeps its own identity.
    assert calibration.__spec__.name == "treeboost.uncertainty.calibration"
    from treeboost.conformal import ConformalClassifier, ConformalRegressor  # noqa: F401
    from treeboost.model_selection import oof_predict  # noqa: F401

    from treeboost.sklearn import TreeBoostClassifier

    assert tb.TreeBoostClassifier is TreeBoostClassifier
    with pytest.raises(AttributeError, match="no attribute 'engine'"):
        tb.engine  # noqa: B018
