"""One shape for the center's background loops (mode scheduler, supervision timer,
rollups, the daily report): start, stop, a step repeated after a pause, and a failure
logged once with its recovery logged once, so a loop that dies is never silent and a
flapping one never floods the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from datetime import datetime

log = logging.getLogger(__name__)


class BackgroundLoop(ABC):
    """Run :meth:`step` forever, sleeping what it returns (seconds) between runs.

    Examples
    --------
    >>> class Every(BackgroundLoop):
    ...     name = "demo"
    ...     async def step(self) -> float:
    ...         return 1.0
    >>> Every().failures
    0
    """

    #: Shown in logs and as the asyncio task's name.
    name = "background loop"
    #: Pause after a failed step, in seconds.
    retry_after = 5.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self.failures = 0
        self.last_ok_at: datetime | None = None

    @abstractmethod
    async def step(self) -> float | None:
        """Do one round of work; return how long to wait before the next, or ``None``
        when there is nothing more to do (e.g. the bus it listens to closed).
        """

    async def prepare(self) -> None:  # noqa: B027  (optional hook, empty by default)
        """Run once before the first step (e.g. warm a cache off the hot path)."""

    def start(self) -> None:
        """Start the loop in the running event loop (a second start is a no-op)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def alive(self) -> bool:
        """True while the loop's task runs."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        await self.prepare()
        while True:
            try:
                wait = await self.step()
                if wait is None:
                    return
                self.last_ok_at = datetime.now().astimezone()
                if self.failures:
                    log.info("%s recovered after %d failure(s)", self.name, self.failures)
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.failures == 0:
                    log.exception("%s failed; retrying every %.1fs", self.name, self.retry_after)
                self.failures += 1
                wait = self.retry_after
            await asyncio.sleep(wait)
