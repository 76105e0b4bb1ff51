"""Migration numbers are unique: two branches that each add "the next" number must not merge
into a set where one file silently replaces the other."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from dispatch_center.store import migrate


def test_the_shipped_migrations_have_one_name_per_number() -> None:
    for path in ("native", "timescale"):
        versions = [m.version for m in migrate.available_migrations(path)]
        assert versions == sorted(set(versions))
    names = [e.name for e in (resources.files("dispatch_center.store") / "migrations").iterdir()]
    assert len({n[:3] for n in names if n.endswith(".sql")}) == len(
        {n.split(".")[0] for n in names if n.endswith(".sql")}
    )


def test_two_migrations_with_one_number_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_core.sql").write_text("SELECT 1;")
    (folder / "002_alpha.sql").write_text("SELECT 2;")
    (folder / "002_beta.sql").write_text("SELECT 3;")

    class Files:
        def __truediv__(self, other: str) -> object:
            return folder

    monkeypatch.setattr(migrate.resources, "files", lambda package: Files())
    with pytest.raises(RuntimeError, match="two migrations numbered 002"):
        migrate.available_migrations("native")
    (folder / "002_beta.sql").unlink()
    (folder / "002_alpha.native.sql").write_text("SELECT 4;")
    assert [(m.version, m.name) for m in migrate.available_migrations("native")] == [
        (1, "core"),
        (2, "alpha"),
    ]
