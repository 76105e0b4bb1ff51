"""The pure domain packages (geo/, modes/, dispatch_center/core/) must do no I/O.

The check reads each module's syntax tree: it flags imports of web, database, cache and
network libraries, and calls that open files. It cannot see everything (a library that does
I/O internally, say), but it stops the easy slips that turn a pure module into an adapter.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("geo", "modes", "dispatch_center/core")

FORBIDDEN_MODULES = frozenset(
    {
        "fastapi",
        "starlette",
        "psycopg",
        "psycopg_pool",
        "redis",
        "httpx",
        "requests",
        "sqlalchemy",
        "socket",
        "urllib.request",
    }
)
# open() under any of its usual names; Path.read_text and friends are open() in disguise.
OPENING_FUNCTIONS = frozenset({"open"})
OPENING_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes"})
DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _forbidden(module: str) -> str | None:
    for name in FORBIDDEN_MODULES:
        if module == name or module.startswith(name + "."):
            return name
    return None


def find_io(source: str, path: str = "<string>") -> list[Finding]:
    """Return every forbidden import or file-opening call in ``source``."""
    findings: list[Finding] = []

    def flag(node: ast.AST, what: str) -> None:
        findings.append(Finding(path, getattr(node, "lineno", 0), what))

    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if hit := _forbidden(alias.name):
                    flag(node, f"imports {hit}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from urllib import request` imports urllib.request too.
            candidates = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for hit in sorted({h for c in candidates if (h := _forbidden(c))}):
                flag(node, f"imports {hit}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in OPENING_FUNCTIONS:
                flag(node, f"calls {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr in OPENING_METHODS:
                flag(node, f"calls .{func.attr}()")
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in DYNAMIC_IMPORTERS and node.args:
                first = node.args[0]
                literal = first.value if isinstance(first, ast.Constant) else None
                if isinstance(literal, str) and (hit := _forbidden(literal)):
                    flag(node, f"imports {hit} dynamically")
    return findings


def pure_modules() -> list[Path]:
    return sorted(
        path
        for package in PURE_PACKAGES
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
    )


def test_there_is_something_to_check() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in pure_modules()}
    assert "dispatch_center/core/lifecycle.py" in names
    assert "dispatch_center/core/deadlines.py" in names


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pure_module_does_no_io(path: Path) -> None:
    findings = find_io(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import psycopg\n", "imports psycopg"),
        ("import psycopg.rows as rows\n", "imports psycopg"),
        ("from psycopg_pool import ConnectionPool\n", "imports psycopg_pool"),
        ("from fastapi import APIRouter\n", "imports fastapi"),
        ("from starlette.requests import Request\n", "imports starlette"),
        ("import redis.asyncio\n", "imports redis"),
        ("import httpx\n", "imports httpx"),
        ("import requests\n", "imports requests"),
        ("from sqlalchemy import select\n", "imports sqlalchemy"),
        ("import socket\n", "imports socket"),
        ("import urllib.request\n", "imports urllib.request"),
        ("from urllib import request\n", "imports urllib.request"),
        ("from urllib.request import urlopen\n", "imports urllib.request"),
        ("def f():\n    import redis\n", "imports redis"),
        ("with open('x.json') as f:\n    pass\n", "calls open()"),
        ("import io\nio.open('x')\n", "calls .open()"),
        ("from pathlib import Path\nPath('x').read_text()\n", "calls .read_text()"),
        ("import importlib\nimportlib.import_module('psycopg')\n", "imports psycopg dynamically"),
    ],
)
def test_detects_violations(source: str, what: str) -> None:
    findings = find_io(source)
    assert [f.what for f in findings] == [what]


@pytest.mark.parametrize(
    "source",
    [
        "import urllib.parse\n",
        "from urllib.parse import quote\n",
        "import requests_toolbelt_free_name_lookalike\n",
        "from .lifecycle import Status\n",
        "from dispatch_center.core.lifecycle import is_open\nis_open(s)\n",
        "import redistribute\n",
        "opened = True\n",
    ],
)
def test_allows_harmless_code(source: str) -> None:
    assert find_io(source) == []


def test_reports_the_line() -> None:
    source = "from datetime import date\n\n\nimport psycopg\n"
    assert find_io(source, "geo/x.py") == [Finding("geo/x.py", 4, "imports psycopg")]
