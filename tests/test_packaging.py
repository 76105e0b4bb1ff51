"""What ``pip install .`` puts in the wheel: every data file the packages read at run time.

The demo installs the project (not editable), so a data file left out of the wheel only
fails there: the stop-word list was missing and the rollups and daily reports failed in
every demo until this test existed.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tracked_data_files() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    return [
        str(f.relative_to(ROOT))
        for p in packages
        for f in (ROOT / p).rglob("*")
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in {".py", ".pyc"}
    ]


def test_every_data_file_in_the_packages_is_declared_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    files = _tracked_data_files()
    assert any(f.endswith("stopwords_zh.txt") for f in files)
    missing = [f for f in files if not any(fnmatch(Path(f).name, p) for p in patterns)]
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"


def _imported_distributions() -> dict[str, set[str]]:
    """Each third-party distribution the packages import, with the modules importing it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    ours = set(packages)
    owners = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for p in packages:
        for f in (ROOT / p).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in ours or top in sys.stdlib_module_names:
                        continue
                    for dist in owners.get(top, [f"<no distribution installs {top}>"]):
                        found.setdefault(canonical(dist), set()).add(str(f.relative_to(ROOT)))
    return found


def canonical(name: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_distribution_the_packages_import_is_a_runtime_dependency() -> None:
    # The demo installs only the runtime dependencies: a module the tests happen to
    # install (httpx, for the test client) was imported by the feed poller, and the
    # installed demo failed to start with "No module named 'httpx'".
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        canonical(re.split(r"[\[<>=!~;\s]", d, maxsplit=1)[0])
        for d in config["project"]["dependencies"]
    }
    imported = _imported_distributions()
    assert "psycopg" in imported and "fastapi" in imported  # the scan sees imports
    undeclared = {d: sorted(where)[:3] for d, where in imported.items() if d not in declared}
    assert undeclared == {}, f"imported but not in [project].dependencies: {undeclared}"
