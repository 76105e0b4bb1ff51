"""The supervision package imports what its ``__init__`` docstring says, and nothing else.

Read from the source (no import runs): which sibling each module may use, which outside
packages the package may use, that nothing imports another module's private names, and
that only the package reads the supervision store.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dispatch_center

ROOT = Path(dispatch_center.__file__).parent
PACKAGE = ROOT / "supervision"
STORE = ROOT / "store" / "supervision"
MODULES = sorted(PACKAGE.glob("*.py")) + sorted(STORE.glob("*.py"))

# Every module may import common; these may import the siblings named, no other does.
SIBLINGS = {
    "ladder": {"orders"},
    "console": {"orders"},
    "sessions": {"ladder"},
    "webhook": {"sessions"},
    "invitations": {"sessions"},
}
OUTSIDE = {
    "core",
    "store",
    "center",
    "background",
    "errors",
    "models",
    "accounts",
    "orders",
    "messaging",
}


def _imports(path: Path) -> list[tuple[ast.ImportFrom | ast.Import, bool]]:
    """Every import in ``path`` with whether it sits at the module's top level."""
    tree = ast.parse(path.read_text("utf-8"))
    top = {id(n) for n in tree.body}
    return [(n, id(n) in top) for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def _dispatch_targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.module and node.level == 0 else []
    return [a.name for a in node.names]


def test_modules_import_common_and_the_siblings_allowed() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        name = path.stem
        for node, at_top in _imports(path):
            for target in _dispatch_targets(node):
                if not target.startswith("dispatch_center."):
                    continue
                assert at_top, f"{name}: import of {target} inside a function"
                part = target.split(".")[1]
                if part == "supervision":
                    sibling = target.split(".")[2] if target.count(".") > 1 else ""
                    if not sibling and isinstance(node, ast.ImportFrom):
                        siblings = {a.name for a in node.names}
                    else:
                        siblings = {sibling}
                    allowed = {"common"} | SIBLINGS.get(name, set())
                    assert siblings <= allowed, f"{name} imports {siblings - allowed}"
                else:
                    assert part in OUTSIDE, f"{name} imports dispatch_center.{part}"


def test_no_private_names_cross_modules() -> None:
    for path in MODULES:
        for node, _ in _imports(path):
            if isinstance(node, ast.ImportFrom) and node.module and "supervision" in node.module:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"


def test_only_the_package_reads_the_supervision_store() -> None:
    for path in sorted(ROOT.rglob("*.py")):
        if PACKAGE in path.parents or STORE in path.parents:
            continue
        for node, _ in _imports(path):
            targets = _dispatch_targets(node)
            if isinstance(node, ast.ImportFrom) and node.module == "dispatch_center.store":
                targets += [f"dispatch_center.store.{a.name}" for a in node.names]
            for target in targets:
                assert not target.startswith("dispatch_center.store.supervision"), (
                    f"{path.relative_to(ROOT)} reads the supervision store"
                )


def test_modules_stay_small() -> None:
    for path in MODULES:
        lines = len(path.read_text("utf-8").splitlines())
        assert lines <= 600, f"{path.name}: {lines} lines"
