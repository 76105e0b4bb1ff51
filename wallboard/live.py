"""``/ws/wallboard``: one connection of the live protocol (see :mod:`wallboard.protocol`).

The connection registers its outbox with the hub *before* it reads the snapshot or the
replay, so every change committed after that read reaches it; deltas at or below what
was already sent are skipped and a hole (if the hub ever ran behind) is filled from the
change log. Sequence numbers therefore reach the client contiguous and unique.

Each connection receives what its reader may read (:mod:`wallboard.audience`): a handler's
snapshot holds its units' orders, and of the stream only their deltas, the rest withheld
as bare seq numbers. The center's connections take the shared path untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.scope import reading_scope
from dispatch_center.api.browser import origin_allowed
from dispatch_center.api.deps import SocketGate, SocketVisit
from dispatch_center.center import Center
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.errors import Forbidden
from dispatch_center.store import changes as change_store
from wallboard.audience import Audience
from wallboard.hub import LiveHub, Pending, pending_for
from wallboard.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_NO_HEARTBEAT,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
    HEARTBEAT,
    needs_snapshot,
    parse_since,
)
from wallboard.sections import build_snapshot

log = logging.getLogger(__name__)

router = APIRouter()

#: Messages per frame when the client asked for batched frames (``?batch=1``).
FRAME_MAX = 500


class TooSlow(Exception):
    """The client fell behind its outbox's bound."""


