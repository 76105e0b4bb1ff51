"""The demo's outside world: every connected system and the hotline, played in real time.

``feeds.simulate.generate`` scripts a scenario over a window; here the window is the next ten
minutes of real time, so every payload carries a true timestamp. The story (a flood morning,
a Golden Week afternoon) is told once in those ten minutes, ``DENSITY`` generators strong so
the wall is busy; then a calm day follows (the ``normal`` scenario at its realistic rates),
ten minutes at a time, for as long as the demo runs. One first payload per system at start
makes every feed show its health at once.

Payloads go through :meth:`Ingest.accept` exactly like a real source's (validation, dead
letters, durable queue, dedupe); hotline calls (``phone``) are orders a seat has taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.intake.errors import RateLimited
from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.payloads import payload_bytes
from dispatch_center.models import OrderCreate
from dispatch_center.orders import service as order_service
from feeds.base import PayloadError
from feeds.simulate import PHONE, SimulatedPayload, generate, opening_reports

log = logging.getLogger(__name__)

STORY = timedelta(minutes=10)
#: Calm windows over which a flood's rivers go back down after the story, and where in the
#: flood they start: the rivers are polled every five minutes, so the story's last reading
#: is the one half way through it.
RECESSION = 6
RECEDE_FROM = 0.5
RIVERS = "hydrology"
DENSITY = 12
SEAT = Principal("seat:simulated", Role.dispatcher)


def story(scenario: str, start: datetime, density: int = DENSITY) -> list[SimulatedPayload]:
    """The scenario told over :data:`STORY`, ``density`` seeds merged, in time order."""
    items: list[SimulatedPayload] = []
    for seed in range(density):
        items.extend(generate(scenario, start=start, end=start + STORY, seed=12345 + seed))  # type: ignore[arg-type]
    items.sort(key=lambda p: p.at)
    return items


def _calm(start: datetime, seed: int, after: str = "normal", n: int = 1) -> list[SimulatedPayload]:
    """The ``n``-th ten minutes of calm after the ``after`` story.

    The teams the story put out stay out: a flood's patrols keep reporting their positions,
    or the wall would show them out of contact ten minutes after the story. And a flood's
    rivers go down over :data:`RECESSION` windows, the flood played backwards, instead of
    dropping metres from one reading to the next.
    """
    end = start + STORY
    calm = generate("normal", start=start, end=end, seed=seed, teams_of=after)  # type: ignore[arg-type]
    if after != "flood" or n > RECESSION:
        return list(calm)
    span = (RECEDE_FROM * (1 - (n - 1) / RECESSION), RECEDE_FROM * (1 - n / RECESSION))
    items = [p for p in calm if p.system != RIVERS]
    items += generate("flood", start=start, end=end, seed=seed, systems=[RIVERS], progress=span)
    return sorted(items, key=lambda p: p.at)


def first_payloads(
    scenario: str, now: datetime, density: int = DENSITY
) -> tuple[list[SimulatedPayload], list[SimulatedPayload]]:
    """The hello from every system and the story, both starting at ``now``.

    One instant for both: the flood's CAP red warning is named after the time its story
    starts, so a hello made a moment before the story was a second warning over the same
    area, and the wall drew two identical polygons (one more each time the demo restarted
    its story). Made at the same instant, the hello's warning is the story's first message,
    and the center keeps it once.

    Examples
    --------
    >>> from feeds.cap import parse_cap
    >>> from feeds.payload import SHANGHAI
    >>> hello, told = first_payloads("flood", datetime(2026, 7, 12, 6, tzinfo=SHANGHAI), 1)
    >>> alerts = [parse_cap(p.payload) for p in hello + told if p.system == "weather_cap"]
    >>> len(alerts) > 1, len({a.identifier for a in alerts if a.msg_type == "Alert"})
    (True, 1)
    """
    return opening_reports(scenario, now), story(scenario, now, density)  # type: ignore[arg-type]


class Simulator:
    """Plays payloads at their time through the intake; a background task of the demo."""

    def __init__(self, center: Center, ingest: Ingest, scenario: str) -> None:
        self.center = center
        self.ingest = ingest
        self.scenario = scenario
        self.sent = 0
        self.refused = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start playing in the background (never blocks the start-up)."""
        self.task = asyncio.create_task(self.run(), name="demo-simulator")

    async def stop(self) -> None:
        """Stop playing."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def run(self) -> None:
        """Hello from every system, the story, then calm days for ever."""
        await asyncio.sleep(1.0)
        hello, told = await asyncio.to_thread(first_payloads, self.scenario, self.center.now())
        await self.play(hello)
        await self.play(told)
        log.info("demo: the %s story is told; a calm day follows", self.scenario)
        n = 0
        while True:
            n += 1
            start = self.center.now()
            calm = await asyncio.to_thread(_calm, start, 777 + n, self.scenario, n)
            await self.play(calm)

    async def play(self, items: Iterable[SimulatedPayload]) -> None:
        """Send each payload when its time comes."""
        for item in items:
            wait = (item.at - self.center.now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.send(item)

    async def send(self, item: SimulatedPayload) -> None:
        """One payload through the intake (a hotline call straight to an order)."""
        if item.system in self.center.settings.feed_poll:
            return  # the real system is polled: simulating it too would mix the two
        try:
            if item.system == PHONE:
                assert isinstance(item.payload, dict)
                await order_service.create_order(
                    self.center, SEAT, OrderCreate.model_validate(item.payload)
                )
            else:
                for _ in range(20):
                    try:
                        await self.ingest.accept(item.system, payload_bytes(item.payload))
                        break
                    except RateLimited as exc:
                        await asyncio.sleep(exc.retry_after)
            self.sent += 1
        except asyncio.CancelledError:
            raise
        except (PayloadError, Exception) as exc:  # a bad simulated payload is a dead letter
            self.refused += 1
            log.debug("simulated %s payload refused: %s", item.system, exc)
