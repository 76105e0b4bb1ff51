"""The catalogue: every module registered, every registered module with fixtures, same shape."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from feeds.base import FeedDescriptor
from feeds.registry import DEFAULT_ADAPTERS, Catalogue, adapter, default_catalogue
from tests.core.test_purity import find_io
from tests.feeds.conftest import FIXTURES, ROOT

SYSTEMS_DIR = ROOT / "feeds" / "systems"
EXPECTED = {
    "skynet": "公安天网视频",
    "police110": "110报警服务台",
    "city_management": "数字城管",
    "grid_governance": "社会治理网格/综治",
    "hydrology": "防汛水雨情",
    "weather_cap": "气象预警",
    "geohazard": "地质灾害监测",
    "emergency_mgmt": "应急管理",
    "scenic_crowd": "景区客流",
    "tourism_12301": "文旅投诉12301",
    "market_12315": "市场监管12315",
    "env_12369": "生态环境12369",
    "transport_12328": "交通运输12328",
    "water_supply": "供水",
    "power_95598": "供电95598",
    "gas": "燃气",
    "hrss_12333": "人社12333",
    "health_12320": "卫健12320",
    "petitions": "信访",
    "duty_room": "市政府总值班室",
    "housing": "住建",
}


def test_default_catalogue_is_the_21_systems() -> None:
    got = {d.system: d.name_zh for d in default_catalogue()}
    assert got == EXPECTED
    assert len(default_catalogue()) == 21


def test_every_module_in_systems_is_registered() -> None:
    on_disk = {p.stem for p in SYSTEMS_DIR.glob("*.py") if p.stem != "__init__"}
    registered = {m.__name__.rsplit(".", 1)[-1] for m in DEFAULT_ADAPTERS}
    assert on_disk - registered == set(), "modules in feeds/systems/ not in the registry"
    assert registered - on_disk == set()


@pytest.mark.parametrize("module", DEFAULT_ADAPTERS, ids=lambda m: m.__name__)
def test_every_registered_module_has_fixtures(module: Any) -> None:
    system = module.DESCRIPTOR.system
    files = [p for p in (FIXTURES / system).glob("*") if p.suffix in (".json", ".xml")]
    assert files, f"no recorded fixture under tests/feeds/fixtures/{system}/"


@pytest.mark.parametrize("module", DEFAULT_ADAPTERS, ids=lambda m: m.__name__)
def test_same_small_shape(module: Any) -> None:
    desc = module.DESCRIPTOR
    assert isinstance(desc, FeedDescriptor)
    assert module.__name__ == f"feeds.systems.{desc.system}"
    params = inspect.signature(module.normalize).parameters
    assert list(params) == ["payload", "received_at"]
    assert params["received_at"].kind is inspect.Parameter.KEYWORD_ONLY
    assert callable(module.simulate)
    doc = module.__doc__ or ""
    assert "modelled" in doc, "each module says its format is modelled, not a vendor spec"
    assert desc.mode in ("push", "poll") and desc.interval_s > 0 and desc.owner
    lines = Path(inspect.getfile(module)).read_text(encoding="utf-8").count("\n")
    assert lines < 300


def test_catalogue_drop_add_and_errors() -> None:
    c = Catalogue.default()
    smaller = c.without("gas", "petitions")
    assert len(smaller) == 19 and "gas" not in smaller and "gas" in c
    with pytest.raises(KeyError):
        c.without("nonexistent")
    with pytest.raises(ValueError):
        smaller.with_adapter(adapter("skynet"))
    back = smaller.with_adapter(adapter("gas"))
    assert "gas" in back and len(back) == 20
    with pytest.raises(TypeError):
        c.with_adapter(object())  # type: ignore[arg-type]
    assert [d.system for d in c.only(["hydrology", "skynet"]).descriptors()] == [
        "skynet",
        "hydrology",
    ]


def test_feeds_package_does_no_io() -> None:
    # Adapters are pure: no web, database, cache or network imports and no file opening.
    findings = []
    for path in (ROOT / "feeds").rglob("*.py"):
        findings += find_io(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert findings == []


def test_no_dynamic_registration() -> None:
    # The registry is explicit: it imports its modules by name.
    tree = ast.parse((ROOT / "feeds" / "registry.py").read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert set(EXPECTED) <= names
