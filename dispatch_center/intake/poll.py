"""Fetching a poll system's answer over HTTP, for :class:`feeds.runner.FeedRunner`.

Here and not in ``feeds/``: the feeds package stays free of I/O (a test checks it).

The runner owns scheduling, the timeout, backoff and health; a fetcher only does one GET
and says whether the outside system answered. A non-2xx answer is the system failing (an
outage), not a bad payload: it raises :class:`FetchError` and no dead letter is written. A
2xx answer is returned as bytes, and the adapter's ``normalize`` judges it (a 200 with
nonsense in it becomes a dead letter).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from feeds.runner import FetchFn

__all__ = ["FetchError", "http_fetcher"]


class FetchError(RuntimeError):
    """The outside system answered, but not with a payload (an HTTP error status)."""


def http_fetcher(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str] | None = None
) -> FetchFn:
    """A fetch callable that GETs ``url`` with ``headers`` and returns the body.

    ``client`` is shared by every poll system of a process (one connection pool) and
    closed by whoever made it.

    Examples
    --------
    >>> import asyncio
    >>> def answer(request):
    ...     return httpx.Response(200, content=b'{"code": 0, "data": []}')
    >>> async def once():
    ...     async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as c:
    ...         return await http_fetcher(c, "http://sw.example/rt")()
    >>> asyncio.run(once())
    b'{"code": 0, "data": []}'
    """
    fixed = dict(headers or {})

    async def fetch() -> bytes:
        resp = await client.get(url, headers=fixed)
        if not resp.is_success:
            # The status and a little of the body say why; the secret headers are not echoed.
            snippet = resp.text[:120].replace("\n", " ")
            raise FetchError(f"HTTP {resp.status_code} from {_host(url)}: {snippet}")
        return resp.content

    return fetch


def _host(url: str) -> str:
    # Only the host in logs and health: a URL's query can carry a key.
    return httpx.URL(url).host or url
