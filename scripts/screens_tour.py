"""Sign in as each seat of a running demo and photograph its screen at its users' size.

Usage (with a demo running, e.g. ``DISPATCH_DEMO_PASSWORD=... dispatch-center demo``)::

    .venv/bin/python scripts/screens_tour.py http://127.0.0.1:8000 PASSWORD docs/screenshots

Writes ``tour-<screen>.png`` per seat: desk monitors at 1920x1080, the HQ console at 1080p,
the handler's workbench and the citizen's status page at phone size (390x844). These are the
pictures the README shows; look at each one after a change to a page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

DESK = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}

#: (file name, account, page, viewport)
TOUR = [
    ("signin", None, "/", DESK),
    ("desk", "agent01", "/desk", DESK),
    ("dispatch", "dispatcher", "/dispatch", DESK),
    ("handler", "h_511102S01V01", "/handler", PHONE),
    ("hq", "flood_hq", "/hq", DESK),
    ("leader", "leader", "/leader", DESK),
    ("reports", "duty", "/reports", DESK),
    ("callbacks", "callback", "/callbacks", DESK),
    ("kb", "duty", "/kb", DESK),
    ("status", None, "/status", PHONE),
]


def main(base: str, password: str, out: Path) -> None:
    """Photograph every screen of :data:`TOUR` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, user, path, size in TOUR:
            context = browser.new_context(
                viewport=size,
                locale="zh-CN",
                is_mobile=size is PHONE,
                has_touch=size is PHONE,
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            if user is not None:
                page.goto(f"{base}/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.press("input[name=password]", "Enter")
                page.wait_for_url(lambda url: urlparse(url).path != "/")  # landed on its screen
                page.wait_for_load_state("load")
            page.goto(f"{base}{path}")
            page.wait_for_load_state("load")
            # Live pages never go network-idle: give maps and panels a moment to settle.
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out / f"tour-{name}.png"))
            print(f"{name:10} {page.url} {'errors: ' + '; '.join(errors) if errors else 'ok'}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
