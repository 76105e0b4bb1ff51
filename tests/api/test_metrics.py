"""``/metrics`` (issue 16 §3): who may read it, what it says, and the request id.

One live center of its own with a scraper token; the SQL behind the backlog figures is
checked on a database with rows of known age.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch_center.settings import Settings
from dispatch_center.store import metrics as metric_store
from dispatch_center.store.migrate import migrate
from tests.api.conftest import sign_in_as_new_users, start_live

SCRAPER = "scrape-" + "k" * 30


@pytest.fixture(scope="module")
def center(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], str]]:
    url = make_database()
    settings = Settings(
        database_url=url,
        demo=True,
        data_dir=tmp_path_factory.mktemp("metrics"),
        simulator=False,
        metrics_token=SCRAPER,
    )
    port = free_port()
    server, thread, _app = start_live(settings, port)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as c:
        accounts = {"admin": ("admin", None), "dispatcher": ("dispatcher", "511100")}
        _, tokens = sign_in_as_new_users(c, accounts, "mx")
    yield base, tokens, url
    server.should_exit = True
    thread.join(15)


def _scrape(base: str, token: str = SCRAPER) -> dict[str, Any]:
    r = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def _value(family: Any, name: str | None = None, **labels: str) -> float:
    for s in family.samples:
        if (name is None or s.name == name) and all(
            s.labels.get(k) == v for k, v in labels.items()
        ):
            return float(s.value)
    raise AssertionError(f"no sample {name} {labels} in {family.name}")


def test_the_scraper_token_or_an_admin_reads_it_and_nobody_else(
    center: tuple[str, dict[str, str], str],
) -> None:
    base, tokens, _ = center

    def get(token: str | None) -> int:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"{base}/metrics", headers=auth).status_code

    assert get(None) == 401
    assert get("scrape-" + "x" * 30) == 401  # a wrong scraper token is no token
    assert get(tokens["dispatcher"]) == 403
    assert get(tokens["admin"]) == 200
    assert get(SCRAPER) == 200


def test_orders_pool_wall_and_latency_figures(center: tuple[str, dict[str, str], str]) -> None:
    base, _, url = center
    for _ in range(3):
        assert httpx.get(f"{base}/healthz").status_code == 200
    httpx.get(f"{base}/no/such/page")
    families = _scrape(base)
    with psycopg.connect(url) as conn:
        by_status = dict(conn.execute("SELECT status, count(*) FROM orders GROUP BY status"))
        head = conn.execute("SELECT last FROM change_seq").fetchone()
    assert by_status, "the demo's story made orders"
    got = {s.labels["status"]: s.value for s in families["dispatch_orders"].samples}
    assert got == {k: float(v) for k, v in by_status.items()}
    assert head is not None
    assert _value(families["dispatch_change_log_seq"]) >= head[0] > 0
    assert _value(families["dispatch_db_pool_size"]) >= 1
    assert _value(families["dispatch_db_pool_max"]) == 16
    assert _value(families["dispatch_wall_clients"]) == 0
    assert _value(families["dispatch_wall_hub_seq"]) >= 0
    latency = families["dispatch_http_request_duration_seconds"]
    name = "dispatch_http_request_duration_seconds_count"
    healthz = _value(latency, name, method="GET", route="/healthz", status="2xx")
    assert healthz >= 3
    # An unknown path is one series, not one per path asked for.
    assert _value(latency, name, method="GET", route="unmatched", status="4xx") >= 1
    assert not any("/no/such" in s.labels.get("route", "") for s in latency.samples)
    again = _scrape(base)["dispatch_http_request_duration_seconds"]
    assert _value(again, name, method="GET", route="/healthz", status="2xx") == healthz


def test_a_wall_screen_is_counted_while_connected(center: tuple[str, dict[str, str], str]) -> None:
    import websockets

    base, tokens, _ = center
    ws_url = base.replace("http://", "ws://") + f"/ws/wallboard?token={tokens['admin']}"

    async def run() -> float:
        async with websockets.connect(ws_url) as ws:
            await asyncio.wait_for(ws.recv(), 15)  # the snapshot: registered with the hub
            families = await asyncio.to_thread(_scrape, base)
            return _value(families["dispatch_wall_clients"])

    assert asyncio.run(run()) == 1


def test_backlog_sql_reports_age_of_the_oldest_per_system(
    make_database: Callable[[], str],
) -> None:
    url = make_database()
    migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for system, age_s, status in (
            ("hydrology", 120, "pending"),
            ("hydrology", 10, "pending"),
            ("hydrology", 900, "done"),
            ("weather", 30, "pending"),
        ):
            conn.execute(
                "INSERT INTO intake (system, received_at, payload, status)"
                " VALUES (%s, now() - %s, '\\x00', %s)",
                (system, timedelta(seconds=age_s), status),
            )
        conn.execute(
            "INSERT INTO outbox (channel, recipient, body, created_at, status)"
            " VALUES ('sms', '13800000000', 'x', now() - interval '300 s', 'pending'),"
            " ('sms', '13800000000', 'x', now() - interval '900 s', 'sent')"
        )

    async def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with await psycopg.AsyncConnection.connect(
            url, row_factory=psycopg.rows.dict_row
        ) as conn:
            return await metric_store.intake_backlog(conn), await metric_store.outbox_backlog(conn)

    intake, outbox = asyncio.run(read())
    by_system = {r["system"]: r for r in intake}
    assert set(by_system) == {"hydrology", "weather"}
    assert by_system["hydrology"]["n"] == 2
    assert 120 <= by_system["hydrology"]["oldest_s"] < 180
    assert 30 <= by_system["weather"]["oldest_s"] < 90
    assert len(outbox) == 1 and outbox[0]["n"] == 1 and 300 <= outbox[0]["oldest_s"] < 360


def test_request_id_is_honoured_or_made_and_echoed(
    center: tuple[str, dict[str, str], str],
) -> None:
    base, _, _ = center
    given = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "lb-42.a"})
    assert given.headers["x-request-id"] == "lb-42.a"
    made = httpx.get(f"{base}/healthz").headers["x-request-id"]
    forged = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "a b\tc"})
    assert len(made) == 32 and made != forged.headers["x-request-id"]
    assert forged.headers["x-request-id"] != "a b\tc"
    # Errors carry it too.
    assert (
        httpx.get(f"{base}/metrics", headers={"X-Request-ID": "r-1"}).headers["x-request-id"]
        == "r-1"
    )


WORKER = """
import sys
from dispatch_center.api.metrics import AppMetrics
m = AppMetrics()
assert m.multiprocess
m.gauges["wall_clients"].set(int(sys.argv[1]))
m.gauges["wall_hub_seq"].set(int(sys.argv[2]))
m.latency.labels("GET", "/healthz", "2xx").observe(0.001)
"""


def test_workers_figures_add_up(tmp_path: Any) -> None:
    """With serve's workers, whichever worker answers reports every worker's figures."""
    import os
    import subprocess
    import sys

    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for clients, seq in ((3, 120), (4, 118)):
        subprocess.run([sys.executable, "-c", WORKER, str(clients), str(seq)], env=env, check=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    families = {
        f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())
    }
    # livesum/livemin keep only running workers' files; these two have exited but their
    # files stay until mark_process_dead (called when a worker stops), so both count.
    assert _value(families["dispatch_wall_clients"]) == 7
    assert _value(families["dispatch_wall_hub_seq"]) == 118
    latency = families["dispatch_http_request_duration_seconds"]
    assert _value(latency, "dispatch_http_request_duration_seconds_count", route="/healthz") == 2
