"""The intake package's shape: its modules import each other in one direction only (no
circle, and no import hidden inside a function to dodge one), and its pure modules do no
I/O."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.core.test_purity import find_io

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dispatch_center" / "intake"
PURE = ("events.py", "conditions.py", "flood.py")


def _imports(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """The intake modules ``path`` imports, and its imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found: set[str] = set()
    nested: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        if id(node) not in top and any(n.startswith("dispatch_center") for n in names):
            nested.append((node.lineno, names[0]))
        for name in names:
            if name.startswith("dispatch_center.intake."):
                found.add(name.removeprefix("dispatch_center.intake.").split(".")[0])
    return found, nested


def test_intake_modules_import_in_one_direction() -> None:
    graph = {}
    for path in PACKAGE.glob("*.py"):
        found, nested = _imports(path)
        assert nested == [], f"{path.name} imports inside a function: {nested}"
        graph[path.stem] = found - {path.stem}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"import circle in dispatch_center/intake: {exc.args[1]}")
    assert order.index("ingest") < order.index("runtime")


@pytest.mark.parametrize("name", PURE)
def test_pure_intake_modules_do_no_io(name: str) -> None:
    path = PACKAGE / name
    assert find_io(path.read_text(encoding="utf-8"), str(path)) == []
