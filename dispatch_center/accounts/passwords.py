"""Argon2 off the event loop.

Hashing or verifying a password costs tens of milliseconds of CPU and 64 MiB of memory
(Argon2id's defaults). Run on the event loop, 16 concurrent bad sign-ins held every other
request (``/healthz`` answered after 3.85 s in the review). :class:`PasswordWork` runs them
in a small thread pool of its own (the C library releases the GIL), at most ``threads`` at
a time, so a flood of sign-ins queues there instead of stalling the loop or exhausting the
default pool the rest of the center uses for files.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager

from dispatch_center.accounts.security import hash_password, verify_password
from dispatch_center.center import Center


class PasswordWork:
    """This process's Argon2 workers (a runtime on the center; see :func:`password_work`)."""

    def __init__(self, threads: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._slots = asyncio.Semaphore(threads)

    def slot(self) -> AbstractAsyncContextManager[None]:
        """One of the ``threads`` turns: hold it around a check, a verification and the
        bookkeeping that must see the check's result (sign-in throttling does).
        """
        return self._slots

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """:func:`~dispatch_center.accounts.security.verify_password` in the pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        """:func:`~dispatch_center.accounts.security.hash_password` in the pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, hash_password, password)

    def close(self) -> None:
        """Stop the threads (after the work queued)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def password_work(center: Center) -> PasswordWork:
    """The center's :class:`PasswordWork`, made on first use."""
    return center.runtimes.find(PasswordWork) or center.runtimes.attach(PasswordWork())


def stop_password_work(center: Center) -> None:
    """Stop the center's Argon2 threads, if it made any (at shutdown)."""
    work = center.runtimes.detach(PasswordWork)
    if work is not None:
        work.close()
