"""Delivery reports that name a gateway reference no message carries yet are kept in the
database: Kannel is answered 200 and never calls again, so a report kept in one process's
memory was lost on a restart and unseen by the worker that records the reference.

Each test runs real centers (:func:`~dispatch_center.app.start_center`) on one scratch
PostgreSQL database, as two workers or a worker before and after a restart would; only
the SMS gateway, an outside system, is a stand-in that answers with a fixed reference.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from dispatch_center.app import start_center, stop_center
from dispatch_center.center import Center
from dispatch_center.messaging import outbox as messaging
from dispatch_center.messaging.gateways import DeliveryReport, SmsToSend
from dispatch_center.settings import Settings
from dispatch_center.store import outbox as store
from dispatch_center.store.database import Database
from tests.citizen.conftest import unique_mobile

T = TypeVar("T")
SECRET = "parked-reports-test-key-Qm4vR8tLx2Wz7Nc5"


class FixedRefGateway:
    """An SMS gateway that takes every text and answers with one reference."""

    name = "fixed-ref"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.sent: list[SmsToSend] = []

    async def send(self, sms: SmsToSend) -> str | None:
        self.sent.append(sms)
        return self.ref

    async def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the module (the centers' pools belong to it)."""
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="module")
def database(make_database: Callable[[], str]) -> str:
    return make_database()


@pytest.fixture
def run(runner: asyncio.Runner) -> Callable[[Coroutine[Any, Any, T]], T]:
    return runner.run


@pytest.fixture
def new_center(runner: asyncio.Runner, database: str) -> Iterator[Callable[[], Center]]:
    """``new_center()`` → one more started center (a worker) on the module's database."""
    started: list[Center] = []

    def make() -> Center:
        settings = Settings(database_url=database, secret_key=SECRET, sms_quiet_hours="")
        c = runner.run(start_center(settings))
        started.append(c)
        return c

    yield make
    for c in started:
        runner.run(stop_center(c))


def unique_ref() -> str:
    return "ref-" + unique_mobile()


async def sent_message(center: Center, ref: str | None) -> int:
    """A text the gateway took, its reference recorded (no parked report applied)."""
    now = center.now()
    async with center.db.connection() as conn:
        row = await store.enqueue(
            conn,
            {
                "channel": "sms",
                "recipient": unique_mobile(),
                "body": "您的工单已受理",
                "ref_kind": "test",
                "ref_id": "1",
                "at": now,
            },
        )
        await store.mark_sent(conn, row["id"], now, ref)
    return int(row["id"])


async def message(center: Center, message_id: int) -> dict[str, Any]:
    async with center.db.connection() as conn:
        row = await store.get_message(conn, message_id)
    assert row is not None
    return row


async def parked(center: Center, ref: str) -> dict[str, Any] | None:
    async with center.db.connection() as conn:
        return await store.parked_report(conn, ref)


def test_report_parked_by_one_worker_is_applied_when_another_records_the_reference(
    run: Callable[[Coroutine[Any, Any, Any]], Any], new_center: Callable[[], Center]
) -> None:
    first, second = new_center(), new_center()
    ref = unique_ref()
    report = DeliveryReport("delivered", gateway_ref=ref, detail="DELIVRD")
    assert run(messaging.receive_report(first, report)) is None
    assert run(parked(second, ref)) is not None

    async def send_on_second() -> tuple[int, dict[str, int]]:
        async with second.db.connection() as conn:
            row = await store.enqueue(
                conn,
                {
                    "channel": "sms",
                    "recipient": unique_mobile(),
                    "body": "您的工单已受理",
                    "ref_kind": "test",
                    "ref_id": "2",
                    "at": second.now(),
                },
            )
        chans = messaging.channels_of(second)
        chans.gateway = FixedRefGateway(ref)
        try:
            return int(row["id"]), await messaging.deliver_pending(second)
        finally:
            chans.gateway = None

    message_id, counts = run(send_on_second())
    assert counts["sent"] >= 1
    m = run(message(second, message_id))
    assert (m["status"], m["dlr_status"], m["gateway_ref"]) == ("delivered", "DELIVRD", ref)
    assert m["delivered_at"] is not None and m["error"] is None
    assert run(parked(second, ref)) is None


def test_parked_report_survives_a_restart(
    run: Callable[[Coroutine[Any, Any, Any]], Any],
    database: str,
    new_center: Callable[[], Center],
) -> None:
    before = run(start_center(Settings(database_url=database, secret_key=SECRET)))
    ref = unique_ref()
    run(
        messaging.receive_report(
            before, DeliveryReport("failed", gateway_ref=ref, detail="UNDELIV")
        )
    )
    run(stop_center(before))
    after = new_center()
    message_id = run(sent_message(after, ref))
    assert run(messaging.reconcile(after)) == 1
    m = run(message(after, message_id))
    assert (m["status"], m["error"], m["dlr_status"]) == ("failed", "UNDELIV", "UNDELIV")
    assert run(parked(after, ref)) is None


