"""Group commit: concurrent callers share writes, and each hears its own result or error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from dispatch_center.intake.group_commit import GroupCommit


class Recorder:
    """A writer that records the batches it was given; slow enough for callers to pile up."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def write(self, items: Sequence[int]) -> list[str]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)
        if self.fail_on is not None and self.fail_on in items:
            raise OSError("disk full")
        return [f"id-{i}" for i in items]


def test_concurrent_callers_share_writes_and_get_their_own_result() -> None:
    rec = Recorder()

    async def main() -> list[str]:
        gc: GroupCommit[int, str] = GroupCommit(rec.write)
        return await asyncio.gather(*(gc.submit(i) for i in range(100)))

    results = asyncio.run(main())
    assert results == [f"id-{i}" for i in range(100)]
    assert sorted(i for b in rec.batches for i in b) == list(range(100))
    # All hundred arrived before the first write started: one transaction for all of them.
    assert len(rec.batches) == 1


def test_callers_arriving_during_a_write_go_together_in_the_next() -> None:
    rec = Recorder()

    async def main() -> None:
        gc: GroupCommit[int, str] = GroupCommit(rec.write)
        first = asyncio.create_task(gc.submit(0))
        await asyncio.sleep(0.002)  # the first write is now in flight
        await asyncio.gather(first, *(gc.submit(i) for i in range(1, 20)))

    asyncio.run(main())
    assert rec.batches == [[0], list(range(1, 20))]


def test_max_batch_splits_a_crowd() -> None:
    rec = Recorder()

    async def main() -> None:
        gc: GroupCommit[int, str] = GroupCommit(rec.write, max_batch=10)
        await asyncio.gather(*(gc.submit(i) for i in range(35)))

    asyncio.run(main())
    assert max(len(b) for b in rec.batches) == 10
    assert sorted(i for b in rec.batches for i in b) == list(range(35))


def test_a_failed_write_fails_only_its_own_batch() -> None:
    rec = Recorder(fail_on=5)

    async def main() -> list[object]:
        gc: GroupCommit[int, str] = GroupCommit(rec.write, max_batch=4)
        return await asyncio.gather(*(gc.submit(i) for i in range(10)), return_exceptions=True)

    results = asyncio.run(main())
    failed_batch = next(b for b in rec.batches if 5 in b)
    for i, res in enumerate(results):
        if i in failed_batch:
            assert isinstance(res, OSError)
        else:
            assert res == f"id-{i}"


def test_a_caller_giving_up_does_not_cancel_the_others_write() -> None:
    rec = Recorder()

    async def main() -> tuple[list[str], bool]:
        gc: GroupCommit[int, str] = GroupCommit(rec.write)
        quitter = asyncio.create_task(gc.submit(0))
        others = [asyncio.create_task(gc.submit(i)) for i in range(1, 5)]
        await asyncio.sleep(0)
        quitter.cancel()
        got = await asyncio.gather(*others)
        return got, quitter.cancelled()

    got, cancelled = asyncio.run(main())
    assert cancelled
    assert got == ["id-1", "id-2", "id-3", "id-4"]
    # The quitter's item was still written: it may already be durable when the client leaves.
    assert 0 in [i for b in rec.batches for i in b]


def test_a_writer_returning_the_wrong_count_fails_its_callers() -> None:
    async def short(items: Sequence[int]) -> list[str]:
        return ["only-one"]

    async def main() -> None:
        gc: GroupCommit[int, str] = GroupCommit(short)
        await asyncio.gather(gc.submit(1), gc.submit(2))

    with pytest.raises(RuntimeError, match="returned 1 for"):
        asyncio.run(main())
