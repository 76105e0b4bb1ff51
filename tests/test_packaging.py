"""What ``pip install .`` puts in the wheel: every data file the packages read at run time.

The demo installs the project (not editable), so a data file left out of the wheel only
fails there: the stop-word list was missing and the rollups and daily reports failed in
every demo until this test existed.
"""

from __future__ import annotations

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
