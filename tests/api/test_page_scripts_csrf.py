"""Every page script that sends a change sends it with the CSRF header (issue 17 §1): a
cookie-signed POST/PUT/PATCH/DELETE without ``X-CSRF-Token`` is refused with 403, so a
script that builds its own ``fetch`` for a change would fail only in a person's hands.
Read from the files: a change is sent through ``window.dc.send`` / ``window.dc.headers``
(``dispatch_center/api/static/http.js``) or names the header itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    [*(ROOT / "dispatch_center/api/static").glob("*.js"), *(ROOT / "wallboard/static").glob("*.js")]
)
#: Scripts allowed to send a change without the header, and why.
EXEMPT = {
    "signin.js": "signing in has no session yet (the Origin check guards it instead)",
    "http.js": "the helper that adds the header",
}
CHANGE = re.compile(r"""method:\s*["'`](POST|PUT|PATCH|DELETE)["'`]""", re.IGNORECASE)
GUARDED = re.compile(r"dc\.send\(|dc\.headers\(|X-CSRF-Token")


def test_the_scripts_are_found() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"http.js", "leader.js", "dispatch.js", "wallboard.js", "common.js"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_script_that_sends_changes_sends_the_csrf_header(script: Path) -> None:
    if script.name in EXEMPT:
        return
    text = script.read_text(encoding="utf-8")
    direct = "fetch(" in text and CHANGE.search(text) is not None
    assert not direct or GUARDED.search(text), (
        f"{script.name} sends a change with fetch() but never the X-CSRF-Token header:"
        " use window.dc.send(method, url, body) from /static/app/http.js"
    )


def test_the_check_sees_an_unguarded_change() -> None:
    bad = 'fetch("/api/v1/orders", { method: "POST", credentials: "same-origin" });'
    assert "fetch(" in bad and CHANGE.search(bad) and not GUARDED.search(bad)
    good = 'window.dc.send("POST", "/api/v1/orders", {});'
    assert GUARDED.search(good)
