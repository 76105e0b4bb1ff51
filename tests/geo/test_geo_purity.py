"""geo/ is pure domain: no I/O libraries, no file access, no web or database imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[2] / "geo"
FORBIDDEN_MODULES = {
    "fastapi",
    "psycopg",
    "redis",
    "httpx",
    "requests",
    "sqlite3",
    "urllib",
    "socket",
    "pathlib",
    "io",
    "csv",
    "json",
    "dispatch_center",
}
FORBIDDEN_CALLS = {"open"}


@pytest.mark.parametrize("path", sorted(GEO.glob("*.py")), ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}()"
            continue
        else:
            continue
        for n in names:
            assert n.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {n}"


def test_there_are_modules_to_check() -> None:
    assert len(list(GEO.glob("*.py"))) >= 9
