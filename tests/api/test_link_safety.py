"""Links people type (a session's ``room_url``, an attachment's ``url``) become the ``href``
of pages other people open: only web links are stored, and only web links are shown as
links, so a row stored before the check cannot run script in a reader's session."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from tests.api.conftest import LiveCenter

Client = Callable[[str], httpx.Client]
SESSIONS = "/api/v1/supervision/sessions"
EVIL = "javascript:alert(1)"


def _create(as_user: Client, room_url: str) -> httpx.Response:
    body = {"topic": "链接检查", "emergency": "flood", "room_url": room_url}
    return as_user("duty").post(SESSIONS, json=body)


@pytest.fixture
def http_hosts(live: LiveCenter) -> Iterator[Callable[[str], None]]:
    settings = live.center.settings
    before = settings.http_link_hosts

    def use(value: str) -> None:
        settings.http_link_hosts = value

    yield use
    settings.http_link_hosts = before


@pytest.mark.parametrize(
    "room_url",
    [
        EVIL,
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/room",
        "https://user:pw@vc.example.invalid/room",
        "https:///no-host",
        "http://vc.example.invalid/room/1",  # plain http to a host nobody configured
    ],
)
def test_a_session_with_a_script_or_unsafe_link_is_refused(as_user: Client, room_url: str) -> None:
    r = _create(as_user, room_url)
    assert r.status_code == 422, r.text
    assert "room_url" in r.json()["error"]["fields"], r.text


def test_https_links_and_http_to_a_configured_host_are_accepted(
    as_user: Client, http_hosts: Callable[[str], None]
) -> None:
    assert _create(as_user, "https://vc.example.invalid/room/1").status_code == 201
    http_hosts("vc.lszw.internal, 10.1.2.3:8080")
    assert _create(as_user, "http://vc.lszw.internal/room/1").status_code == 201
    assert _create(as_user, "http://10.1.2.3:8080/room/1").status_code == 201
    assert _create(as_user, "http://10.1.2.3/room/1").status_code == 422  # another port
    assert _create(as_user, "http://vc.other.internal/room/1").status_code == 422


def test_an_attachment_with_a_script_link_is_refused(as_user: Client) -> None:
    sid = _create(as_user, "https://vc.example.invalid/room/2").json()["id"]
    url = f"{SESSIONS}/{sid}/attachments"
    r = as_user("duty").post(url, json={"kind": "link", "title": "录像", "url": EVIL})
    assert r.status_code == 422, r.text
    assert "url" in r.json()["error"]["fields"]
    ok = {"kind": "recording", "title": "录像", "url": "https://vc.example.invalid/rec/2"}
    assert as_user("duty").post(url, json=ok).status_code == 201


def _old_rows(live: LiveCenter) -> tuple[str, str]:
    """A session and an attachment stored before links were checked."""
    topic = f"旧会议 {uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    with psycopg.connect(live.center.settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO supervision_sessions (topic, room_url, emergency, created_by, created_at)"
            " VALUES (%s, %s, 'flood', 'duty', %s) RETURNING id",
            (topic, EVIL, now),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO supervision_attachments (session_id, kind, title, url, added_by, added_at)"
            " VALUES (%s, 'link', '旧附件', %s, 'duty', %s)",
            (row[0], "javascript:alert(2)", now),
        )
    return str(row[0]), topic


def _hrefs(html: str) -> list[str]:
    return re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", html, flags=re.I)


def test_an_old_script_link_renders_without_a_live_link(as_user: Client, live: LiveCenter) -> None:
    sid, topic = _old_rows(live)
    cookies = {"dc_session": live.token("duty")}
    # The console (/leader; /supervision sends people there) draws sessions from the API in
    # its script, which opens only web links as rooms; its own HTML holds no stored link.
    old = httpx.get(f"{live.base_url}/supervision", cookies=cookies)
    assert old.status_code == 303 and old.headers["location"] == "/leader"
    console = httpx.get(f"{live.base_url}/leader", cookies=cookies)
    assert console.status_code == 200
    assert not [h for h in _hrefs(console.text) if "script:" in h.lower()], console.text
    listed = httpx.get(f"{live.base_url}/api/v1/supervision/sessions", cookies=cookies).json()
    assert topic in [s["topic"] for s in listed["sessions"]]
    r = as_user("duty").post(f"{SESSIONS}/{sid}/close")
    assert r.status_code == 200, r.text
    minutes = as_user("duty").get(f"{SESSIONS}/{sid}/minutes")
    assert minutes.status_code == 200 and "旧附件" in minutes.text
    assert not [h for h in _hrefs(minutes.text) if "script:" in h.lower()], minutes.text
