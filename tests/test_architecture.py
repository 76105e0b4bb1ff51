"""The shape of the code: which package may import which, no import circles, small modules.

Read from the syntax tree of every module of the product (``dispatch_center``, ``feeds``,
``geo``, ``modes``, ``wallboard``), imports inside functions included: an import moved into
a function to dodge a circle is still a dependency. The rules are the table
:data:`MAY_IMPORT`; each package's ``__init__`` docstring says the same in words.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dispatch_center", "feeds", "geo", "modes", "wallboard")
MAX_LINES = 600

# The layers, bottom up. A module of the part on the left may import the parts on the
# right (and its own part). Parts are dotted prefixes; the longest matching prefix names a
# module's part. The pure domain (geo, modes, feeds, core) imports no adapter; the store
# and the bus import no service; Center holds state and imports no service package; a
# service package imports only what is below it; the HTTP layer, the wall, the demo, the
# app factory and the CLI sit on top.
PURE = ("geo", "modes", "feeds", "dispatch_center.core")
KERNEL = (
    *PURE,
    "dispatch_center.settings",
    "dispatch_center.errors",
    "dispatch_center.store",
    "dispatch_center.bus",
    "dispatch_center.geography.bundled",
    "dispatch_center.geography.model",
    "dispatch_center.center",
    "dispatch_center.background",
    "dispatch_center.models",
)
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "geo": (),
    # The mode policies speak in the core's terms (roles, time limits, the calendar).
    "modes": ("geo", "dispatch_center.core"),
    "feeds": ("geo",),
    "dispatch_center.core": ("geo", "modes"),
    # Settings refuse a weak signing key with the pure rule of core.credentials.
    "dispatch_center.settings": ("dispatch_center.core",),
    "dispatch_center.errors": (),
    "dispatch_center.models": ("dispatch_center.core", "geo"),
    "dispatch_center.store": ("dispatch_center.core", "dispatch_center.settings", "geo"),
    "dispatch_center.bus": ("dispatch_center.errors",),
    "dispatch_center.geography.bundled": ("geo",),
    "dispatch_center.geography.model": ("geo", "dispatch_center.geography.bundled"),
    "dispatch_center.background": (),
    "dispatch_center.center": (
        "dispatch_center.core",
        "dispatch_center.errors",
        "dispatch_center.settings",
        "dispatch_center.store",
        "dispatch_center.bus",
        "dispatch_center.geography.model",
        "modes",
    ),
    "dispatch_center.health": ("dispatch_center.center",),
    "dispatch_center.accounts": KERNEL,
    "dispatch_center.reference": (*KERNEL, "dispatch_center.accounts"),
    "dispatch_center.messaging": (*KERNEL, "dispatch_center.accounts"),
    "dispatch_center.geography": (*KERNEL, "dispatch_center.accounts"),
    "dispatch_center.modeswitch": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
    ),
    "dispatch_center.orders": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.modeswitch",
    ),
    "dispatch_center.supervision": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.modeswitch",
        "dispatch_center.orders",
        "dispatch_center.messaging",
    ),
    "dispatch_center.command": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.modeswitch",
        "dispatch_center.orders",
        "dispatch_center.messaging",
    ),
    "dispatch_center.intake": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.modeswitch",
        "dispatch_center.orders",
        "dispatch_center.messaging",
        # The rescue teams' position reports are tracked (arrivals, warning areas).
        "dispatch_center.command",
    ),
    # The citizen's side of the loop: replies to the survey, the callback desk, the
    # public status lookup (issue 21).
    "dispatch_center.citizen": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.modeswitch",
        "dispatch_center.orders",
        "dispatch_center.messaging",
        "dispatch_center.supervision",
    ),
    "dispatch_center.reporting": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
    ),
    "dispatch_center.desk": (
        *KERNEL,
        "dispatch_center.accounts",
        "dispatch_center.reference",
        "dispatch_center.orders",
        "dispatch_center.reporting",
    ),
    "dispatch_center.knowledge": (*KERNEL, "dispatch_center.accounts"),
}
SERVICES = (
    *KERNEL,
    "dispatch_center.health",
    "dispatch_center.accounts",
    "dispatch_center.reference",
    "dispatch_center.messaging",
    "dispatch_center.geography",
    "dispatch_center.modeswitch",
    "dispatch_center.orders",
    "dispatch_center.supervision",
    "dispatch_center.command",
    "dispatch_center.intake",
    "dispatch_center.reporting",
    "dispatch_center.desk",
    "dispatch_center.knowledge",
    "dispatch_center.citizen",
)
MAY_IMPORT.update(
    {
        "dispatch_center.demo": SERVICES,
        "dispatch_center.api": SERVICES,
        "wallboard": (*SERVICES, "dispatch_center.api"),
        "dispatch_center.app": (
            *SERVICES,
            "dispatch_center.api",
            "wallboard",
            "dispatch_center.demo",
        ),
        "dispatch_center.asgi": ("dispatch_center.app", "dispatch_center.settings"),
        "dispatch_center.cli": (
            *SERVICES,
            "dispatch_center.api",
            "dispatch_center.app",
            "dispatch_center.demo",
        ),
        "dispatch_center": (),  # the package itself: nothing
    }
)

# Imports inside a function, allowed only where the reason is one of these: the module is
# optional or heavy and most processes never need it. Anything else belongs at the top.
LAZY_ALLOWED: dict[tuple[str, str], str] = {
    ("dispatch_center.app", "dispatch_center.demo"): "the demo loads only in demo mode",
    # `dispatch-center --help` and each subcommand load only what that command runs.
    ("dispatch_center.cli", "dispatch_center"): "each subcommand loads what it runs",
    ("dispatch_center.cli", "modes"): "each subcommand loads what it runs",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The first-party module ``name`` refers to (a module, or the package it is in)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _edges(module: str, path: Path) -> Iterator[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, lazy: bool) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = _resolve(alias.name)
                    if target:
                        yield Edge(module, target, child.lineno, lazy)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module.split(".")
                    if not is_package:
                        anchor = anchor[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in child.names:
                    target = _resolve(f"{base}.{alias.name}") or _resolve(base)
                    if target:
                        yield Edge(module, target, child.lineno, lazy)
            yield from visit(child, inner)

    yield from visit(tree, False)


EDGES = [e for m, p in sorted(MODULES.items()) for e in _edges(m, p) if e.target != e.source]


def part_of(module: str) -> str:
    """The part of :data:`MAY_IMPORT` a module belongs to (longest prefix)."""
    best = ""
    for part in MAY_IMPORT:
        if (module == part or module.startswith(part + ".")) and len(part) > len(best):
            best = part
    return best


def _within(target: str, parts: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in parts)


def test_every_module_belongs_to_a_part() -> None:
    orphans = sorted(m for m in MODULES if not part_of(m))
    assert not orphans, f"modules in no part of MAY_IMPORT: {orphans}"


def test_imports_follow_the_layers() -> None:
    wrong = []
    for e in EDGES:
        src, dst = part_of(e.source), part_of(e.target)
        if src == dst or _within(e.target, MAY_IMPORT[src]):
            continue
        wrong.append(f"{e.source}:{e.line} imports {e.target} ({src} may not import {dst})")
    assert not wrong, "\n".join(wrong)


def test_no_import_hidden_in_a_function() -> None:
    hidden = [
        f"{e.source}:{e.line} imports {e.target} inside a function"
        for e in EDGES
        if e.lazy
        and not any(
            (e.source == s or e.source.startswith(s + ".")) and _within(e.target, (t,))
            for s, t in LAZY_ALLOWED
        )
    ]
    assert not hidden, "\n".join(hidden)


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strong(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_import_circles_between_modules() -> None:
    # A package's __init__ that re-exports its own modules is not a circle of design.
    edges = [
        e
        for e in EDGES
        if not (e.target.startswith(e.source + ".") or e.source.startswith(e.target + "."))
    ]
    cycles = _cycles(edges)
    assert not cycles, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    a_b = [Edge("a", "b", 1, False), Edge("b", "c", 1, False), Edge("c", "a", 1, True)]
    assert _cycles(a_b) == [["a", "b", "c"]]
    assert _cycles(a_b[:2]) == []


def test_the_layer_check_sees_a_wrong_import() -> None:
    assert part_of("dispatch_center.store.orders") == "dispatch_center.store"
    assert part_of("dispatch_center.geography.model") == "dispatch_center.geography.model"
    assert not _within("dispatch_center.intake.ingest", MAY_IMPORT["dispatch_center.store"])


@pytest.mark.parametrize(
    "module",
    sorted(m for m in MODULES if m.split(".")[0] in PACKAGES),
)
def test_production_modules_are_small(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it"


def test_advisory_lock_keys_live_in_one_registry() -> None:
    # Two features on one key wait for each other (a mode switch behind the daily report):
    # every key is declared in store/locks.py, whose enum refuses duplicates.
    from dispatch_center.store.locks import AdvisoryLock

    keys = {str(int(k)) for k in AdvisoryLock}
    stray = []
    for module, path in MODULES.items():
        if module == "dispatch_center.store.locks":
            continue
        text = path.read_text(encoding="utf-8").replace("_", "")
        stray += [f"{module}: {k}" for k in keys if k in text]
    assert not stray, f"advisory lock keys written outside store/locks.py: {stray}"
