"""Revocation without a database round trip per request: each user's token generation,
held in every process and kept current across workers.

A token carries the generation its user had when it was issued; logout, a password change
and deactivation give the user a new one (:func:`dispatch_center.store.accounts.
revoke_tokens`), which ends every older token. Checking that costs a dictionary lookup:

- At start the :class:`TokenLedger` reads every user's generation. The worker that revokes
  notes the new generation itself before it answers, and announces it on the bus
  (:data:`TOKENS_CHANNEL`); every other worker's :class:`TokenFollower` then reads the rows
  above the highest generation it has seen (one indexed query), within milliseconds.
- A lost announcement (a Redis reconnect) costs at most ``sync_s``: the follower reads the
  same way after that much silence, and when it resubscribes.
- The cache is trusted only while fresh (synced within ``max_stale_s``). A stale ledger (the
  follower failing), an unknown user, or a token *newer* than what the worker has seen (a
  sign-in on another worker after a revocation) costs one read of that user's row, so the
  answer is never wrong for longer than the follower's bounds, and fails closed (503) when
  the database cannot be asked.

A wall screen's token names its wall link (:mod:`dispatch_center.store.wall_links`) and
ignores its issuer's generation: signing out does not end it. The ledger also holds the
ids of the revoked links (still unexpired), read and announced the same way: a link's
revocation draws a generation from the same sequence, so one more indexed query per sync
covers it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from dispatch_center.accounts.security import Principal
from dispatch_center.background import BackgroundLoop
from dispatch_center.bus.base import BusClosed, BusError, SubscriptionLost
from dispatch_center.center import Center
from dispatch_center.errors import Unauthorized, Unavailable
from dispatch_center.store import accounts as store
from dispatch_center.store import wall_links as wall_store

log = logging.getLogger(__name__)

#: Bus channel of the announcements "some user's tokens were revoked".
TOKENS_CHANNEL = "accounts"

REVOKED = "token revoked: sign in again"


@dataclass(frozen=True)
class Standing:
    """A user's token generation, and whether the account is active."""

    generation: int
    active: bool


