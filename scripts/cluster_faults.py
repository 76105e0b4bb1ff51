"""Break the one-machine cluster three ways under load and check nothing acknowledged is lost.

Run by ``scripts/cluster-faults`` (which says how). All traffic is on loopback to the
cluster this script starts (``scripts/cluster_lib.py``), bounded in count and time.

Load, through HAProxy the whole time: order writers (``POST /api/v1/orders`` with a unique
``source_id`` each: a retry of an order whose answer was lost returns the same order),
an intake writer (hydrology payloads of 5 readings to ``/api/v1/feeds/hydrology/events``,
retried until 202), and wall screens on ``/ws/wallboard`` that reconnect with
``?since=<last seq>`` whenever their socket closes and record every seq they are sent.

Faults, one after the other:

1. ``kill -9`` of the Patroni leader and its PostgreSQL server (the database machine
   lost) during the burst; Patroni promotes the synchronous standby.
2. ``kill -9`` of the app host that holds the most wall screens.
3. ``kill -9`` of the Redis master; Sentinel promotes the replica.

Each fault prints its time to recover: until the first order acknowledged after the
kill, and until every wall screen is sent a change again. At the end: every acknowledged
order present exactly once, every acknowledged payload's events present exactly once,
and each wall screen sent every seq of the change log with no gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.ingest import payload
from benchmarks.orders import order_body
from scripts.cluster_lib import Cluster, Ports

READINGS = 5
WALLS = 6


@dataclass
class Wall:
    """One wall screen: every seq it was sent, its reconnects, the host it is on."""

    n: int
    seen: set[int] = field(default_factory=set)
    floor: int = 0  # the snapshot's seq: everything up to it is in the screen's state
    last: int = 0  # highest contiguous seq
    host: str = ""
    connects: int = 0
    snapshots_on_resume: int = 0
    last_message_at: float = 0.0

    def take(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "heartbeat":
            return
        self.last_message_at = time.monotonic()
        if kind == "snapshot":
            if self.connects == 1 and not self.seen:
                self.floor = self.last = int(msg["seq"])
            else:
                # Resumed from a snapshot rather than by seq: counted, and a failure.
                self.snapshots_on_resume += 1
            return
        seq = msg.get("seq")
        if seq is None:
            return
        self.seen.add(int(seq))
        self.seen.update(int(s) for s in msg.get("merged") or ())
        while self.last + 1 in self.seen:
            self.last += 1

    def gaps(self, upto: int) -> list[int]:
        return [s for s in range(self.floor + 1, upto + 1) if s not in self.seen]


@dataclass
class Load:
    cluster: Cluster
    token: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # the walls
    writers_stop: asyncio.Event = field(default_factory=asyncio.Event)
    orders_acked: dict[str, str] = field(default_factory=dict)  # source_id → number
    payloads_acked: set[int] = field(default_factory=set)
    ack_times: list[tuple[float, float]] = field(default_factory=list)  # (sent, acknowledged)
    walls: list[Wall] = field(default_factory=list)
    failures: int = 0
    next_order: int = 0
    next_payload: int = 0

    async def order_writer(self, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self.writers_stop.is_set():
            i = self.next_order
            self.next_order += 1
            body = order_body(i, source="faults")
            body["source_id"] = f"faults-{i}"
            while True:  # an order begun is retried until acknowledged
                try:
                    sent = time.monotonic()
                    r = await client.post("/api/v1/orders", json=body, headers=headers)
                    if r.status_code in (200, 201):
                        self.orders_acked[body["source_id"]] = r.json()["number"]
                        self.ack_times.append((sent, time.monotonic()))
                        break
                except httpx.HTTPError:
                    pass
                self.failures += 1
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.05)

    async def intake_writer(self, client: httpx.AsyncClient) -> None:
        headers = {"X-Api-Key": self.cluster.feed_key, "Content-Type": "application/json"}
        t0 = datetime.now(UTC).replace(microsecond=0)
        while not self.writers_stop.is_set():
            n = self.next_payload
            self.next_payload += 1
            body = payload(n, READINGS, t0)
            while True:
                try:
                    r = await client.post(
                        "/api/v1/feeds/hydrology/events", content=body, headers=headers
                    )
                    if r.status_code == 202:
                        self.payloads_acked.add(n)
                        break
                except httpx.HTTPError:
                    pass
                self.failures += 1
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.1)

    async def wall(self, wall: Wall) -> None:
        base = self.cluster.http_url.replace("http://", "ws://")
        while not self.stop.is_set():
            since = f"&since={wall.last}" if wall.connects else ""
            try:
                async with websockets.connect(
                    f"{base}/ws/wallboard?token={self.token}{since}", max_size=2**24
                ) as ws:
                    wall.connects += 1
                    wall.host = ws.response.headers.get("x-served-by", "?")
                    while not self.stop.is_set():
                        raw = await ws.recv()
                        wall.take(json.loads(raw))
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.2)

    def start(self, client: httpx.AsyncClient) -> list[asyncio.Task[None]]:
        self.walls = [Wall(n) for n in range(WALLS)]
        tasks = [asyncio.create_task(self.wall(w)) for w in self.walls]
        tasks += [asyncio.create_task(self.order_writer(client)) for _ in range(3)]
        tasks.append(asyncio.create_task(self.intake_writer(client)))
        return tasks

    def first_ack_after(self, t: float) -> float | None:
        """Seconds from ``t`` to the first acknowledgement of an order *sent* after ``t``
        (one in flight at ``t`` may have committed before it)."""
        later = [acked for sent, acked in self.ack_times if sent > t]
        return min(later) - t if later else None


async def wait_for(check: Any, limit_s: float, step: float = 0.1) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if check():
            return time.monotonic() - started
        await asyncio.sleep(step)
    raise TimeoutError(f"not within {limit_s} s")


async def walls_moved(load: Load, since: float, limit_s: float) -> float:
    return await wait_for(lambda: all(w.last_message_at > since for w in load.walls), limit_s)


async def run(cluster: Cluster) -> int:
    results: list[tuple[str, str]] = []
    async with httpx.AsyncClient(base_url=cluster.http_url, timeout=10) as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": cluster.admin_password}
        )
        r.raise_for_status()
        load = Load(cluster, r.json()["access_token"])
        tasks = load.start(client)
        await asyncio.sleep(4)  # walls connected, writes flowing

        # 1. The database machine.
        leader = cluster.leader()
        assert leader is not None
        pm = cluster.postmaster_pid(leader)
        before = len(load.orders_acked)
        t = time.monotonic()
        cluster.kill9(f"patroni{leader}")
        if pm:
            os.kill(pm, signal.SIGKILL)
        new = await asyncio.to_thread(cluster.wait_leader, 60, leader)
        promoted = time.monotonic() - t
        await wait_for(lambda: load.first_ack_after(t) is not None, 60)
        ack = load.first_ack_after(t) or 0.0
        moved = await walls_moved(load, t + ack, 60) + ack
        results.append(
            (
                "PostgreSQL primary killed (-9)",
                f"standby pg{new} promoted in {promoted:.1f} s; first order acknowledged"
                f" {ack:.1f} s after the kill; every wall sent changes again after {moved:.1f} s"
                f" ({len(load.orders_acked) - before} orders acknowledged meanwhile)",
            )
        )
        await asyncio.sleep(3)

        # 2. An app host, the one with the most wall screens.
        on: dict[str, int] = {}
        for w in load.walls:
            on[w.host] = on.get(w.host, 0) + 1
        victim = max(("app1", "app2"), key=lambda h: on.get(h, 0))
        moved_walls = [w for w in load.walls if w.host == victim]
        connects = {w.n: w.connects for w in moved_walls}
        t = time.monotonic()
        cluster.kill9(victim)
        await wait_for(lambda: all(w.connects > connects[w.n] for w in moved_walls), 60)
        reconnected = time.monotonic() - t
        await wait_for(lambda: load.first_ack_after(t) is not None, 60)
        ack = load.first_ack_after(t) or 0.0
        results.append(
            (
                f"app host {victim} killed (-9)",
                f"its {len(moved_walls)} wall screens reconnected to the other host in"
                f" {reconnected:.1f} s and resumed by seq; first order acknowledged {ack:.1f} s"
                " after the kill",
            )
        )
        await asyncio.sleep(3)

        # 3. The Redis master.
        master = cluster.redis_master()
        assert master is not None
        which = "redis1" if master[1] == cluster.ports.redis1 else "redis2"
        t = time.monotonic()
        cluster.kill9(which)
        await wait_for(lambda: (cluster.redis_master() or master) != master, 60, 0.2)
        promoted = time.monotonic() - t
        payloads_before = len(load.payloads_acked)
        await wait_for(lambda: load.first_ack_after(t) is not None, 60)
        ack = load.first_ack_after(t) or 0.0
        await wait_for(lambda: len(load.payloads_acked) > payloads_before, 60)
        intake = time.monotonic() - t
        moved = await walls_moved(load, time.monotonic(), 60)
        results.append(
            (
                f"Redis master ({which}) killed (-9)",
                f"Sentinel promoted the replica in {promoted:.1f} s; first order acknowledged"
                f" {ack:.1f} s and next intake payload {intake:.1f} s after the kill; walls"
                f" still sent deltas (next within {moved:.1f} s)",
            )
        )
        await asyncio.sleep(2)
        load.writers_stop.set()
        await asyncio.gather(*tasks[WALLS:])
        # The accepted payloads processed, then every wall caught up with the log's head.
        head = await asyncio.to_thread(drained_head, cluster)
        with contextlib.suppress(TimeoutError):
            await wait_for(lambda: all(w.last >= head for w in load.walls), 20)
        load.stop.set()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

    return verify(cluster, load, results)


def drained_head(cluster: Cluster) -> int:
    """Wait (60 s at most) until the intake has processed what it accepted; the log's head."""
    deadline = time.monotonic() + 60
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM intake WHERE status = 'pending'").fetchone()
            if (row and row[0] == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(1)  # the last changes reach the log
        head = conn.execute("SELECT last FROM change_seq").fetchone()
    return int(head[0]) if head else 0


def verify(cluster: Cluster, load: Load, results: list[tuple[str, str]]) -> int:
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        orders = dict(
            conn.execute(
                "SELECT source_id, count(*) FROM orders WHERE source = 'faults' GROUP BY 1"
            ).fetchall()
        )
        events = conn.execute(
            "SELECT split_part(source_id, '@', 1), count(*) FROM feed_events"
            " WHERE system = 'hydrology' GROUP BY 1"
        ).fetchall()
        head_row = conn.execute("SELECT last FROM change_seq").fetchone()
    head = int(head_row[0]) if head_row else 0
    missing = [s for s in load.orders_acked if orders.get(s, 0) == 0]
    doubled = [s for s, n in orders.items() if n > 1]
    per_payload: dict[int, int] = {}
    duplicate_events = 0
    for stcd, n in events:
        per_payload[int(stcd[1:8])] = per_payload.get(int(stcd[1:8]), 0) + 1
        duplicate_events += n - 1
    lost_payloads = [p for p in load.payloads_acked if per_payload.get(p, 0) != READINGS]
    gaps = {w.n: w.gaps(min(head, w.last)) for w in load.walls}
    behind = {w.n: head - w.last for w in load.walls if w.last < head}
    print()
    print("| fault | recovery |")
    print("| --- | --- |")
    for fault, what in results:
        print(f"| {fault} | {what} |")
    print()
    print(
        f"orders acknowledged {len(load.orders_acked)}: missing {len(missing)},"
        f" duplicated {len(doubled)}"
    )
    print(
        f"intake payloads acknowledged {len(load.payloads_acked)} ({READINGS} events each):"
        f" incomplete {len(lost_payloads)}, duplicate events {duplicate_events}"
    )
    print(
        f"walls {len(load.walls)}: reconnects {sum(w.connects - 1 for w in load.walls)},"
        f" seq gaps {sum(len(g) for g in gaps.values())},"
        f" resumed by snapshot {sum(w.snapshots_on_resume for w in load.walls)},"
        f" change log head {head}, walls behind it {behind or 'none'}"
    )
    print(f"client retries during the faults: {load.failures}")
    resnap = sum(w.snapshots_on_resume for w in load.walls)
    ok = not (
        missing
        or doubled
        or lost_payloads
        or duplicate_events
        or any(gaps.values())
        or resnap
        or behind
    )
    print("ALL ACKNOWLEDGED WRITES PRESENT EXACTLY ONCE, NO WALL GAP" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    cluster = Cluster(ports=Ports(int(os.environ.get("CLUSTER_PORT_BASE", "17000"))))
    code = 1
    started = time.monotonic()
    try:
        cluster.start()
        code = asyncio.run(asyncio.wait_for(run(cluster), 400))
    finally:
        cluster.stop()
    if code == 0 and os.environ.get("CLUSTER_KEEP") != "1":
        shutil.rmtree(cluster.root, ignore_errors=True)
        print(f"whole run {time.monotonic() - started:.0f} s")
    else:
        print(f"whole run {time.monotonic() - started:.0f} s; logs in {cluster.root}")
    return code


if __name__ == "__main__":
    sys.exit(main())
