"""Group commit: many callers waiting for a durable write share one transaction.

Every accepted payload must be committed before its 202 goes out, and a commit costs a WAL
flush. One transaction per payload makes the flush the limit (a few hundred per second on an
ordinary disk); sharing it between everyone who arrived while the previous flush was running
keeps each caller's guarantee (its row is committed before it hears back) at a fraction of the
cost. There is no waiting window: a lone caller is written at once, a crowd is written
together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Batch concurrent ``submit`` calls into calls of ``write``.

    Parameters
    ----------
    write
        Writes a batch durably and returns one result per item, in order. It either
        succeeds for the whole batch or raises (every caller of that batch gets the error).
    max_batch
        The most items written in one call.

    Examples
    --------
    >>> async def write(items):
    ...     return [i * 2 for i in items]
    >>> async def main():
    ...     gc = GroupCommit(write)
    ...     return await asyncio.gather(gc.submit(1), gc.submit(2))
    >>> asyncio.run(main())
    [2, 4]
    """

    def __init__(
        self, write: Callable[[Sequence[T]], Awaitable[Sequence[R]]], max_batch: int = 500
    ) -> None:
        self._write = write
        self.max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, item: T) -> R:
        """Queue ``item`` for the next write and wait until it is durable; its result."""
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        if self._task is None or self._task.done():
            # A task of its own, so a caller that gives up (client gone) cannot cancel the
            # write the others are waiting for.
            self._task = asyncio.create_task(self._drain(), name="group-commit")
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: len(batch)]
            try:
                results = await self._write([item for item, _ in batch])
            except BaseException as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    for _, fut in self._pending:
                        fut.cancel()
                    self._pending.clear()
                    raise
                continue
            self.batches += 1
            if len(results) != len(batch):  # a broken writer must not leave callers hanging
                err = RuntimeError(f"group write returned {len(results)} for {len(batch)}")
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(err)
                continue
            for (_, fut), res in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(res)