def test_expired_report_is_dropped(
    run: Callable[[Coroutine[Any, Any, Any]], Any],
    new_center: Callable[[], Center],
    caplog: pytest.LogCaptureFixture,
) -> None:
    center = new_center()
    ref = unique_ref()
    run(messaging.receive_report(center, DeliveryReport("delivered", gateway_ref=ref)))
    assert run(parked(center, ref)) is not None
    started = center.now()
    center.clock = lambda: started + messaging.PARKED_FOR + timedelta(seconds=1)
    with caplog.at_level(logging.WARNING, logger="dispatch_center.messaging.outbox"):
        assert run(messaging.reconcile(center)) == 0
    assert run(parked(center, ref)) is None
    assert any("dropped" in r.getMessage() for r in caplog.records)
    message_id = run(sent_message(center, ref))
    assert run(messaging.reconcile(center)) == 0
    assert run(message(center, message_id))["status"] == "sent"


def test_a_final_report_is_kept_over_a_sent_one_and_never_undoes_a_final_state(
    run: Callable[[Coroutine[Any, Any, Any]], Any], new_center: Callable[[], Center]
) -> None:
    center = new_center()
    ref, other = unique_ref(), unique_ref() + "b"
    for state, detail in (("delivered", "DELIVRD"), ("sent", "ENROUTE")):
        run(messaging.receive_report(center, DeliveryReport(state, gateway_ref=ref, detail=detail)))
    for state, detail in (("sent", "ENROUTE"), ("failed", "REJECTD")):
        run(
            messaging.receive_report(
                center, DeliveryReport(state, gateway_ref=other, detail=detail)
            )
        )
    kept = run(parked(center, ref))
    assert kept is not None and (kept["state"], kept["detail"]) == ("delivered", "DELIVRD")
    kept = run(parked(center, other))
    assert kept is not None and (kept["state"], kept["detail"]) == ("failed", "REJECTD")

    # The message with ``other`` was settled meanwhile (a report naming our id): kept so.
    done = run(sent_message(center, other))
    run(messaging.receive_report(center, DeliveryReport("delivered", outbox_id=done)))
    run(messaging.reconcile(center))
    m = run(message(center, done))
    assert (m["status"], m["error"]) == ("delivered", None)
    assert run(parked(center, other)) is None


def test_two_workers_reconciling_at_once_apply_each_report_once(
    run: Callable[[Coroutine[Any, Any, Any]], Any], new_center: Callable[[], Center]
) -> None:
    first, second = new_center(), new_center()
    refs = [f"{unique_ref()}-{i}" for i in range(40)]

    async def setup() -> list[int]:
        for ref in refs:
            await messaging.receive_report(first, DeliveryReport("delivered", gateway_ref=ref))
        return [await sent_message(second, ref) for ref in refs]

    ids = run(setup())

    async def both() -> list[int]:
        return list(
            await asyncio.gather(*(messaging.reconcile(c) for c in (first, second, first, second)))
        )

    applied = run(both())
    assert sum(applied) == len(refs), applied
    for message_id in ids:
        assert run(message(first, message_id))["status"] == "delivered"
    assert all(run(parked(first, ref)) is None for ref in refs)


def test_report_the_database_could_not_take_is_kept_in_memory_until_it_can(
    run: Callable[[Coroutine[Any, Any, Any]], Any],
    new_center: Callable[[], Center],
    free_port: Callable[[], int],
) -> None:
    center = new_center()
    ref = unique_ref()
    real = center.db
    # Nothing listens on the port: as when PostgreSQL is down.
    away = Database(
        f"postgresql://postgres@127.0.0.1:{free_port()}/x", min_size=0, acquire_timeout=1
    )

    async def while_away() -> None:
        await away.pool.open(wait=False)
        center.db = away
        try:
            report = DeliveryReport("delivered", gateway_ref=ref, detail="DELIVRD")
            assert await messaging.receive_report(center, report) is None
        finally:
            center.db = real
            await away.close()

    run(while_away())
    assert ref in messaging.channels_of(center).parked
    assert run(parked(center, ref)) is None
    assert run(messaging.reconcile(center)) == 0  # handed to the database now
    assert not messaging.channels_of(center).parked
    assert run(parked(center, ref)) is not None
    message_id = run(sent_message(center, ref))
    assert run(messaging.reconcile(center)) == 1
    assert run(message(center, message_id))["status"] == "delivered"
