"""The pages take the facts they show from the server, not from copies in their scripts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from dispatch_center.core.lifecycle import OPEN_UNREPLIED, WAITING_FOR_DISPATCH
from feeds.rules import GAUGE_NEAR_WARNING_M
from modes.policy import ModeName
from tests.wallboard.conftest import WallCenter

STATIC = Path(__file__).resolve().parents[2] / "wallboard" / "static"


def _config(wall: WallCenter, page: str) -> dict[str, object]:
    with httpx.Client(base_url=wall.base_url, timeout=10) as c:
        r = c.get(f"/{page}", params={"token": wall.token("duty")}, follow_redirects=True)
    assert r.status_code == 200, r.text[:300]
    m = re.search(r'<script id="dc-config" type="application/json">(.*?)</script>', r.text, re.S)
    assert m, "the page carries no dc-config"
    config: dict[str, object] = json.loads(m.group(1))
    return config


def test_wall_and_console_get_statuses_margin_and_layout_from_the_server(
    wall: WallCenter,
) -> None:
    normal = wall.center.modes.policies[ModeName.normal]
    for page in ("wallboard", "dispatch"):
        config = _config(wall, page)
        assert config["live_statuses"] == [s.value for s in OPEN_UNREPLIED]
        assert config["waiting_statuses"] == [s.value for s in WAITING_FOR_DISPATCH]
        assert config["near_warning_m"] == GAUGE_NEAR_WARNING_M
        assert config["default_layout"] == dict(normal.wallboard)
        assert config["page"] == page


def test_scripts_hold_no_copy_of_the_server_facts() -> None:
    scripts = {p.name: p.read_text(encoding="utf-8") for p in STATIC.glob("*.js")}
    for name, text in scripts.items():
        # A status name in quotes is a copied list; the i18n keys use "status.<name>".
        assert not re.search(r'["\'](received|return_requested|in_progress)["\']', text), name
    # The default layout and the margin come from the config, not a literal.
    assert "DEFAULT_LAYOUT = CONFIG.default_layout" in scripts["wallboard.js"]
    assert not re.search(r"\bpanels:\s*\[", scripts["wallboard.js"])
    assert "CONFIG.near_warning_m" in scripts["common.js"]
    assert not re.search(r"level_m\s*<=\s*[0-9.]+\)", scripts["common.js"])