class LiveSession:
    """One client: snapshot or replay, then deltas and heartbeats until it goes away."""

    def __init__(
        self,
        ws: WebSocket,
        hub: LiveHub,
        center: Center,
        *,
        batch: bool,
        scope: Scope = CITY,
        still_valid: Callable[[], bool] | None = None,
    ) -> None:
        self.ws = ws
        # Asked at every wake-up (the hub nudges each connection about once a second): a
        # token revoked or expired while connected ends the connection.
        self.still_valid = still_valid
        self.hub = hub
        self.center = center
        self.batch = batch
        self.audience = Audience(scope)
        self.sent = 0
        self.skip: set[int] = set()
        self.last_heard = time.monotonic()
        self.last_sent = time.monotonic()
        # Registered now, before run() reads the snapshot or the replay.
        self.box = hub.register()

    async def run(self, since: int | None) -> None:
        """Serve the connection; returns when it closes."""
        box = self.box
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write(since))
        box.on_overflow = writer.cancel
        try:
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            exc = writer.exception() if writer in done and not writer.cancelled() else None
            if box.overflowed or isinstance(exc, TooSlow):
                await self._close(CLOSE_TOO_SLOW, "too slow, resume with since")
            elif exc is not None and not isinstance(exc, WebSocketDisconnect | OSError):
                log.warning("wallboard connection failed: %r", exc)
                await self._close(1011, "server error, resume with since")
        finally:
            self.hub.unregister(box)
            for task in (reader, writer):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3):
                await self.ws.close(code, reason)

    async def _read(self) -> None:
        # Whatever the client sends (its heartbeats) proves it is alive.
        while True:
            await self.ws.receive_text()
            self.last_heard = time.monotonic()

    async def _write(self, since: int | None) -> None:
        await self._start(since)
        box = self.box
        while True:
            items = await box.take()
            if box.overflowed:
                raise TooSlow()
            if self.still_valid is not None and not self.still_valid():
                await self._close(CLOSE_UNAUTHORIZED, "token expired or revoked")
                return
            beat = self.hub.heartbeat_s
            now = time.monotonic()
            if now - self.last_heard > 3 * beat + 5:
                await self._close(CLOSE_NO_HEARTBEAT, "no heartbeat from client")
                return
            if items:
                await self._deliver(items)
            elif now - self.last_sent >= beat:
                await self._send([orjson.dumps(HEARTBEAT).decode()])

    async def _start(self, since: int | None) -> None:
        async with self.center.db.connection() as conn:
            newest = await change_store.last_seq(conn)
            oldest = await change_store.oldest_seq(conn)
        # A scoped reader starts from a snapshot even when resuming: the connection must know
        # which orders its client holds to withdraw one that leaves the scope.
        fresh = not self.audience.everything
        if fresh or needs_snapshot(since, oldest, newest, self.hub.replay_window):
            seq, sections = await build_snapshot(self.center, self.audience.scope)
            self.audience.shown_orders(sections.get("orders") or ())
            msg: dict[str, Any] = {
                "type": "snapshot",
                "seq": seq,
                "sections": list(sections),
                "server_time": self.center.now().isoformat(),
                "resumed_from": since,
                **sections,
            }
            await self._send([orjson.dumps(msg).decode()])
            self.sent = seq
        else:
            assert since is not None
            self.sent = since
            await self._fill(newest)

    async def _fill(self, upto: int) -> None:
        """Send the log's changes after ``self.sent`` up to ``upto`` (a replay or a hole)."""
        while self.sent < upto:
            async with self.center.db.connection() as conn:
                rows = await change_store.changes_since(
                    conn, self.sent, min(self.hub.batch, upto - self.sent)
                )
            if not rows:
                return
            await self._deliver([pending_for(r) for r in rows], fill=False)

    async def _deliver(self, items: list[Pending], *, fill: bool = True) -> None:
        if not self.audience.everything:
            items = self.audience.screen(
                [i for i in items if i.seq > self.sent and i.seq not in self.skip]
            )
        shared = items[0].shared if items else None
        if (
            self.batch
            and shared is not None
            and len(items) == len(shared.items)
            and all(i.shared is shared for i in items)
            and shared.first == self.sent + 1
            and not self.skip
        ):
            # In step with the hub (the common case): the read's frames, built once for
            # every connection. Items never merged keep ``shared``; a merge copies.
            for frame in shared.frames(FRAME_MAX):
                await self._send_frame(frame)
            self.sent = shared.last
            self.last_sent = time.monotonic()
            return
        texts: list[str] = []
        for item in items:
            if item.seq <= self.sent or item.seq in self.skip:
                continue
            if fill and item.seq > self.sent + 1:
                await self._send(texts)
                texts = []
                await self._fill(item.seq - 1)
            texts.append(item.encoded())
            self.sent = item.seq
            self.skip.update(item.merged)
            while self.sent + 1 in self.skip:
                self.skip.discard(self.sent + 1)
                self.sent += 1
        await self._send(texts)

    async def _send(self, texts: list[str]) -> None:
        if not texts:
            return
        if self.batch and len(texts) > 1:
            frames = [
                "[" + ",".join(texts[i : i + FRAME_MAX]) + "]"
                for i in range(0, len(texts), FRAME_MAX)
            ]
        else:
            frames = texts
        for frame in frames:
            await self._send_frame(frame)
        self.last_sent = time.monotonic()

    async def _send_frame(self, frame: str) -> None:
        # The hub's watchdog (LiveHub.nudge) gives up on a send stuck for longer than
        # send_timeout_s; a timer per send would cost more than the send itself.
        self.box.sending_since = time.monotonic()
        try:
            await self.ws.send_text(frame)
        finally:
            self.box.sending_since = 0.0


WallReader = Annotated[SocketVisit, Depends(SocketGate(Gate(wall=True)))]


@router.websocket("/ws/wallboard")
async def wallboard_socket(ws: WebSocket, visit: WallReader) -> None:
    """The live protocol: token in ``?token=`` or the ``dc_session`` cookie; ``?since=N``
    resumes; ``?batch=1`` lets the server put several messages in one frame (a JSON array).
    A browser page of another origin is refused before the handshake (HTTP 403).
    """
    if not origin_allowed(ws.headers, ws.app.state.center.settings.allowed_origin_set):
        await ws.close(code=1008, reason="origin not allowed")
        return
    await ws.accept()
    if visit.refusal is not None:
        code = CLOSE_FORBIDDEN if isinstance(visit.refusal, Forbidden) else CLOSE_UNAUTHORIZED
        await ws.close(code, visit.refusal.message)
        return
    hub: LiveHub = ws.app.state.wallboard_hub
    center: Center = ws.app.state.center
    assert visit.who is not None  # no refusal: the gate named the caller
    session = LiveSession(
        ws,
        hub,
        center,
        batch=ws.query_params.get("batch") == "1",
        scope=reading_scope(center, visit.who),
        still_valid=visit.still_valid,
    )
    await session.run(parse_since(ws.query_params.get("since")))
