"""Live wallboard delivery: delay from an API call returning to each WebSocket client
receiving the delta that carries its event, with 100 clients while 1,000 events/s flow
through the HTTP API; the same messages through a bare ``websockets`` broadcast server as
the baseline; and, in headless Chromium, frame times of the wall with 5,000 live markers
taking 50 updates/s.

    python benchmarks/wallboard.py [--quick] [--clients 100] [--rate 1000] [--orders 100]
                                   [--seconds 10] [--orders-only-rate 300]

The load (issue 6: "1,000 events/s flow through the API") is the center's real mix, all
over HTTP against a production server (``dispatch-center serve``, 2 workers, Redis):

* feed events, ``POST /api/v1/feeds/{system}/events`` with the source's ``X-Api-Key``:
  two thirds as hydrology poll answers of 10 readings each (river gauges and rain
  stations, SL 323 field names), one third as scenic-area crowd polls of 5 areas each.
  Each payload is one HTTP call; its events reach the wall in a ``feed.event`` delta
  listing them (``events``: system + source_id). At 1,000 events/s with 100 orders/s
  that is 60 hydrology + 60 crowd payloads/s.
* citizens' work orders, ``POST /api/v1/orders``, at ``--orders`` per second (100/s by
  default: a city of 3 million gets a few thousand a day, so this is a storm, not a
  day). Each reaches the wall as an ``order.created`` delta.

The delay of an event is measured from the moment its API call returned (202 for a feed
payload, 201 for an order) to the moment each client received the frame carrying it, on
the same machine's clock. Every client checks its ``seq`` stream for gaps and duplicates.
Every new feed event is listed in some change (in chunks of 100); one a change failed to
list would be reported as ``events_unlisted``, and an event never seen by a client counts
as missing.

A second phase posts orders only (``--orders-only-rate``, what the machine sustains next
to the clients) so the heavier per-event path is not hidden behind cheap feed readings.

The baseline sends the same messages (one per order, one per feed payload, same JSON
shapes and sizes, same schedule) through a bare ``websockets`` broadcast server to the
same clients; its delay is from the publisher's send returning.

Clients: two processes of minimal raw-socket WebSocket clients on asyncio (``?batch=1``),
keeping only (seq, receipt time) per delta. Clients in step receive byte-identical
frames, so each distinct frame is parsed (orjson) once per process: the measuring
clients share the machine's two cores with the server, PostgreSQL, Redis and the load
generator, and should take as little of them as they can. Each phase also prints the CPU
it used, in cores: the server's process tree, PostgreSQL's processes and the whole
machine (near 2.0 the figures say more about the machine than about the server).
``--timeline`` prints the change -> client delay per quarter second of each phase.
``--quick``: 20 clients, 300 events/s (30 orders/s), 4 s per phase.

Targets (issue 6): p99 at most 100 ms, no gaps, no duplicates; p95 frame under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import websockets

from benchmarks._common import (
    SERVER_PIDS,
    HttpConnection,
    create_user,
    free_port,
    machine_busy_seconds,
    percentile,
    postgres_cpu_seconds,
    production_env,
    report,
    run_server,
    scratch_database,
    sign_in,
    tree_cpu_seconds,
)
from benchmarks.orders import order_body

CLIENT_PROCS = 2
HYDRO_PER_PAYLOAD = 10
CROWD_PER_PAYLOAD = 5
SHANGHAI = timedelta(hours=8)


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Call:
    """One HTTP call of the load: when to send it, what, and which events it carries."""

    at: float
    path: str
    body: bytes
    headers: dict[str, str]
    keys: list[str] = field(default_factory=list)  # event keys; an order's is its id
    message: bytes = b""  # the baseline's equivalent wall message


def _local(t: datetime) -> str:
    return (t + SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def hydrology_payload(n: int, t0: datetime) -> dict[str, Any]:
    """Poll answer ``n``: 10 stations of a 200-station network, rivers well under warning."""
    rows = []
    for k in range(HYDRO_PER_PAYLOAD):
        s = (n * HYDRO_PER_PAYLOAD + k) % 200
        base = {
            "STCD": f"6079{s:04d}",
            "STNM": f"测站{s}",
            "TM": _local(t0 + timedelta(seconds=n)),
            "LGTD": round(103.0 + (s % 40) / 40, 4),
            "LTTD": round(29.0 + (s // 40) / 8, 4),
            "ADDVCD": "511111",
        }
        if s % 5 == 0:
            z = 350.0 + (n % 30) / 10
            rows.append(base | {"STTP": "ZQ", "RVNM": "岷江", "Z": z, "WRZ": 360.0, "GRZ": 362.0})
        else:
            rows.append(base | {"STTP": "PP", "DRP": round((n + k) % 15 / 10, 1), "INTV": 1})
    return {"code": 0, "msg": "success", "data": rows}


def crowd_payload(n: int, t0: datetime) -> dict[str, Any]:
    """Crowd poll ``n``: 5 of 60 scenic areas, all under 80 % of capacity."""
    rows = []
    for k in range(CROWD_PER_PAYLOAD):
        s = (n * CROWD_PER_PAYLOAD + k) % 60
        rows.append(
            {
                "scenicCode": f"SC{s:03d}",
                "scenicName": f"景区{s}",
                "realtimeCount": 1000 + (n * 7 + s) % 4000,
                "maxCapacity": 10000,
                "todayTotal": 20000,
                "lng": round(103.2 + (s % 10) / 20, 4),
                "lat": round(29.2 + (s // 10) / 15, 4),
                "areaCode": "511102",
            }
        )
    return {"resultCode": "0000", "updateTime": _local(t0 + timedelta(seconds=n)), "list": rows}


def feed_calls(system: str, per_s: float, seconds: float, key: str) -> list[Call]:
    """Paced feed payloads of ``system``, with the source ids the server will give them."""
    from dispatch_center.intake.events import change_view, event_row
    from feeds.registry import Catalogue
    from feeds.rules import apply_rules

    adapter = Catalogue.default()[system]
    make = hydrology_payload if system == "hydrology" else crowd_payload
    # Readings of the last hour or so: distinct times per payload, so every event is new.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    headers = {"X-Api-Key": key, "Content-Type": "application/json"}
    out = []
    for n in range(int(per_s * seconds)):
        body = orjson.dumps(make(n, t0))
        events = apply_rules(adapter.normalize(body, received_at=datetime.now(UTC))).events
        views = [change_view(event_row(e)) for e in events]
        msg = {"type": "feed.event", "id": system, "system": system, "count": len(views)}
        out.append(
            Call(
                at=n / per_s,
                path=f"/api/v1/feeds/{system}/events",
                body=body,
                headers=headers,
                keys=[f"{system}:{e.source_id}" for e in events],
                message=orjson.dumps(msg | {"events": views}),
            )
        )
    return out


def order_calls(per_s: float, seconds: float, token: str, offset: float = 0.0) -> list[Call]:
    """Paced work orders (the orders benchmark's bodies)."""
    tag = secrets.token_hex(3)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out = []
    for i in range(int(per_s * seconds)):
        body = order_body(i, f"wb-{tag}")
        out.append(Call(offset + i / per_s, "/api/v1/orders", orjson.dumps(body), headers))
    return out


async def _run_calls(port: int, calls: list[Call], concurrency: int = 32) -> dict[str, float]:
    """Send ``calls`` on their schedule; event key -> wall time its API call returned."""
    done: dict[str, float] = {}
    start = time.time() + 0.2
    todo = iter(sorted(calls, key=lambda c: c.at))
    refused: dict[int, int] = {}

    async def worker() -> None:
        conn = await HttpConnection.open(port)
        try:
            for c in todo:
                wait = start + c.at - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                status, payload = await conn.request("POST", c.path, c.body, c.headers)
                now = time.time()
                if status == 201:
                    done["order:" + str(orjson.loads(payload)["id"])] = now
                elif status == 202:
                    for k in c.keys:
                        done[k] = now
                else:
                    refused[status] = refused.get(status, 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if refused:
        print(f"  refused calls by status: {refused}", flush=True)
    return done


# -- the clients ------------------------------------------------------------------------------


Carried = tuple[list[str], int, float]


def _keys_of(m: dict[str, Any]) -> Carried:
    """Event keys a delta carries, how many events it counted but did not list, and the
    time its change was written (``at``; the baseline's messages have none)."""
    kind = m.get("type")
    at = m.get("at")
    written = datetime.fromisoformat(at).timestamp() if isinstance(at, str) else float("nan")
    if kind == "order.created":
        return ["order:" + str(m.get("id"))], 0, written
    events = m.get("events")
    if isinstance(events, list):
        system = m.get("system") or m.get("id")
        keys = [f"{e.get('system') or system}:{e.get('source_id')}" for e in events]
        return keys, max(0, int(m.get("count") or 0) - len(keys)), written
    return [], 0, written


class RawWebSocket(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455, text frames, no extensions).

    The clients share the two cores with the server they measure, so each must cost as
    little as possible: frames are cut out of the stream here and handed on as bytes with
    the time their first byte arrived, without a per-message task or queue.
    """

    def __init__(self, path: str, on_message: Any) -> None:
        self.path = path
        self.on_message = on_message
        self.buf = b""
        self.open = False
        self.frag = b""
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        key = secrets.token_bytes(16).hex()[:22] + "=="
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def send_text(self, data: bytes) -> None:
        """One masked text frame (a zero mask key: masking is required, not secrecy)."""
        assert self.transport is not None and len(data) < 126
        self.transport.write(bytes([0x81, 0x80 | len(data)]) + b"\0\0\0\0" + data)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf + data if self.buf else data
        pos = 0
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if b" 101 " not in buf[: buf.find(b"\r\n")]:
                self._finish(1002)
                return
            self.open = True
            self.ready.set_result(True)
            pos = end + 4
        n = len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if n - pos < head + length:
                break
            payload = buf[pos + head : pos + head + length]
            pos += head + length
            op = b0 & 0x0F
            if op == 0x9 and self.transport is not None:  # ping -> pong
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif op == 0x8:
                self._finish(int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005)
                return
            elif op in (0x1, 0x2, 0x0):
                if not b0 & 0x80:
                    self.frag += payload
                elif self.frag:
                    self.on_message(now, self.frag + payload)
                    self.frag = b""
                else:
                    self.on_message(now, payload)
        self.buf = buf[pos:]

    def _finish(self, code: int) -> None:
        if not self.closed.done():
            self.closed.set_result(code)
        if not self.ready.done():
            self.ready.set_result(False)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(1006)


def _read_frame(raw: bytes, carries: dict[int, Carried]) -> tuple[list[int], int | None]:
    """The delta seqs of one frame, and the seq of a snapshot in it; records what each
    new seq carries in ``carries``."""
    data = orjson.loads(raw)
    seqs: list[int] = []
    snap: int | None = None
    for m in data if isinstance(data, list) else (data,):
        seq = m.get("seq")
        if seq is None:
            continue  # heartbeat
        if m.get("type") == "snapshot":
            snap = seq
            continue
        seqs.append(seq)
        if seq not in carries:
            carries[seq] = _keys_of(m)
    return seqs, snap


def _clients_proc(
    port: int, path: str, n: int, snapshot: bool, stop: Any, out: Any, ready: Any
) -> None:
    """``n`` WebSocket clients in one process, until ``stop`` is set.

    Each client keeps only (seq, receipt time) per delta; what a seq carries (its event
    keys) is the same on every connection, so it is read once per process. Reports the
    receipts, each client's seq stream, the drops and the seq -> event keys map.
    """

    async def main() -> None:
        loop = asyncio.get_running_loop()
        carries: dict[int, Carried] = {}
        streams: list[tuple[list[int], list[float]]] = []
        drops = [0]
        # Clients in step receive byte-identical frames: each distinct frame is parsed
        # once per process, so the measuring clients leave the cores to the server.
        read: dict[bytes, tuple[list[int], int | None]] = {}

        async def one() -> None:
            seqs: list[int] = []
            times: list[float] = []
            streams.append((seqs, times))
            start: list[int] = []

            def on_message(now: float, raw: bytes) -> None:
                parsed = read.get(raw)
                if parsed is None:
                    parsed = _read_frame(raw, carries)
                    if len(read) > 4096:
                        read.clear()
                    read[raw] = parsed
                seq_list, snap = parsed
                if snap is not None and not start and not seqs:
                    start.append(snap)  # the stream starts after it
                seqs.extend(seq_list)
                times.extend([now] * len(seq_list))

            first = True
            while not stop.is_set():
                # Like the wall's own client: dropped as too slow (4008), resume with since.
                last = seqs[-1] if seqs else (start[0] if start else None)
                resume = f"&since={last}" if last is not None else ""
                url = path + resume
                try:
                    _, proto = await loop.create_connection(
                        lambda url=url: RawWebSocket(url, on_message),
                        "127.0.0.1",
                        port,  # type: ignore[misc]
                    )
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                if not await proto.ready:
                    await asyncio.sleep(0.2)
                    continue
                if first:
                    # The wall's stream starts at its snapshot: anything posted before it
                    # arrived may be in the snapshot rather than a delta.
                    while snapshot and not start and not proto.closed.done():
                        await asyncio.sleep(0.05)
                    ready.put(1)
                    first = False
                beat = time.monotonic()
                while not stop.is_set() and not proto.closed.done():
                    await asyncio.wait({proto.closed}, timeout=0.5)
                    if not proto.closed.done() and time.monotonic() - beat > 5:
                        proto.send_text(b'{"type":"heartbeat"}')  # as the wall page does
                        beat = time.monotonic()
                if proto.closed.done():
                    drops[0] += 1
                elif proto.transport is not None:
                    proto.transport.close()

        await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
        out.put((streams, drops[0], carries))

    asyncio.run(main())


class Clients:
    """``total`` clients in ``CLIENT_PROCS`` processes, connected on entry."""

    def __init__(self, port: int, path: str, total: int, snapshot: bool) -> None:
        ctx = mp.get_context("spawn")
        self.out, ready, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        per = total // CLIENT_PROCS
        self.procs = [
            ctx.Process(
                target=_clients_proc, args=(port, path, per, snapshot, self.stop, self.out, ready)
            )
            for _ in range(CLIENT_PROCS)
        ]
        for p in self.procs:
            p.start()
        for _ in range(per * CLIENT_PROCS):
            ready.get(timeout=60)
        self.count = per * CLIENT_PROCS

    def collect(
        self, drain_s: float
    ) -> tuple[list[tuple[list[int], list[float]]], int, dict[int, Carried]]:
        """Let late deltas arrive for ``drain_s``, stop the clients, merge what they saw."""
        time.sleep(drain_s)
        self.stop.set()
        streams: list[tuple[list[int], list[float]]] = []
        carries: dict[int, Carried] = {}
        drops = 0
        for _ in self.procs:
            s, dropped, c = self.out.get(timeout=120)
            streams += s
            drops += dropped
            carries.update(c)
        for p in self.procs:
            p.join(10)
            if p.is_alive():  # a straggler would keep eating CPU in the next phase's run
                p.terminate()
                p.join(5)
        return streams, drops, carries


def _stream_check(seqs: list[list[int]]) -> tuple[int, int]:
    gaps = dups = 0
    for s in seqs:
        dups += len(s) - len(set(s))
        gaps += sum(1 for a, b in pairwise(s) if b != a + 1 and b > a)
    return gaps, dups


def measure(
    port: int,
    path: str,
    clients: int,
    send: Any,
    *,
    snapshot: bool = True,
    drain_s: float = 3.0,
    server_pid: int | None = None,
    timeline: bool = False,
) -> tuple[dict[str, Any], list[float]]:
    """Connect ``clients`` (each past its snapshot when ``snapshot``), run ``send()``
    (returns event key -> sent time), compare what each client received. While ``send()``
    runs, CPU is counted for the server's process tree (``server_pid``), PostgreSQL and
    the whole machine, in cores."""
    group = Clients(port, path, clients, snapshot)
    server = server_pid or 0
    cpu0 = (tree_cpu_seconds(server), postgres_cpu_seconds(), machine_busy_seconds())
    t0 = time.time()
    sent: dict[str, float] = send()
    took = time.time() - t0
    cpu1 = (tree_cpu_seconds(server), postgres_cpu_seconds(), machine_busy_seconds())
    server_cores, pg_cores, busy_cores = ((b - a) / took for a, b in zip(cpu0, cpu1, strict=True))
    streams, drops, carries = group.collect(drain_s)
    delays: list[float] = []
    # Where the time goes: API call returned -> change written (intake, processing) and
    # change written -> client (the hub and the socket).
    to_change: list[float] = []
    to_client: list[float] = []
    for seqs, times in streams:
        for seq, t in zip(seqs, times, strict=True):
            keys, _, written = carries[seq]
            to_client.append((t - written) * 1000)
            for k in keys:
                at = sent.get(k)
                if at is not None:
                    delays.append((t - at) * 1000)
    for keys, _, written in carries.values():
        to_change += [(written - sent[k]) * 1000 for k in keys if k in sent]
    if timeline:
        _print_timeline(streams, carries)
    gaps, dups = _stream_check([s for s, _ in streams])
    expected = len(sent) * group.count
    got = {
        "events": len(sent),
        "events_per_s": round(len(sent) / took, 1),
        "deliveries": len(delays),
        "deliveries_expected": expected,
        "p50_ms": round(percentile(delays, 50), 2),
        "p99_ms": round(percentile(delays, 99), 2),
        "max_ms": round(max(delays, default=float("nan")), 1),
        "gaps": gaps,
        "duplicates": dups,
        "slow_client_drops": drops,
        "events_unlisted": sum(u for _, u, _ in carries.values()),
        "api_to_change_p50_ms": round(percentile(to_change, 50), 2),
        "api_to_change_p99_ms": round(percentile(to_change, 99), 2),
        "change_to_client_p50_ms": round(percentile(to_client, 50), 2),
        "change_to_client_p99_ms": round(percentile(to_client, 99), 2),
        "server_cpu_cores": round(server_cores, 2) if server_pid else None,
        "postgres_cpu_cores": round(pg_cores, 2),
        "machine_cpu_cores": round(busy_cores, 2),
    }
    return got, delays


def _print_timeline(
    streams: list[tuple[list[int], list[float]]], carries: dict[int, Carried]
) -> None:
    """Change -> client delay per quarter second of the run: shows whether a bad p99
    comes from one stall or from a run that is behind for seconds (CPU saturation)."""
    buckets: dict[int, list[float]] = {}
    t_first = min((t for _, ts in streams for t in ts), default=0.0)
    for seqs, times in streams:
        for seq, t in zip(seqs, times, strict=True):
            written = carries[seq][2]
            if written == written:  # the baseline's messages carry no write time (NaN)
                buckets.setdefault(int((t - t_first) * 4), []).append((t - written) * 1000)
    for b in sorted(buckets):
        v = buckets[b]
        print(
            f"    t={b / 4:5.2f} s  deliveries {len(v):6d}  change -> client p50 "
            f"{percentile(v, 50):6.1f}  p99 {percentile(v, 99):6.1f}  max {max(v):6.1f} ms",
            flush=True,
        )


def _line(name: str, f: dict[str, Any]) -> str:
    return (
        f"  {name}: {f['events_per_s']:,.0f} events/s, "
        f"{f['deliveries']:,}/{f['deliveries_expected']:,} deliveries, "
        f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, max {f['max_ms']:.0f} ms, "
        f"gaps {f['gaps']}, duplicates {f['duplicates']}, "
        f"slow-client drops {f['slow_client_drops']}, unlisted {f['events_unlisted']}"
        f"\n    (API -> change written p50/p99 {f['api_to_change_p50_ms']:.1f}/"
        f"{f['api_to_change_p99_ms']:.1f} ms; change -> client p50/p99 "
        f"{f['change_to_client_p50_ms']:.1f}/{f['change_to_client_p99_ms']:.1f} ms)"
        f"\n    (CPU in cores: server {f['server_cpu_cores'] or 0:.2f}, PostgreSQL "
        f"{f['postgres_cpu_cores']:.2f}, whole machine {f['machine_cpu_cores']:.2f})"
    )


# -- the baseline -----------------------------------------------------------------------------

BASELINE_SERVER = r"""
import asyncio, sys, websockets
clients = set()
async def handler(ws):
    if ws.request.path.startswith("/pub"):
        async for msg in ws:
            websockets.broadcast(clients, msg)
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)
async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def baseline(clients: int, calls: list[Call]) -> dict[str, Any]:
    """The same wall messages, on the same schedule, through a bare broadcast server."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", BASELINE_SERVER, str(port)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    todo = sorted(calls, key=lambda c: c.at)
    for i, c in enumerate(todo):
        if not c.message:  # an order: the order.created delta the wall would get
            body = orjson.loads(c.body)
            body.pop("reporter", None)
            c.keys = [f"order:b{i}"]
            c.message = orjson.dumps(
                {"type": "order.created", "id": f"b{i}", "order": body | {"id": f"b{i}"}}
            )

    async def publish() -> dict[str, float]:
        sent: dict[str, float] = {}
        async with websockets.connect(f"ws://127.0.0.1:{port}/pub") as ws:
            start = time.time() + 0.2
            for seq, c in enumerate(todo, 1):
                wait = start + c.at - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                # Numbered like the wall's deltas, so the clients check gaps the same way.
                await ws.send(b'{"seq":%d,' % seq + c.message[1:])
                now = time.time()
                for k in c.keys:
                    sent[k] = now
        return sent

    try:
        got, _ = measure(
            port,
            "/sub?x=1",
            clients,
            lambda: asyncio.run(publish()),
            snapshot=False,
            server_pid=proc.pid,
        )
    finally:
        proc.terminate()
        proc.wait(5)
    return got


# -- the browser ------------------------------------------------------------------------------


async def _post_orders(port: int, token: str, n: int, rate: float) -> list[str]:
    done = await _run_calls(port, order_calls(rate, n / rate, token))
    return [k.split(":", 1)[1] for k in done]


async def _dispatch_some(port: int, token: str, ids: list[str], rate: float) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = await HttpConnection.open(port)
    ok = 0
    start = time.time()
    try:
        for i, oid in enumerate(ids):
            wait = start + i / rate - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            status, _ = await conn.request(
                "POST", f"/api/v1/orders/{oid}/actions/dispatch", b"{}", headers
            )
            ok += status == 200
    finally:
        conn.close()
    return ok


def browser_frames(
    port: int, token: str, markers: int, updates_per_s: float, seconds: float
) -> dict[str, Any]:
    """Frame times of the wall page with ``markers`` orders while orders are dispatched."""
    from playwright.sync_api import sync_playwright

    ids = asyncio.run(_post_orders(port, token, markers, 800))
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = b.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"http://127.0.0.1:{port}/wallboard?token={token}")
        page.wait_for_function(
            "window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=60000
        )
        shown = page.evaluate("window.DC_APP.orders.markers.size")
        page.evaluate("""() => { window.__frames = []; let last = performance.now();
            const f = (t) => { window.__frames.push(t - last); last = t;
                requestAnimationFrame(f); };
            requestAnimationFrame(f); }""")
        before = page.evaluate("window.DC_APP.client.stats.deltas")
        random.shuffle(ids)
        # Playwright's sync API owns this thread's event loop: post from another thread.
        with ThreadPoolExecutor(1) as pool:
            ok = pool.submit(
                asyncio.run,
                _dispatch_some(port, token, ids[: int(updates_per_s * seconds)], updates_per_s),
            ).result()
        page.wait_for_timeout(1000)
        frames = page.evaluate("window.__frames.slice(1)")
        applied = page.evaluate("window.DC_APP.client.stats.deltas") - before
        b.close()
    return {
        "markers": shown,
        "updates_sent": ok,
        "updates_applied": applied,
        "frame_p50_ms": round(percentile(frames, 50), 1),
        "frame_p95_ms": round(percentile(frames, 95), 1),
        "frames": len(frames),
    }


# -- main -------------------------------------------------------------------------------------


def mixed_load(args: argparse.Namespace, token: str, key: str) -> list[Call]:
    """``args.rate`` events/s: ``args.orders`` orders/s, the rest feed readings (2/3 hydrology
    in payloads of 10, 1/3 crowd counts in payloads of 5)."""
    feed = max(0.0, args.rate - args.orders)
    calls = order_calls(args.orders, args.seconds, token) if args.orders else []
    calls += feed_calls("hydrology", feed * 2 / 3 / HYDRO_PER_PAYLOAD, args.seconds, key)
    calls += feed_calls("scenic_crowd", feed / 3 / CROWD_PER_PAYLOAD, args.seconds, key)
    return calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rate", type=float, default=1000, help="events/s, orders included")
    ap.add_argument("--orders", type=float, default=100, help="orders/s within --rate")
    ap.add_argument("--orders-only-rate", type=float, default=300)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--markers", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument(
        "--timeline", action="store_true", help="print the delay per quarter second of a phase"
    )
    args = ap.parse_args()
    if args.quick:
        args.clients, args.rate, args.orders, args.seconds = 20, 300, 30, 4
        args.orders_only_rate, args.markers = 100, 1000
    random.seed(6)
    feed_rate = args.rate - args.orders
    print(
        f"{args.clients} WebSocket clients; {args.rate:.0f} events/s for {args.seconds:.0f} s: "
        f"{args.orders:.0f} orders/s, {feed_rate * 2 / 3:.0f} hydrology readings/s in "
        f"{feed_rate * 2 / 3 / HYDRO_PER_PAYLOAD:.0f} payloads/s, {feed_rate / 3:.0f} crowd "
        f"counts/s in {feed_rate / 3 / CROWD_PER_PAYLOAD:.0f} payloads/s",
        flush=True,
    )
    with scratch_database() as url:
        password = secrets.token_urlsafe(12)
        key = secrets.token_urlsafe(16)
        # A production server: the demo's story would compete for the same two cores.
        # The two feed sources may send far above their default 20 payloads/s.
        env = production_env(
            url,
            REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            DISPATCH_FEED_KEYS=f"hydrology={key},scenic_crowd={key}",
            DISPATCH_FEED_LIMITS="hydrology=10000/10000/,scenic_crowd=10000/10000/",
        )
        create_user(env, "bench_dispatcher", "dispatcher", password, unit="511100")
        port = free_port()
        with run_server(env, port, workers=args.workers) as base_url:
            server_pid = SERVER_PIDS[base_url]
            token = sign_in(port, "bench_dispatcher", password)
            ws_path = f"/ws/wallboard?token={token}&batch=1"

            def phase(name: str, calls: list[Call]) -> dict[str, Any]:
                got, _ = measure(
                    port,
                    ws_path,
                    args.clients,
                    lambda: asyncio.run(_run_calls(port, calls)),
                    server_pid=server_pid,
                    timeline=args.timeline,
                )
                print(_line(name, got), flush=True)
                return got

            mixed = phase("mixed", mixed_load(args, token, key))
            print(f"orders only: {args.orders_only_rate:.0f} orders/s", flush=True)
            orders_only = phase(
                "orders only", order_calls(args.orders_only_rate, args.seconds, token)
            )
            frames: dict[str, Any] = {}
            if not args.skip_browser:
                print(f"browser: {args.markers} markers, 50 updates/s", flush=True)
                frames = browser_frames(port, token, args.markers, 50, 4 if args.quick else 10)
                print(
                    f"  frames: p50 {frames['frame_p50_ms']} ms, p95 {frames['frame_p95_ms']} ms "
                    f"({frames['markers']} markers, {frames['updates_applied']} updates applied)",
                    flush=True,
                )
        print("baseline: bare websockets broadcast server, same messages", flush=True)
        base = baseline(args.clients, mixed_load(args, token, key))
        print(_line("baseline", base), flush=True)
    report(
        "wallboard",
        figures={
            "clients": args.clients,
            "events_per_s_target": args.rate,
            "orders_per_s_target": args.orders,
            **{f"mixed_{k}": v for k, v in mixed.items()},
            "orders_only_per_s_target": args.orders_only_rate,
            **{f"orders_only_{k}": v for k, v in orders_only.items()},
            "server_workers": args.workers,
            "browser_markers": frames.get("markers"),
            "browser_updates_applied": frames.get("updates_applied"),
            "frame_p50_ms": frames.get("frame_p50_ms"),
            "frame_p95_ms": frames.get("frame_p95_ms"),
        },
        baselines={f"websockets_broadcast_{k}": v for k, v in base.items()},
        ratios={
            "p99_vs_bare_broadcast": round(mixed["p99_ms"] / base["p99_ms"], 2)
            if base["p99_ms"]
            else None
        },
        targets={"p99_ms": 100, "gaps": 0, "duplicates": 0, "frame_p95_ms": 50},
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
