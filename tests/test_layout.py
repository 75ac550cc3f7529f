"""The house keeps its shape: data flows one way, each layer imports only what ARCHITECTURE.md allows,
and no module or function grows past the sizes a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "optimizer"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80  # body, docstring left out

SEES_ONLY_AN_LP = (
    "optimizer.scenario",
    "optimizer.model",
    "optimizer.reach",
    "optimizer.walk",
    "optimizer.solve",
    "optimizer.result",
)

# Layer rules: what each part of the package must not import (module-level or inside functions).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # foundations: data and helpers every layer may use
    "optimizer.errors": ("optimizer.",),
    "optimizer.catalog": ("optimizer.",),
    "optimizer.coords": ("optimizer.",),
    "optimizer.groups": ("optimizer.",),
    "optimizer.exclusions": ("optimizer.",),
    "optimizer.deadline": ("optimizer.",),
    "optimizer.outcome": ("optimizer.",),
    "optimizer.lp": ("optimizer.",),
    "optimizer.executor": ("optimizer.",),
    "optimizer.fonts": ("optimizer.",),
    "optimizer.schema": ("optimizer.scenario", "optimizer.model", "optimizer.solve", "optimizer.result"),
    "optimizer.config": ("optimizer.scenario", "optimizer.model", "optimizer.solve", "optimizer.result"),
    # solvers know linear programs, not scenarios; regions are cut from a linear program alike
    "optimizer.backends": SEES_ONLY_AN_LP,
    "optimizer.decompose": SEES_ONLY_AN_LP,
    # walk times know points and networks, not scenarios or policy
    "optimizer.walk": ("optimizer.scenario", "optimizer.reach", "optimizer.model", "optimizer.solve"),
    "optimizer.scenario": ("optimizer.reach", "optimizer.model", "optimizer.solve", "optimizer.result"),
    "optimizer.reach": ("optimizer.model", "optimizer.solve", "optimizer.result"),
    "optimizer.model": ("optimizer.solve", "optimizer.result", "optimizer.heuristic", "optimizer.backends"),
    # results know nothing of the layers that read them: those plug in (optimizer/result/plugins.py)
    "optimizer.result": (
        "optimizer.solve",
        "optimizer.heuristic",
        "optimizer.backends",
        "optimizer.explain",
        "optimizer.report",
        "optimizer.study",
    ),
    # many runs side by side: above solve and result, beside the planners' reports
    "optimizer.study": ("optimizer.backends", "optimizer.report", "optimizer.explain"),
    # the verification recomputes everything without the model code
    "optimizer.verify": (
        "optimizer.model.build",
        "optimizer.model.families",
        "optimizer.model.pairs",
        "optimizer.reach",
        "optimizer.solve",
        "optimizer.result",
        "optimizer.heuristic",
        "optimizer.diagnose",
    ),
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), p))
    return out


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return found


@pytest.mark.parametrize("name,path", _modules(), ids=[m for m, _ in _modules()])
def test_layer_imports_only_what_it_may(name, path) -> None:
    imported = _imports(name, path)
    for layer, banned in FORBIDDEN.items():
        if not (name == layer or name.startswith(layer + ".")):
            continue
        bad = sorted({i for i in imported for b in banned if _within(i, b) and not _within(i, layer)})
        assert not bad, f"{name} (layer {layer}) imports {bad}: see ARCHITECTURE.md"


def _within(module: str, prefix: str) -> bool:
    """Whether ``module`` is ``prefix`` or inside it (a prefix ending in '.' means anything under it)."""
    if prefix.endswith("."):
        return module.startswith(prefix)
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("name,path", _modules(), ids=[m for m, _ in _modules()])
def test_modules_and_functions_stay_readable(name, path) -> None:
    text = path.read_text(encoding="utf-8")
    n = len(text.splitlines())
    assert n <= MAX_MODULE_LINES, f"{path} has {n} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if not body:
                continue
            length = (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path}:{node.lineno} {node.name} has a {length}-line body"
