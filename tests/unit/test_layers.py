"""The layers point down only, read from the imports themselves (ast), so the layout the README
describes stays true: core → imaging → store → runs → statistics/presentation → ui and the CLI, the demo server
beside them."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..helpers import ROOT

PACKAGE = ROOT / "skinapi"
CORE = {
    "backends",
    "errors",
    "names",
    "local_files",
    "concerns",
    "schema",
    "results",
    "scrubbing",
    "replies",
    "recording",
    "transport",
    "parallel",
    "polling",
    "progress",
    "resources",
    "client",
    "roles",
}
TOP = {
    "cli", "cli_batch", "cli_common", "cli_runs", "cli_store", "cli_types", "probe", "bench",
    "bench_batch", "__main__",
}  # fmt: skip
# What each layer may import from the package (besides itself).
BELOW_UI = {"core", "imaging", "store", "runs", "statistics", "presentation"}
MAY_IMPORT = {
    "core": set(),
    "imaging": {"core"},
    "store": {"core"},
    "runs": {"core", "imaging", "store"},
    "statistics": {"core", "store"},
    "presentation": {"core", "imaging", "store", "runs", "statistics"},
    "demo": {"core", "imaging"},
    "ui": BELOW_UI | {"demo"},  # through its one door only (DEMO_DOORS)
    "top": BELOW_UI | {"demo"},  # cli, bench and __main__ may use each other
    "package": {"core"},  # skinapi/__init__.py: the public API is the core
}
DEMO_DOORS = {"skinapi.ui.connection"}
"""The one ui module that starts the demo server; the rest of the ui never knows it exists."""
# Third-party packages a layer may import; the standard library is always allowed.
THIRD_PARTY = {
    "core": {"requests", "urllib3"},
    "imaging": {"PIL", "cv2", "numpy"},
    "store": {"PIL", "psycopg", "psycopg_pool", "boto3", "botocore"},  # the last: lazily
    "runs": {"PIL", "numpy"},
    "statistics": set(),
    "presentation": {"PIL", "numpy", "plotly", "fpdf"},
    "demo": {"PIL", "cv2", "numpy"},
    "ui": {"streamlit", "PIL", "numpy", "cv2", "av", "aioice", "streamlit_webrtc"},
    "top": {"PIL", "numpy"},
    "package": set(),
}
STDLIB = set(sys.stdlib_module_names)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts == ["skinapi"]:
        return "package"
    if parts[1] in CORE:
        return "core"
    if parts[1] in TOP:
        return "top"
    if parts[1] not in MAY_IMPORT:
        raise AssertionError(f"{module} belongs to no layer: add it to CORE, TOP or a subpackage")
    return parts[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the code (lazy imports count too), made
    absolute; `from .x import y` counts as importing `x.y` when y is a module."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                known = (ROOT / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    ROOT / candidate.replace(".", "/") / "__init__.py"
                ).exists()
                found.add(candidate if known else base)
    return found


def package_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        graph[module_name(path)] = {m for m in imports_of(path) if m.startswith("skinapi")}
    return graph


def upward_edges(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in graph.items():
        source = layer_of(module)
        for target in targets:
            if target == "skinapi":
                problems.append(f"{module} imports the package root")
                continue
            destination = layer_of(target)
            if destination != source and destination not in MAY_IMPORT[source]:
                problems.append(f"{module} ({source}) imports {target} ({destination})")
            elif source == "ui" and destination == "demo" and module not in DEMO_DOORS:
                problems.append(f"{module} imports {target}: only {sorted(DEMO_DOORS)} may")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                found.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    return found


def test_imports_inside_the_package_point_down_only():
    assert upward_edges(package_graph()) == []


def test_the_package_has_no_import_cycles():
    assert cycles(package_graph()) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_each_layer_uses_only_its_own_third_party_packages(path):
    allowed = THIRD_PARTY[layer_of(module_name(path))]
    outside = {
        name.split(".")[0]
        for name in imports_of(path)
        if not name.startswith("skinapi") and name.split(".")[0] not in STDLIB
    }
    assert outside <= allowed, f"{module_name(path)} imports {sorted(outside - allowed)}"


def test_pages_and_the_app_stay_thin():
    """Pages call the ui layer (and read the layers below it); they never start the demo server or
    touch HTTP, pixels or OpenCV themselves, and each fits on a screen or two."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        imported = {
            name.split(".")[0] if not name.startswith("skinapi") else name
            for name in imports_of(path)
        }
        assert not {m for m in imported if m.startswith("skinapi.demo")}, path.name
        assert not imported & {"requests", "cv2", "numpy", "PIL", "plotly"}, path.name
        assert len(path.read_text().splitlines()) <= 150, path.name


MAX_CLASS_LINES = 250
"""A class past this has two jobs; it is split by responsibility, not squeezed."""
MAX_FMT_SKIPS = 10
"""Each on a table aligned on purpose; code is never squeezed onto long lines to look short."""


PRODUCT = [*sorted(PACKAGE.rglob("*.py")), ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def test_no_class_is_over_250_lines():
    long = {
        f"{module_name(p)}.{node.name}": node.end_lineno - node.lineno + 1
        for p in PRODUCT
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES
    }
    assert long == {}


def test_formatting_is_switched_off_only_for_a_few_aligned_tables():
    skips = [
        f"{p.relative_to(ROOT)}:{number}"
        for p in PRODUCT
        for number, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"#\s*fmt:\s*(skip|off)", line)
    ]
    assert len(skips) <= MAX_FMT_SKIPS, skips


@pytest.mark.parametrize("module", ["skinapi", "skinapi.client", "skinapi.store"])
def test_the_core_loads_without_streamlit_or_opencv(module):
    """Nor the shared store's drivers, until SKINSCOPE_DATABASE_URL or _FILES_URL asks."""
    heavy = ("streamlit", "cv2", "numpy", "PIL", "psycopg", "psycopg_pool", "boto3")
    probe = f"import sys, {module}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_checker_sees_an_upward_edge_and_a_cycle():
    """The checks above can fail: an imaging module that imports the run store, and two core
    modules that import each other, are both caught."""
    graph = package_graph()
    graph["skinapi.imaging.overlay"] = graph["skinapi.imaging.overlay"] | {"skinapi.store.sqlite"}
    assert upward_edges(graph) == [
        "skinapi.imaging.overlay (imaging) imports skinapi.store.sqlite (store)"
    ]
    graph["skinapi.ui.results_view"] = graph["skinapi.ui.results_view"] | {"skinapi.demo.engine"}
    assert upward_edges(graph)[1:] == [
        "skinapi.ui.results_view imports skinapi.demo.engine: only ['skinapi.ui.connection'] may"
    ]
    graph["skinapi.errors"] = {"skinapi.client"}
    found = cycles(graph)
    assert found and all(c[0] == c[-1] for c in found)
    assert any({"skinapi.errors", "skinapi.client"} <= set(c) for c in found)


def test_the_product_never_imports_or_runs_the_tests():
    """Benchmarks that need the test tools live with the tests (`python -m tests.app_bench`)."""
    for path in PRODUCT:
        imported = {name for name in imports_of(path) if name.split(".")[0] == "tests"}
        assert not imported, f"{module_name(path)} imports {sorted(imported)}"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not re.match(r"tests[./]", node.value), f"{module_name(path)}: {node.value}"
