"""The live protocol against a real server: snapshot, deltas, resume, masking, slow clients,
several workers through Redis; plus the pure pieces (replay decision, outbox)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
import websockets
from psycopg.rows import dict_row

from dispatch_center.settings import Settings
from dispatch_center.store.changes import append_change, last_seq
from tests.api.conftest import PASSWORD, new_order, start_live
from tests.wallboard.conftest import WallCenter
from wallboard.hub import Outbox, Pending, SharedFrames
from wallboard.protocol import delta, mask, needs_snapshot


@pytest.mark.parametrize(
    ("since", "oldest", "newest", "window", "expected"),
    [
        (None, 1, 100, 50, True),  # fresh connection
        (99, 1, 100, 50, False),
        (100, 1, 100, 50, False),  # up to date: nothing to replay
        (49, 1, 100, 50, True),  # older than the window
        (50, 1, 100, 50, False),
        (101, 1, 100, 50, True),  # ahead of the server (a restored database)
        (0, 1, 10, 50, False),
        (3, 5, 10, 50, True),  # the log no longer holds seq 4
        (0, 0, 0, 50, False),  # empty log
    ],
)
def test_replay_or_snapshot(
    since: int | None, oldest: int, newest: int, window: int, expected: bool
) -> None:
    assert needs_snapshot(since, oldest, newest, window) is expected


def test_outbox_coalesces_positions_and_overflows() -> None:
    box = Outbox(limit=3)
    key = ("unit.position", "U1")
    assert box.offer(Pending(1, {"type": "unit.position", "lon": 1}, None, key))
    assert box.offer(Pending(2, {"type": "order.created"}, "{}"))
    assert box.offer(Pending(3, {"type": "unit.position", "lon": 3}, None, key))
    items = box.drain()
    assert [(p.seq, p.merged) for p in items] == [(1, [3]), (2, [])]
    assert json.loads(items[0].encoded()) == {
        "type": "unit.position",
        "lon": 3,
        "seq": 1,
        "merged": [3],
    }
    fired: list[bool] = []
    box.on_overflow = lambda: fired.append(True)
    assert all(box.offer(Pending(s, {"type": "order.created"}, "{}")) for s in (4, 5, 6))
    assert not box.offer(Pending(7, {"type": "order.created"}, "{}"))
    assert box.overflowed and fired == [True]


def test_delta_never_carries_personal_data() -> None:
    change = {
        "seq": 9,
        "at": None,
        "kind": "order.created",
        "entity_id": "5",
        "payload": {
            "order": {
                "id": 5,
                "reporter_name": "张三",
                "reporter_phone": "13800000000",
                "status": "received",
            },
            "actor": "dispatcher",
            "reporter": {"name": "张三"},
        },
    }
    text = json.dumps(delta(change), ensure_ascii=False)
    assert "张三" not in text and "13800000000" not in text
    assert mask({"intake_by_channel": {"phone": 3}}) == {"intake_by_channel": {"phone": 3}}


async def _recv(ws: Any, timeout: float = 5.0) -> list[dict[str, Any]]:
    raw = await asyncio.wait_for(ws.recv(), timeout)
    data = json.loads(raw)
    return data if isinstance(data, list) else [data]


async def _deltas(ws: Any, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        for m in await _recv(ws, max(0.1, deadline - time.monotonic())):
            if m["type"] != "heartbeat":
                out.append(m)
    return out


def test_bad_token_closes_4401(wall: WallCenter) -> None:
    async def go() -> int:
        async with websockets.connect(wall.ws_url + "?token=garbage") as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None
            return info.value.rcvd.code

    assert asyncio.run(go()) == 4401


def test_snapshot_then_masked_deltas_in_order(wall: WallCenter) -> None:
    token = wall.token("duty")

    async def go() -> None:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            snap = (await _recv(ws))[0]
            assert snap["type"] == "snapshot" and isinstance(snap["seq"], int)
            assert {"orders", "kpi", "mode", "feeds", "feed_layers"} <= set(snap["sections"])
            assert len(snap["feeds"]) == 21
            made = await asyncio.to_thread(
                lambda: [
                    wall.post_order(reporter={"name": "王秘密", "phone": "13911112222"})
                    for _ in range(3)
                ]
            )
            got = await _deltas(ws, 3)
            assert [m["seq"] for m in got] == [snap["seq"] + 1, snap["seq"] + 2, snap["seq"] + 3]
            assert [m["order"]["id"] for m in got] == [o["id"] for o in made]
            assert all(m["type"] == "order.created" for m in got)
            text = json.dumps(got, ensure_ascii=False)
            assert "王秘密" not in text and "13911112222" not in text

    asyncio.run(go())


def test_resume_after_drop_has_no_gap_and_no_duplicate(wall: WallCenter) -> None:
    token = wall.token("duty")

    async def go() -> None:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            last = (await _recv(ws))[0]["seq"]
            await asyncio.to_thread(wall.post_order)
            last = (await _deltas(ws, 1))[0]["seq"]
        # Disconnected: changes keep happening.
        made = await asyncio.to_thread(lambda: [wall.post_order() for _ in range(5)])
        async with websockets.connect(f"{wall.ws_url}?token={token}&since={last}") as ws:
            replay = await _deltas(ws, 5)
            await asyncio.to_thread(wall.post_order)
            live = await _deltas(ws, 1)
        seqs = [m["seq"] for m in replay + live]
        assert seqs == list(range(last + 1, last + 7))
        assert len(set(seqs)) == len(seqs)
        assert [m["order"]["id"] for m in replay] == [o["id"] for o in made]
        # A resume point the server cannot serve gets a fresh snapshot.
        async with websockets.connect(f"{wall.ws_url}?token={token}&since={10**12}") as ws:
            snap = (await _recv(ws))[0]
            assert snap["type"] == "snapshot" and snap["seq"] == seqs[-1]

    asyncio.run(go())


def test_heartbeat_has_no_seq(wall: WallCenter) -> None:
    hub = wall.app.state.wallboard_hub
    old = hub.heartbeat_s
    hub.heartbeat_s = 0.3
    token = wall.token("duty")

    async def go() -> dict[str, Any]:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            await _recv(ws)
            await ws.send('{"type": "heartbeat"}')
            return (await _recv(ws, 3))[0]

    try:
        assert asyncio.run(go()) == {"type": "heartbeat"}
    finally:
        hub.heartbeat_s = old


def test_slow_client_is_dropped_and_resumes(wall: WallCenter) -> None:
    hub = wall.app.state.wallboard_hub
    old = hub.max_queue
    hub.max_queue = 5
    token = wall.token("duty")
    total = 400

    async def go() -> None:
        # A client that stops reading: a tiny receive window, and websockets stops
        # reading its socket after one unread message.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", wall.port))
        async with websockets.connect(f"{wall.ws_url}?token={token}", sock=sock, max_queue=1) as ws:
            first = (await _recv(ws))[0]["seq"]

            def flood(n: int) -> None:
                with wall.client("dispatcher") as c:
                    for i in range(n):
                        body = new_order(description=f"排水沟堵塞 第{i}号 " + "积水" * 90)
                        assert c.post("/api/v1/orders", json=body).status_code == 201

            await asyncio.gather(*(asyncio.to_thread(flood, total // 4) for _ in range(4)))
            seen: list[int] = []
            with pytest.raises(websockets.ConnectionClosed) as info:
                while True:
                    seen += [m["seq"] for m in await _recv(ws, 15) if "seq" in m]
            assert info.value.rcvd is not None and info.value.rcvd.code == 4008
        assert seen == list(range(first + 1, first + 1 + len(seen)))
        assert len(seen) < total
        last = seen[-1] if seen else first
        # The resume is a normal client: with the tiny outbox a tick's worth of replayed
        # deltas would get it dropped as well.
        hub.max_queue = old
        async with websockets.connect(f"{wall.ws_url}?token={token}&since={last}") as ws:
            rest = await _deltas(ws, first + total - last)
        assert [m["seq"] for m in rest] == list(range(last + 1, first + total + 1))

    try:
        asyncio.run(go())
        assert hub.heartbeat()["dropped_slow_clients"] >= 1
    finally:
        hub.max_queue = old


def test_a_client_that_stops_reading_is_given_up_and_resumes(wall: WallCenter) -> None:
    # The other way a screen falls behind: few but large deltas, so its outbox stays far
    # below its bound while the socket fills and the server's send blocks. The hub's
    # watchdog must end that connection, and the screen must resume without a gap.
    hub = wall.app.state.wallboard_hub
    old_timeout, old_queue = hub.send_timeout_s, hub.max_queue
    hub.send_timeout_s = 1.0
    hub.max_queue = 100_000
    dropped = hub.heartbeat()["dropped_slow_clients"]
    connections = hub.heartbeat()["connections"]
    token = wall.token("duty")
    padding = "水位" * 50_000  # 300 KB of UTF-8 per delta
    count = 24  # 7 MB: more than the kernel buffers on both ends of a loopback socket
    assert wall.settings is not None and wall.settings.database_url
    url = wall.settings.database_url

    async def append(n: int) -> list[int]:
        async with await psycopg.AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row
        ) as conn:
            return [
                (
                    await append_change(
                        conn,
                        datetime.now(UTC),
                        "feed.event",
                        "hydrology",
                        {"system": "hydrology", "count": 0, "events": [], "note": padding},
                    )
                ).seq
                for _ in range(n)
            ]

    async def go() -> None:
        # A raw socket that completes the handshake and then never reads again, like a
        # frozen browser: nothing in a client library reads on its behalf.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", wall.port))
        sock.sendall(
            f"GET /ws/wallboard?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, row_factory=dict_row
            ) as conn:
                first = await last_seq(conn)
            assert await append(count) == list(range(first + 1, first + 1 + count))
            # The hub's poll picks the changes up, the send blocks on the full socket, and
            # the watchdog gives up within send_timeout_s plus one nudge.
            deadline = time.monotonic() + 15
            while hub.heartbeat()["dropped_slow_clients"] == dropped:
                assert time.monotonic() < deadline, "the stuck send was never given up"
                await asyncio.sleep(0.1)
            # The server ends the connection: reading again finds its end, before all
            # the deltas were sent.
            sock.settimeout(15)
            received = 0
            while chunk := await asyncio.to_thread(sock.recv, 1 << 20):
                received += len(chunk)
            assert received < count * len(padding.encode())
        finally:
            sock.close()
        assert hub.heartbeat()["connections"] == connections
        # The screen comes back with the last seq it had and misses nothing.
        async with websockets.connect(
            f"{wall.ws_url}?token={token}&since={first}", max_size=None
        ) as ws:
            rest = await _deltas(ws, count, timeout=20)
        assert [m["seq"] for m in rest] == list(range(first + 1, first + count + 1))
        assert all(m["note"] == padding for m in rest)

    try:
        asyncio.run(go())
        assert hub.heartbeat()["dropped_slow_clients"] == dropped + 1
    finally:
        hub.send_timeout_s, hub.max_queue = old_timeout, old_queue


def test_nudge_wakes_idle_writers_and_gives_up_stuck_sends() -> None:
    from wallboard.hub import LiveHub

    async def go() -> None:
        hub = LiveHub(center=None, send_timeout_s=10.0)  # type: ignore[arg-type]
        idle, stuck, busy = hub.register(), hub.register(), hub.register()
        stopped: list[bool] = []
        stuck.on_overflow = lambda: stopped.append(True)
        now = time.monotonic()
        stuck.sending_since = now - 11.0
        busy.sending_since = now - 1.0  # sending, but not for long
        hub.nudge(now)
        assert idle.ready.is_set() and await idle.take() == []
        assert stuck.overflowed and stopped == [True]
        assert not busy.overflowed and busy.ready.is_set()
        assert hub.heartbeat()["dropped_slow_clients"] == 1
        hub.nudge(now)  # given up once, counted once
        assert stopped == [True] and hub.heartbeat()["dropped_slow_clients"] == 1

    asyncio.run(go())


def test_merge_unlinks_a_delta_from_its_shared_read() -> None:
    # A coalesced delta no longer stands for what the hub read: the connection must not
    # send the read's prebuilt frame for it.
    key = ("unit.position", "U1")
    first = SharedFrames([Pending(1, {"type": "unit.position", "id": "U1"}, "{}", key)])
    box = Outbox(limit=10)
    box.offer(Pending(1, {"type": "unit.position", "id": "U1"}, "{}", key, shared=first))
    box.offer(Pending(2, {"type": "unit.position", "id": "U1", "lon": 2}, "{}", key))
    (only,) = box.drain()
    assert only.shared is None and only.merged == [2]


def test_a_burst_reaches_batched_clients_in_few_frames_without_gaps(wall: WallCenter) -> None:
    hub = wall.app.state.wallboard_hub
    old = hub.tick_s
    hub.tick_s = 0.3  # long enough that the burst below spans few reads
    token = wall.token("duty")
    total = 40

    async def client(
        batch: bool, since: int | None = None, count: int = total
    ) -> tuple[int, list[int], int]:
        """(snapshot seq, delta seqs, frames) of one client until it has ``count`` deltas."""
        query = f"?token={token}" + ("&batch=1" if batch else "")
        query += f"&since={since}" if since is not None else ""
        async with websockets.connect(wall.ws_url + query) as ws:
            start = since if since is not None else (await _recv(ws))[0]["seq"]
            seen: list[int] = []
            frames = 0
            while len(seen) < count:
                got = [m["seq"] for m in await _recv(ws, 15) if "seq" in m]
                frames += bool(got)
                seen += got
            return start, seen, frames

    async def go() -> None:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            base = (await _recv(ws))[0]["seq"]
        tasks = [asyncio.create_task(client(b)) for b in (True, True, False)]
        await asyncio.sleep(0.5)  # all three past their snapshots

        def flood(n: int) -> None:
            with wall.client("dispatcher") as c:
                for _ in range(n):
                    assert c.post("/api/v1/orders", json=new_order()).status_code == 201

        await asyncio.gather(*(asyncio.to_thread(flood, total // 4) for _ in range(4)))
        results = await asyncio.gather(*tasks)
        for start, seen, _ in results:
            assert start == base and seen == list(range(base + 1, base + 1 + total))
        (_, _, batched1), (_, _, batched2), (_, _, single) = results
        assert single == total  # one delta per frame without ?batch=1
        assert batched1 < total and batched2 < total
        # A resume from the middle of the burst takes the per-connection path: same stream.
        half = total // 2
        _, seen, _ = await client(True, since=base + half, count=total - half)
        assert seen == list(range(base + half + 1, base + total + 1))

    try:
        asyncio.run(go())
    finally:
        hub.tick_s = old


def test_readyz_shows_the_hub(wall: WallCenter) -> None:
    r = httpx.get(wall.base_url + "/readyz")
    assert r.status_code == 200
    beat = r.json()["checks"]["wallboard_hub"]
    assert beat["running"] and beat["alive"] and beat["last_seq"] >= 0


@pytest.fixture(scope="module")
def two_workers(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[str]]:
    url = make_database()
    data = tmp_path_factory.mktemp("workers")
    servers = []
    for _ in range(2):
        settings = Settings(database_url=url, redis_url=redis_url, demo=True, data_dir=data)
        port = free_port()
        servers.append((start_live(settings, port), port))
    yield [f"127.0.0.1:{port}" for _, port in servers]
    for (server, thread, _), _ in servers:
        server.should_exit = True
        thread.join(10)


def test_two_workers_share_the_log_through_redis(two_workers: list[str]) -> None:
    a, b = two_workers
    token = httpx.post(
        f"http://{a}/api/v1/auth/token", data={"username": "dispatcher", "password": PASSWORD}
    ).json()["access_token"]

    async def go() -> None:
        async with websockets.connect(f"ws://{b}/ws/wallboard?token={token}") as ws:
            seq = (await _recv(ws))[0]["seq"]
            t0 = time.monotonic()

            def post() -> str:
                r = httpx.post(
                    f"http://{a}/api/v1/orders",
                    json=new_order(),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code == 201
                return str(r.json()["id"])

            oid = await asyncio.to_thread(post)
            got = (await _deltas(ws, 1, timeout=5))[0]
            assert got["seq"] == seq + 1 and got["order"]["id"] == oid
            # Woken through Redis, not by the 2 s safety poll.
            assert time.monotonic() - t0 < 1.5

    asyncio.run(go())
