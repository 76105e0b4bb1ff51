"""Redis bus: pub/sub fan-out across workers, plus Streams for durable intake.

One pub/sub connection per process, read by one reader task that fans messages out to
the local subscribers. The connection is a raw redis-py ``Connection`` on purpose:
redis-py's ``PubSub`` re-subscribes by itself after a reconnect, which hides the
messages published while it was away. Here a dropped connection ends every current
subscription with :class:`SubscriptionLost` (they resync from the change log), and the
reader reconnects with backoff and counts it.

Replies to SUBSCRIBE / UNSUBSCRIBE / PING arrive in the order the commands were sent,
so each sent command queues a future that the reader resolves in turn: entering
``subscribe()`` returns only after Redis confirmed that very SUBSCRIBE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import secrets
import socket
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import RedisError, ResponseError

from dispatch_center.bus.base import (
    Bus,
    BusClosed,
    BusError,
    Subscription,
    SubscriptionLost,
)
from dispatch_center.bus.fanout import LocalFanout, LocalSubscription
from dispatch_center.bus.sentinel import SentinelTarget, is_sentinel_url

__all__ = ["RedisBus", "redact_url"]

log = logging.getLogger(__name__)


def redact_url(url: str) -> str:
    """``url`` without its password, for logs and error messages.

    Examples
    --------
    >>> redact_url("redis://:s3cret@cache:6379/0")
    'redis://:***@cache:6379/0'
    >>> redact_url("redis://127.0.0.1:6379")
    'redis://127.0.0.1:6379'
    >>> redact_url("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/dispatch/0")
    'redis+sentinel://:***@10.0.0.1:26379,10.0.0.2:26379/dispatch/0'
    """
    # By pattern, not urlsplit: a sentinel URL's netloc holds several host:port pairs.
    return re.sub(r"^([a-z+]+://[^:/@]*):[^@/]*@", r"\1:***@", url, flags=re.IGNORECASE)


def _default_client_name() -> str:
    # CLIENT SETNAME refuses spaces; the name lets an operator find this worker in
    # CLIENT LIST (and lets the tests kill exactly this connection).
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40]
    return f"dispatch-bus-{host}-{os.getpid()}-{secrets.token_hex(3)}"


def _settle(future: asyncio.Future[None], error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
        return
    future.set_exception(error)
    future.exception()  # marks it retrieved: nobody may be waiting any more


class RedisBus(Bus):
    """Bus on Redis pub/sub (wake-ups) and Redis Streams (intake queues).

    Parameters
    ----------
    url : str
        ``redis://[:password@]host[:port][/db]`` or ``rediss://...``, or Redis behind
        Sentinel: ``redis+sentinel://[:password@]host:port,.../service[/db]``
        (:mod:`dispatch_center.bus.sentinel`).
    client_name : str, optional
        Name of the pub/sub connection in ``CLIENT LIST``; generated when omitted.
    health_interval : float
        Seconds of silence on the pub/sub connection before a PING; no answer within
        another interval counts as a lost connection (catches half-open sockets).
    op_timeout : float
        Seconds allowed for a command or a subscribe confirmation.
    backoff : tuple of float
        First and largest delay between reconnect attempts, in seconds.

    Examples
    --------
    >>> bus = RedisBus("redis://127.0.0.1:6379/15", client_name="worker-1")
    >>> bus.heartbeat()["backend"], bus.heartbeat()["connected"]
    ('redis', False)
    """

    def __init__(
        self,
        url: str,
        *,
        client_name: str | None = None,
        health_interval: float = 15.0,
        op_timeout: float = 5.0,
        backoff: tuple[float, float] = (0.05, 5.0),
    ) -> None:
        self.url = url
        # redis+sentinel://: the master is found through Sentinel on every connection.
        self._sentinel = SentinelTarget.parse(url) if is_sentinel_url(url) else None
        self.client_name = client_name or _default_client_name()
        self._health_interval = health_interval
        self._op_timeout = op_timeout
        self._backoff = backoff
        self._client: aioredis.Redis | None = None
        self._listener: AbstractConnection | None = None
        self._generation = 0
        self._replies: deque[asyncio.Future[None]] = deque()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[Any]] = set()
        self._fanout = LocalFanout()
        self._reconnects = 0
        self._malformed = 0
        self._last_error: str | None = None

    # -- lifecycle ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect the command client and the pub/sub reader; BusError if unreachable."""
        if self._reader is not None:
            return
        options: dict[str, Any] = {
            "client_name": f"{self.client_name}-cmd",
            "decode_responses": True,
            "protocol": 2,
            "socket_timeout": None,  # bounded per call instead, so XREADGROUP BLOCK works
            "socket_connect_timeout": self._op_timeout,
        }
        if self._sentinel is not None:
            client = self._sentinel.command_client(self._op_timeout, **options)
        else:
            client = aioredis.Redis.from_url(self.url, **options)
        try:
            async with asyncio.timeout(self._op_timeout):
                await client.ping()
            listener = await self._open_listener()
        except (RedisError, OSError, TimeoutError) as exc:
            await client.aclose()
            raise BusError(f"cannot reach Redis at {redact_url(self.url)}: {exc}") from exc
        self._client = client
        self._install(listener)
        self._reader = asyncio.create_task(
            self._run(listener), name=f"bus-reader:{self.client_name}"
        )
        self._reader.add_done_callback(self._reader_ended)

    def _reader_ended(self, task: asyncio.Task[None]) -> None:
        # _run only ends by cancellation; anything else is a bug that must be loud and
        # visible in the heartbeat, not a listener that stopped listening unnoticed.
        if task.cancelled():
            return
        exc = task.exception()
        self._last_error = f"reader stopped: {type(exc).__name__}: {exc}"
        self._ready.clear()
        self._fanout.fail_all(SubscriptionLost(f"bus {self._last_error}"))
        log.critical("bus: pub/sub reader stopped", exc_info=exc)

    async def disconnect(self) -> None:
        """Stop the reader and close both connections; open subscriptions end."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        for chore in list(self._chores):
            chore.cancel()
        listener, self._listener = self._listener, None
        await self._drop(listener, BusClosed("bus disconnected"))
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _open_listener(self) -> AbstractConnection:
        # RESP2 pushes pub/sub messages as plain arrays, which the reader parses; a
        # ``protocol`` in the URL is meant for the command client, not for this socket.
        options: dict[str, Any] = {
            "client_name": self.client_name,
            "protocol": 2,
            "socket_timeout": self._op_timeout,
            "socket_connect_timeout": self._op_timeout,
        }
        pool: ConnectionPool
        if self._sentinel is not None:
            # Each new connection asks the Sentinels for the master of now.
            pool = self._sentinel.listener_pool(self._op_timeout, **options)
        else:
            parts = urlsplit(self.url)
            query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "protocol"])
            pool = ConnectionPool.from_url(urlunsplit(parts._replace(query=query)), **options)
        conn: AbstractConnection = pool.make_connection()
        await conn.connect()
        return conn

    def _install(self, conn: AbstractConnection) -> None:
        self._generation += 1
        self._listener = conn
        self._replies.clear()
        self._ready.set()

    async def _drop(self, conn: AbstractConnection | None, error: BusError) -> None:
        self._ready.clear()
        if self._listener is conn:
            self._listener = None
        while self._replies:
            _settle(self._replies.popleft(), error)
        for future in self._confirmations.values():
            _settle(future, error)
        self._confirmations.clear()
        lost = self._fanout.fail_all(error)
        if lost and not isinstance(error, BusClosed):
            log.warning("bus: %d subscription(s) lost: %s", lost, error)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)

    # -- the reader -----------------------------------------------------------------------

    async def _run(self, conn: AbstractConnection) -> None:
        while True:
            try:
                await self._read(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Any failure, a Redis one or a bug in handling, ends in the same visible
                # state: subscribers told, heartbeat disconnected, reconnect attempts.
                self._last_error = f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, RedisError | OSError):
                    log.exception("bus: pub/sub reader failed")
                log.warning("bus: Redis pub/sub connection lost (%s); reconnecting", exc)
            await self._drop(
                conn, SubscriptionLost(f"Redis pub/sub connection lost: {self._last_error}")
            )
            conn = await self._reconnect()
            self._reconnects += 1
            self._install(conn)
            log.info("bus: Redis pub/sub reconnected (%d reconnects so far)", self._reconnects)

    async def _reconnect(self) -> AbstractConnection:
        delay, attempts = self._backoff[0], 0
        while True:
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            attempts += 1
            try:
                return await self._open_listener()
            except Exception as exc:  # whatever it is, keep trying: never die quietly
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.debug("bus: reconnect attempt %d failed: %s", attempts, exc)
                delay = min(delay * 2, self._backoff[1])

    async def _read(self, conn: AbstractConnection) -> None:
        awaiting_pong = False
        while True:
            try:
                response = await conn.read_response(timeout=self._health_interval)
            except ResponseError as exc:
                # A refused command (an ACL denying SUBSCRIBE, say) fails its caller only.
                if self._replies:
                    _settle(self._replies.popleft(), BusError(f"Redis refused: {exc}"))
                continue
            if response is None:  # silence for a whole interval
                if awaiting_pong:
                    raise TimeoutError(f"no PONG within {self._health_interval} s")
                async with self._send_lock:
                    await self._command(conn, "PING")
                awaiting_pong = True
                continue
            awaiting_pong = False  # any traffic proves the connection alive
            self._handle(response)

    def _handle(self, response: Any) -> None:
        kind = response[0] if isinstance(response, list) and response else response
        if kind == b"message":
            self._on_message(response[1].decode(), response[2])
        elif kind in (b"subscribe", b"unsubscribe", b"pong", b"PONG"):
            if self._replies:
                _settle(self._replies.popleft())
            else:
                log.warning("bus: unexpected reply on pub/sub connection: %r", response)
        else:
            log.warning("bus: ignoring unexpected pub/sub frame: %r", response)

    def _on_message(self, channel: str, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            # Someone else published on our channel; count it, never crash the reader.
            self._malformed += 1
            log.warning("bus: ignoring non-JSON-object message on %r", channel)
            return
        if self._fanout.deliver(channel, message):
            # An overflow left the channel without subscribers. The reader must never
            # wait for a reply itself, so the UNSUBSCRIBE goes out from a separate task.
            self._chore(self._unsubscribe_if_idle(channel, self._generation))

    def _chore(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    # -- commands on the pub/sub connection -------------------------------------------------

    async def _command(self, conn: AbstractConnection, *args: str) -> asyncio.Future[None]:
        """Send a command whose reply the reader will match; caller holds the send lock."""
        if conn is not self._listener or not conn.is_connected:
            # redis-py would silently open a fresh socket here, without our subscriptions.
            raise SubscriptionLost("Redis pub/sub connection is down")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._replies.append(future)
        try:
            await conn.send_command(*args, check_health=False)
        except Exception as exc:
            # The reply queue no longer matches what Redis saw: end this connection so the
            # reader starts clean.
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)
            raise SubscriptionLost(f"Redis pub/sub send failed: {exc}") from exc
        return future

    async def _await_reply(self, future: asyncio.Future[None], what: str) -> None:
        try:
            async with asyncio.timeout(self._op_timeout):
                await asyncio.shield(future)
        except TimeoutError:
            raise BusError(
                f"no {what} confirmation from Redis within {self._op_timeout} s"
            ) from None

    async def _unsubscribe_if_idle(
        self, channel: str, generation: int
    ) -> asyncio.Future[None] | None:
        async with self._send_lock:
            conn = self._listener
            if conn is None or generation != self._generation or self._fanout.has(channel):
                return None
            self._confirmations.pop(channel, None)
            try:
                return await self._command(conn, "UNSUBSCRIBE", channel)
            except BusError:
                return None

    # -- pub/sub API ---------------------------------------------------------------------

    def _require_client(self) -> aioredis.Redis:
        if self._client is None:
            raise BusError("Redis bus is not connected: call connect() first")
        return self._client

    @asynccontextmanager
    async def _subscription(self, channel: str, max_queue: int) -> AsyncIterator[Subscription]:
        self._require_client()
        if not self._ready.is_set():  # reconnecting: wait a little rather than fail at once
            try:
                async with asyncio.timeout(self._op_timeout):
                    await self._ready.wait()
            except TimeoutError:
                raise BusError(
                    f"Redis pub/sub not connected ({self._last_error or 'reconnecting'})"
                ) from None
        sub = LocalSubscription(channel, max_queue)
        async with self._send_lock:
            conn, generation = self._listener, self._generation
            if conn is None:
                raise SubscriptionLost("Redis pub/sub connection is down")
            first = self._fanout.add(sub)
            confirmation = self._confirmations.get(channel)
            if first or confirmation is None:
                try:
                    confirmation = await self._command(conn, "SUBSCRIBE", channel)
                except BusError:
                    self._fanout.remove(sub)
                    raise
                self._confirmations[channel] = confirmation
        try:
            await self._await_reply(confirmation, "SUBSCRIBE")
            yield sub
        finally:
            if self._fanout.remove(sub):
                unsubscribed = await self._unsubscribe_if_idle(channel, generation)
                if unsubscribed is not None:
                    # Wait for the reply so a caller that checks PUBSUB NUMSUB, or
                    # subscribes again, sees a settled state.
                    with contextlib.suppress(BusError):
                        await self._await_reply(unsubscribed, "UNSUBSCRIBE")

    def subscribe(
        self, channel: str, *, max_queue: int = 1000
    ) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """Subscribe to ``channel``; entering returns after Redis confirmed the SUBSCRIBE."""
        return self._subscription(channel, max_queue)

    @contextlib.contextmanager
    def _command_errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except (RedisError, OSError, TimeoutError) as exc:
            raise BusError(f"Redis {what} failed: {type(exc).__name__}: {exc}") from exc

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """PUBLISH ``message`` as JSON (``TypeError`` if it is not serialisable)."""
        client = self._require_client()
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        with self._command_errors("PUBLISH"):
            async with asyncio.timeout(self._op_timeout):
                await client.publish(channel, data)

    async def ping(self) -> bool:
        """True when the pub/sub reader is connected and Redis answers PING."""
        if self._client is None or not self._ready.is_set():
            return False
        try:
            async with asyncio.timeout(self._op_timeout):
                return bool(await self._client.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    def heartbeat(self) -> dict[str, Any]:
        """Subscription state of this worker, for health pages."""
        return {
            "backend": "redis",
            "connected": self._ready.is_set(),
            "reconnects": self._reconnects,
            "client_name": self.client_name,
            "reader_alive": self._reader is not None and not self._reader.done(),
            "last_error": self._last_error,
            "malformed": self._malformed,
        } | self._fanout.snapshot()
