"""Request ids on every log line of a request, as text or JSON (issue 16 §3)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dispatch_center.api.request_log import RequestId, install_request_logging
from dispatch_center.settings import LOG_FORMAT, ConfigurationError, load_settings

log = logging.getLogger("dispatch_center.test_request_log")


async def _handler(request: Request) -> PlainTextResponse:
    log.warning("first line of %s", request.url.path)
    # A thread and a task started by the request keep its id.
    await asyncio.to_thread(log.warning, "from a thread")
    await asyncio.create_task(asyncio.sleep(0))
    await asyncio.get_running_loop().create_task(_in_task())
    return PlainTextResponse("ok")


async def _in_task() -> None:
    log.warning("from a task")


APP = RequestId(Starlette(routes=[Route("/work", _handler)]))


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger writing to a buffer through our own format, restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    yield out
    root.handlers, level = saved
    root.setLevel(level)


async def _get(headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.get("/work", headers=headers)


def test_json_lines_carry_the_request_id_everywhere(captured: io.StringIO) -> None:
    install_request_logging("json")
    r = asyncio.run(_get({"X-Request-ID": "proxy-77"}))
    assert r.headers["x-request-id"] == "proxy-77"
    log.warning("after the request")
    every = [json.loads(line) for line in captured.getvalue().splitlines()]
    lines = [x for x in every if x["logger"] == log.name]
    assert [x["message"] for x in lines] == [
        "first line of /work",
        "from a thread",
        "from a task",
        "after the request",
    ]
    assert [x["request_id"] for x in lines] == ["proxy-77"] * 3 + ["-"]
    assert {"ts", "level", "logger"} <= set(lines[0])


def test_text_lines_carry_a_made_id(captured: io.StringIO) -> None:
    install_request_logging("text")
    r = asyncio.run(_get({}))
    rid = r.headers["x-request-id"]
    lines = [x for x in captured.getvalue().splitlines() if log.name in x]
    assert len(lines) == 3 and all(f"WARNING [{rid}] " in line for line in lines)


def test_log_format_is_a_setting() -> None:
    assert load_settings(demo=True, DISPATCH_LOG_FORMAT="json").log_format == "json"
    with pytest.raises(ConfigurationError, match="DISPATCH_LOG_FORMAT"):
        load_settings(demo=True, DISPATCH_LOG_FORMAT="xml")
    with pytest.raises(ConfigurationError, match="DISPATCH_METRICS_TOKEN"):
        load_settings(demo=True, DISPATCH_METRICS_TOKEN="short")