class TokenLedger:
    """Every user's token generation as this process knows it (a runtime on the center).

    Examples
    --------
    >>> from dispatch_center.core.roles import Role
    >>> ledger = TokenLedger(None, sync_s=2.0)  # type: ignore[arg-type]
    >>> ledger.note("duty", 7, True)
    >>> ledger.revoked(Principal("duty", Role.duty_officer, generation=6))
    True
    >>> ledger.revoked(Principal("duty", Role.duty_officer, generation=7))
    False

    A wall link's token outlives its issuer's new generation (a sign-out), not its link:

    >>> ledger.note_links_revoked([3])
    >>> ledger.revoked(Principal("duty", Role.duty_officer, None, "wall", 6, link=4))
    False
    >>> ledger.revoked(Principal("duty", Role.duty_officer, None, "wall", 6, link=3))
    True
    """

    def __init__(
        self,
        center: Center,
        *,
        sync_s: float,
        max_stale_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.center = center
        self.sync_s = sync_s
        # Three missed polls, and never under five seconds (a busy loop is not a dead one).
        self.max_stale_s = max_stale_s if max_stale_s is not None else max(5.0, 3 * sync_s)
        self.clock = clock
        self._known: dict[str, Standing] = {}
        # The highest generation read from the table: only a sync moves it (a generation
        # noted locally may be above one another worker committed that this one has not
        # read yet).
        self._high = -1
        # The wall links revoked (and not yet expired), and the highest revocation read.
        self._revoked_links: set[int] = set()
        self._links_high = -1
        self._synced_at: float | None = None
        self._sync_lock = asyncio.Lock()
        self.reads = 0  # single-user reads, for tests and /readyz

    @property
    def fresh(self) -> bool:
        """Whether the cache was synced within ``max_stale_s``."""
        synced = self._synced_at
        return synced is not None and self.clock() - synced < self.max_stale_s

    def note(self, username: str, generation: int, active: bool) -> None:
        """Record a user's standing; an older generation than known is ignored."""
        known = self._known.get(username)
        if known is None or generation >= known.generation:
            self._known[username] = Standing(generation, active)

    async def sync(self) -> int:
        """Read the users whose generation rose since the last sync; how many."""
        async with self._sync_lock:
            started = self.clock()
            async with self.center.db.connection() as conn:
                rows = await store.token_generations(conn, self._high)
                links = await wall_store.revoked_after(conn, self._links_high)
            for row in rows:
                self.note(row["username"], row["token_generation"], row["active"])
                self._high = max(self._high, row["token_generation"])
            for link in links:
                self._revoked_links.add(link["id"])
                self._links_high = max(self._links_high, link["revoked_generation"])
            self._synced_at = started
            return len(rows) + len(links)

    def note_links_revoked(self, link_ids: Iterable[int]) -> None:
        """Record wall links revoked here (the bus tells the other workers)."""
        self._revoked_links.update(link_ids)

    def revoked(self, who: Principal) -> bool:
        """From the cache alone: whether ``who``'s token is known to be revoked (a live
        socket asks this every second; unknown users count as not revoked here).
        """
        known = self._known.get(who.username)
        if who.link is not None:
            return who.link in self._revoked_links or (known is not None and not known.active)
        return known is not None and (who.generation < known.generation or not known.active)

    async def check(self, who: Principal) -> None:
        """:class:`Unauthorized` when ``who``'s token was revoked (see the module's notes
        on when this reads the database).
        """
        known = self._known.get(who.username)
        if who.link is not None:
            await self._check_link(who, known)
            return
        if known is not None and who.generation <= known.generation and self.fresh:
            if who.generation < known.generation or not known.active:
                raise Unauthorized(REVOKED)
            return
        standing = await self._read(who.username)
        if standing is None or not standing.active or who.generation != standing.generation:
            raise Unauthorized(REVOKED)

    async def _check_link(self, who: Principal, known: Standing | None) -> None:
        # A wall link's token: its issuer's account must be active and the link unrevoked;
        # the issuer's generation (their sign-outs) does not matter.
        if known is not None and self.fresh:
            if not known.active or who.link in self._revoked_links:
                raise Unauthorized(REVOKED)
            return
        standing = await self._read(who.username)
        if standing is None or not standing.active:
            raise Unauthorized(REVOKED)
        assert who.link is not None
        try:
            async with self.center.db.connection() as conn:
                link = await wall_store.standing(conn, who.link)
        except (psycopg.Error, OSError) as exc:
            raise Unavailable("cannot check the token now: the database does not answer") from exc
        if link is None or link["revoked"]:
            raise Unauthorized(REVOKED)

    async def _read(self, username: str) -> Standing | None:
        self.reads += 1
        try:
            async with self.center.db.connection() as conn:
                row = await store.token_standing(conn, username)
        except (psycopg.Error, OSError) as exc:
            # Fail closed: a token that cannot be checked is not accepted.
            raise Unavailable("cannot check the token now: the database does not answer") from exc
        if row is None:
            return None
        self.note(username, row["token_generation"], row["active"])
        return Standing(row["token_generation"], row["active"])

    def readiness_checks(self) -> dict[str, Any]:
        """``/readyz``: how current this worker's view of revocations is (never "down":
        a stale ledger checks each token against the database instead).
        """
        age = self.clock() - self._synced_at if self._synced_at is not None else None
        return {
            "token_ledger": {
                "fresh": self.fresh,
                "synced_age_s": round(age, 3) if age is not None else None,
                "users": len(self._known),
                "single_reads": self.reads,
            }
        }


class TokenFollower(BackgroundLoop):
    """Keep the ledger current: sync on every announcement, and after ``sync_s`` of
    silence; poll alone while the bus cannot be subscribed to. Ends when the bus closes.
    """

    name = "token ledger follower"

    def __init__(self, ledger: TokenLedger) -> None:
        super().__init__()
        self.ledger = ledger
        # Revocations must not wait for long: retry soon.
        self.retry_after = min(1.0, ledger.sync_s)

    async def step(self) -> float | None:
        """Follow the announcements until the subscription is lost (then resubscribe)."""
        try:
            async with self.ledger.center.bus.subscribe(TOKENS_CHANNEL) as sub:
                # Subscribed first, then read: nothing announced in between is missed.
                await self.ledger.sync()
                while True:
                    await sub.get(timeout=self.ledger.sync_s)
                    await self.ledger.sync()
        except SubscriptionLost:
            log.warning("token announcements lost: reading revocations from the database")
            await self.ledger.sync()
            return 0.0
        except BusClosed:
            return None
        except BusError:
            # No bus now: poll, and try to subscribe again after one interval.
            await self.ledger.sync()
            return self.ledger.sync_s


async def start_ledger(center: Center) -> TokenFollower:
    """Read every user's generation, attach the ledger, start its follower."""
    ledger = center.runtimes.attach(TokenLedger(center, sync_s=center.settings.token_sync_s))
    await ledger.sync()
    follower = TokenFollower(ledger)
    follower.start()
    return follower


async def announce_revocation(
    center: Center, username: str, standing: Standing | None, links: Iterable[int] = ()
) -> None:
    """After a revocation committed (a user's tokens, and/or some of the wall links): note
    it here at once, and wake the other workers (a failed publish is only logged: their
    next poll finds it).
    """
    ledger = center.runtimes.find(TokenLedger)
    if ledger is not None:
        if standing is not None:
            ledger.note(username, standing.generation, standing.active)
        ledger.note_links_revoked(links)
    try:
        await center.bus.publish(TOKENS_CHANNEL, {"kind": "tokens.revoked"})
    except Exception as exc:
        log.warning("announcing a revocation failed (other workers poll for it): %s", exc)
