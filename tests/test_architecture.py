"""The layout shows the pipeline: ``sim/`` is one package per family, each importing only the families before it,
with no import circle and no import hidden inside a function to dodge one (``docs/architecture.md``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
FAMILIES = ["scenario", "engine", "runs", "text", "studies", "testing"]
"""The families in pipeline order: each may import only itself and the ones before it."""
DEFERRED = {"sim.testing.pytest_plugin"}
"""Modules allowed to import docket inside functions, for start-up time (each says so in its docstring)."""


def module_name(path: Path) -> str:
    """``sim/runs/results.py`` -> ``sim.runs.results``."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def all_imports(path: Path) -> list[tuple[str, int, bool]]:
    """Every absolute import in a file: (module imported, line, inside a function?); ``from sim import x``
    names ``sim.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, inner: bool) -> None:
        for child in ast.iter_child_nodes(node):
            deeper = inner or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.extend((f"{child.module}.{a.name}" if child.module == "sim" else child.module, child.lineno,
                              inner) for a in child.names)
            elif isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, inner) for a in child.names)
            visit(child, deeper)

    visit(tree, False)
    return found


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """The docket imports of a file (sim, plots, cli, cli_kit)."""
    ours = ("sim", "plots", "cli", "cli_kit")
    return [(m, line, inner) for m, line, inner in all_imports(path) if m.split(".")[0] in ours]


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def family(module: str) -> str | None:
    """The family of ``sim.FAMILY.x``, or ``None`` for ``sim`` itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FAMILIES else None


def target(imported: str) -> str:
    """The module an import names: ``sim.runs.results`` for ``from sim.runs.results import Results``, and for
    ``from sim import __version__`` the package ``sim``."""
    while imported not in MODULES and "." in imported:
        imported = imported.rsplit(".", 1)[0]
    return imported


def test_sim_holds_only_the_family_packages() -> None:
    """`ls sim/` tells the pipeline: the families, the package's __init__, its type marker and templates."""
    entries = {p.name for p in SIM.iterdir() if p.name != "__pycache__"}
    assert entries == {*FAMILIES, "__init__.py", "py.typed", "templates"}
    for fam in FAMILIES:
        doc = ast.get_docstring(ast.parse((SIM / fam / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"sim/{fam}/__init__.py says what the family is"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module: str) -> None:
    """No module imports plots or cli, nor a family later than its own."""
    own = family(module)
    for imported, line, _ in imports(MODULES[module]):
        assert imported.split(".")[0] == "sim", f"{module}:{line} imports {imported}: sim never imports plots/cli"
        other = family(target(imported))
        if own is not None and other is not None:
            assert FAMILIES.index(other) <= FAMILIES.index(own), \
                f"{module}:{line} imports {imported}, a later family than {own}"


def test_no_import_inside_a_function() -> None:
    """Imports are at the top of each module (so the graph below is the whole graph), except the modules that
    defer them for start-up time."""
    hidden = [f"{m}:{line} imports {i}" for m, p in MODULES.items() if m not in DEFERRED
              for i, line, inner in imports(p) if inner]
    assert not hidden


def test_no_import_circle() -> None:
    """The graph of imports between sim's modules (all of them, inner ones included) has no cycle."""
    graph = {m: {target(i) for i, _, _ in imports(p)} - {m} for m, p in MODULES.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if n == "sim":
                continue  # the root package only holds __version__ and the lazy public API
            assert state.get(n) != 1, "import circle: " + " -> ".join([*path[path.index(n):], n])
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_checker_sees_a_backward_import(tmp_path: Path) -> None:
    """The import reader finds an import inside a function and reports the module it names."""
    path = tmp_path / "m.py"
    path.write_text("from sim.scenario.errors import DocketError\n\ndef f():\n    from sim.runs.results import "
                    "Results\n", encoding="utf-8")
    assert imports(path) == [("sim.scenario.errors", 1, False), ("sim.runs.results", 4, True)]
    assert family(target("sim.runs.results")) == "runs"


def test_engine_has_no_pandas_and_the_language_loads_light() -> None:
    """The engine works on arrays (no pandas); the scenario family imports no numpy, pandas or simpy at module
    level, so `docket validate` starts fast."""
    for module, path in MODULES.items():
        for imported, line, inner in all_imports(path):
            package = imported.split(".")[0]
            if family(module) == "engine":
                assert package != "pandas", f"{module}:{line} imports pandas"
            if family(module) == "scenario" and not inner:
                assert package not in ("numpy", "pandas", "simpy"), f"{module}:{line} imports {package}"


def test_files_stay_small() -> None:
    """No module under sim/ or plots/ is over 400 lines, and the command layer (cli.py) is under 350."""
    root = SIM.parent
    big = {str(p.relative_to(root)): n for p in [*SIM.rglob("*.py"), *(root / "plots").glob("*.py")]
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert big == {}, f"files over 400 lines: {big}"
    lines = len((root / "cli.py").read_text(encoding="utf-8").splitlines())
    assert lines < 350, f"cli.py has {lines} lines; put logic in the library and shared options in cli_kit.py"
