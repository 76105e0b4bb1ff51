"""The daily report made on schedule: yesterday's, at 08:00 Asia/Shanghai, once a day."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.reporting.render import FORMATS
from dispatch_center.reporting.reports import generate, period_of
from dispatch_center.store import analysis as store

log = logging.getLogger(__name__)

SCHEDULE_HOUR = 8  # the daily report is made at 08:00 Asia/Shanghai


class DailyReportScheduler(BackgroundLoop):
    """Makes yesterday's daily report at 08:00 Asia/Shanghai, once per day (kept with files).

    Several workers may run it: the report is made only when none was made by the
    schedule for that day yet, checked under an advisory lock.
    """

    name = "daily report schedule"
    retry_after = 3600.0  # a failed report is tried again within the hour

    def __init__(self, center: Any) -> None:
        super().__init__()
        self.center = center

    def seconds_until_next(self, now: datetime) -> float:
        """Seconds from ``now`` to the next 08:00 local time."""
        at = datetime.combine(now.date(), time(SCHEDULE_HOUR), now.tzinfo)
        if at <= now:
            at += timedelta(days=1)
        return (at - now).total_seconds()

    async def run_once(self) -> dict[str, Any] | None:
        """Make yesterday's daily report unless the schedule already made it."""
        now = self.center.now()
        if now.hour < SCHEDULE_HOUR:
            return None
        period = period_of("daily", now.date() - timedelta(days=1))
        async with self.center.db.connection() as conn, conn.transaction():
            await store.lock_report_schedule(conn)
            if await store.has_report(conn, "daily", period.start, "schedule"):
                return None
            rec = await generate(
                self.center, period, trigger="schedule", by="schedule", formats=FORMATS
            )
        log.info("daily report %s made on schedule", period.key)
        return rec

    async def step(self) -> float:
        """Make the report if due (also catches up after a restart past 08:00)."""
        await self.run_once()
        return min(self.seconds_until_next(self.center.now()) + 1, 3600)
