"""Live centers for the ingest tests: the PostgreSQL queue and the Redis Streams path."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.runtime import IntakeRuntime
from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live
from tests.conftest import RECEIVED_AT_DEFAULTS

FIXTURES = Path(__file__).resolve().parents[1] / "feeds" / "fixtures"
DEMO_KEY = "ingest-test-key-0123456789"
HMAC_SECRET = "hydrology-shared-secret"
WECHAT_TOKEN = "wechat-test-token"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_APP_ID = "wx5823bf96d3bd56c7"


def fixture_bytes(*parts: str) -> bytes:
    """A recorded payload."""
    return FIXTURES.joinpath(*parts).read_bytes()


def _start(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    data_dir: Path,
    **extra: Any,
) -> tuple[LiveCenter, Any, Any]:
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=data_dir,
        demo_api_key=DEMO_KEY,
        simulator=False,
        feed_hmac_secrets=f"hydrology={HMAC_SECRET}",
        wechat_token=WECHAT_TOKEN,
        wechat_aes_key=WECHAT_AES_KEY,
        wechat_app_id=WECHAT_APP_ID,
        **{**RECEIVED_AT_DEFAULTS, **extra},
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    return LiveCenter(f"http://127.0.0.1:{port}", app, {}), server, thread


@pytest.fixture
def fresh_live(
    make_database: Callable[[], str], free_port: Callable[[], int], tmp_path: Path
) -> Iterator[LiveCenter]:
    """A center of its own for one test: its suggestions and live layers start empty (a
    warning or a gauge of another test would share their dedupe keys)."""
    live, server, thread = _start(make_database, free_port, tmp_path)
    yield live
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def feeds_live(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A center with the PostgreSQL intake queue (no Redis); tight limits on ``gas``."""
    live, server, thread = _start(
        make_database,
        free_port,
        tmp_path_factory.mktemp("ingest"),
        feed_limits="gas=0.5/3/,water_supply=//2048",
    )
    yield live
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def streams_live(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A center with ``REDIS_URL`` set (its bus is Redis; its intake still PostgreSQL)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    live, server, thread = _start(
        make_database, free_port, tmp_path_factory.mktemp("ingest-redis"), redis_url=redis_url
    )
    yield live
    server.should_exit = True
    thread.join(10)


def running_ingest(live: LiveCenter) -> Ingest:
    """The intake running in the live center."""
    return live.center.runtimes.get(IntakeRuntime).ingest


def source(live: LiveCenter) -> httpx.Client:
    """A client that authenticates as a source (the demo key)."""
    return httpx.Client(base_url=live.base_url, headers={"X-Api-Key": DEMO_KEY}, timeout=10)


def drain(live: LiveCenter, timeout: float = 20.0) -> None:
    """Wait until the live center's intake has processed everything accepted."""
    import time

    queue = running_ingest(live).queue
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue.is_idle():
            return
        time.sleep(0.05)
    raise AssertionError("intake did not drain")


def wechat_request(
    message: bytes, *, timestamp: str | None = None, nonce: str | None = None
) -> tuple[dict[str, str], bytes]:
    """A safe-mode callback as the platform sends it: its query and its body."""
    from feeds.channels import wechat_crypto

    ts = timestamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:10]
    key = wechat_crypto.aes_key(WECHAT_AES_KEY)
    encrypted = wechat_crypto.encrypt(key, WECHAT_APP_ID, message)
    params = {
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": wechat_crypto.msg_signature(WECHAT_TOKEN, ts, nonce, encrypted),
    }
    return params, wechat_crypto.envelope("gh_ls12345xlx", encrypted)


def wechat_post(live: LiveCenter, message: bytes, **kw: str) -> httpx.Response:
    """Post ``message`` to the live center's WeChat callback in safe mode."""
    params, body = wechat_request(message, **kw)
    return httpx.post(live.base_url + "/api/v1/intake/wechat", params=params, content=body)


def wechat_answered(r: httpx.Response) -> bool:
    """The callback was taken: ``success``, or a passive reply (encrypted in safe mode)."""
    reply = "<Encrypt>" in r.text or "<MsgType><![CDATA[text]]></MsgType>" in r.text
    return r.status_code == 200 and (r.text == "success" or reply)
