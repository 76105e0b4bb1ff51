"""Processing a batch of queued payloads: decode → rules → events → orders → mode triggers.

Each payload is normalized (its catalogue adapter, or its channel's decoder) and put through
:func:`feeds.rules.apply_rules`. The batch's new events go into one transaction, deduplicated
on (system, source_id), with the live layer state and the change-log rows that tell the wall.
Then each payload's drafts become orders (``orders.service.create_order``, idempotent on
source + source_id), its conditions go to the mode triggers, and the channel's and the
system's after-work runs (an SMS released, a CAP chain kept).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid
from dispatch_center.intake.conditions import condition_source, ended_why, expired, trigger_event
from dispatch_center.intake.events import event_changes, event_row
from dispatch_center.intake.flood import mark_receded
from dispatch_center.intake.layers import LiveLayers
from dispatch_center.intake.payloads import (
    ChannelSource,
    DeadLetter,
    Decoded,
    Hook,
    Made,
    ProcessStats,
    QueueItem,
    Row,
)
from dispatch_center.models import OrderCreate
from dispatch_center.modeswitch import suggestions as modes
from dispatch_center.orders import service as order_service
from dispatch_center.store import changes, feed_events
from dispatch_center.store import channels as channel_store
from dispatch_center.store.changes import Change
from dispatch_center.store.feed_events import EventRow
from feeds.base import OrderDraft, PayloadError
from feeds.registry import Catalogue
from feeds.rules import TriggerInput, apply_rules

log = logging.getLogger(__name__)

# Payloads decoded between two yields to the event loop while processing a batch.
YIELD_EVERY = 8


def keep_private(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` readable by the center's own user only (0600, in a
    0700 folder), whatever the process's umask: citizens' photos, letters and mail.

    Files are named by their content's hash, so one already there is the same file.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()) / "attachments"
    >>> keep_private(d / "a.txt", b"x")
    >>> oct(d.stat().st_mode & 0o777), oct((d / "a.txt").stat().st_mode & 0o777)
    ('0o700', '0o600')
    """
    folder = target.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is cut by the umask, and an older folder kept what it had: set it.
    os.chmod(folder, 0o700)
    if target.exists():
        os.chmod(target, 0o600)
        return
    # A temporary file opened 0600 from the start, then renamed: never readable by others,
    # never seen half-written.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Processor:
    """Processes queued payloads for one process's intake.

    Parameters
    ----------
    center
        The running center.
    catalogue
        The connected systems (their adapters normalize catalogue payloads).
    channels
        The intake channels by name (their decoders handle channel payloads).
    hooks
        After-work of a system once its payload's orders exist, by system.
    layers
        This process's live layers: new events are folded in, and a river reading is
        checked against a standing flood alert. None: no live layers are kept.
    stats
        Counters to update.
    dead_letter
        Keeps a payload its adapter now refuses (a replayed or reclaimed one).
    """

    def __init__(
        self,
        center: Center,
        catalogue: Catalogue,
        *,
        channels: Mapping[str, ChannelSource],
        hooks: Mapping[str, Hook],
        layers: LiveLayers | None,
        stats: ProcessStats,
        dead_letter: DeadLetter,
    ) -> None:
        self.center = center
        self.catalogue = catalogue
        self.channels = channels
        self.hooks = hooks
        self.layers = layers
        self.stats = stats
        self.dead_letter = dead_letter
        # What of each event kind the wall's deltas may carry (the catalogue's allow-lists).
        self.public_values = catalogue.public_values()

    async def decode(self, item: QueueItem) -> Decoded:
        """Normalize one queued payload (catalogue adapter or channel decoder)."""
        if item.system in self.catalogue:
            items = item.items
            if items is None:
                items = self.catalogue[item.system].normalize(
                    item.payload, received_at=item.received_at
                )
            return Decoded(items)
        return await self.channels[item.system].decode(self, item.payload, item.received_at)

    async def process_batch(self, batch: Sequence[QueueItem]) -> None:
        """Process queued payloads: events in one transaction, then orders and triggers."""
        outcomes = []
        rows: list[EventRow] = []
        for n, item in enumerate(batch):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                # Decoding a batch is pure CPU; the same event loop sends the wall's deltas
                # and answers requests, so let them in between payloads.
                await asyncio.sleep(0)
            try:
                d = await self.decode(item)
            except PayloadError as exc:  # a replayed or reclaimed payload the adapter now refuses
                await self.dead_letter(
                    item.system, item.payload, item.content_type, item.received_at, exc
                )
                continue
            live = self.layers.entries if self.layers is not None else {}
            out = apply_rules([mark_receded(e, live) for e in d.items])
            outcomes.append((item, d, out))
            rows.extend(event_row(e) for e in out.events)
        now = self.center.now()
        logged: list[Change] = []
        async with self.center.db.connection() as conn, conn.transaction():
            received = max((i.received_at for i in batch), default=now)
            fresh = await feed_events.record_events(conn, rows, received)
            self.stats.events_new += len(fresh)
            self.stats.events_duplicate += len(rows) - len(fresh)
            for kind, entity, payload in event_changes(fresh, self.public_values):
                logged.append(await changes.append_change(conn, now, kind, entity, payload))
        await publish_changes(self.center, logged)
        if self.layers is not None:
            self.layers.changed(fresh)
        for item, d, out in outcomes:
            made: Made = []
            for draft in out.drafts:
                made.append((draft, await self.create_order(item.system, draft)))
            for trig in out.triggers:
                await self.submit_trigger(trig, item.system)
            if d.after is not None:
                await d.after(made)
            hook = self.hooks.get(item.system)
            if hook is not None:
                await hook(self.center, item.payload, d.items, made)
            self.stats.payloads += 1

    async def create_order(self, system: str, draft: OrderDraft) -> Row | None:
        """Make the order of a draft (idempotent on source + source_id); None if refused."""
        who = Principal(f"feed:{system}", Role.dispatcher)
        if draft.received_at is not None:
            late = order_service.received_at_problem(self.center, who, draft.received_at)
            if late is not None:
                # The citizen's request is not lost over its date (a mail client's Date
                # header, a replay beyond the window): it is dated when processed.
                log.info("draft from %s: received_at %s; dated now", system, late)
                draft = dataclasses.replace(draft, received_at=None)
        body = draft.to_order_body()
        for attempt in range(2):
            try:
                view, created = await order_service.create_order(
                    self.center, who, OrderCreate.model_validate(body)
                )
            except (Invalid, ValidationError) as exc:
                if attempt == 0:
                    # A code our taxonomy lacks or a reporter number the form refuses must
                    # not lose the citizen's request: route it by type alone, unnamed.
                    log.info("draft from %s adjusted: %s", system, exc)
                    body = {**body, "category": {"type": body["category"]["type"]}}
                    body.pop("reporter", None)
                    continue
                log.warning("draft from %s refused: %s", system, exc)
                return None
            if created:
                self.stats.orders_created += 1
            else:
                self.stats.orders_existing += 1
            await self._attachments(draft, view)
            return view
        return None

    async def _attachments(self, draft: OrderDraft, view: Row) -> None:
        if not draft.attachments and not draft.extra.get("recording_url"):
            return
        folder = Path(self.center.settings.data_dir) / "attachments"
        order_id = int(view["id"])
        source = draft.source or draft.channel
        source_id = draft.source_id or str(order_id)
        async with self.center.db.connection() as conn:
            for att in draft.attachments:
                path = None
                size = None
                if att.content:
                    digest = hashlib.sha256(att.content).hexdigest()
                    target = folder / f"{digest}{Path(att.filename).suffix[:10]}"
                    await asyncio.to_thread(keep_private, target, att.content)
                    path, size = str(target), len(att.content)
                await channel_store.attachment_insert(
                    conn,
                    source=source,
                    source_id=source_id,
                    order_id=order_id,
                    filename=att.filename,
                    content_type=att.content_type,
                    path=path,
                    url=att.url,
                    size=size,
                )
            rec = draft.extra.get("recording_url")
            if rec:
                await channel_store.attachment_insert(
                    conn,
                    source=source,
                    source_id=source_id,
                    order_id=order_id,
                    filename="recording",
                    content_type="audio/*",
                    path=None,
                    url=str(rec),
                    size=None,
                )

    async def submit_trigger(self, trig: TriggerInput, system: str = "weather_cap") -> None:
        """Hand a feed condition to the mode triggers (they suggest; people decide).

        A CAP warning that ended (Cancel, or an Update below the threshold), or a river back
        under its warning level, withdraws the open suggestion it held up, with the feed as
        the one who withdrew it.
        """
        if trig.kind == "cap" and trig.active and expired(trig, self.center.now()):
            # A warning that arrives already expired (a late delivery, a replayed dead
            # letter) must not put a suggestion in front of the HQ for the sweep to take
            # back seconds later: it is treated as ended.
            trig = dataclasses.replace(trig, active=False, detail={**trig.detail, "expired": True})
        if trig.kind in ("cap", "gauge") and not trig.active:
            try:
                await modes.end_condition(
                    self.center, condition_source(trig), by=f"feed:{system}", why=ended_why(trig)
                )
            except Exception as exc:  # must never block the intake; the sweep retries
                log.warning("mode trigger %s (ended) failed: %s", trig.key, exc)
            return
        event = trigger_event(trig)
        if event is None:
            return
        try:
            got = await modes.submit_trigger(self.center, event)
        except Exception as exc:  # a suggestion must never block the intake
            log.warning("mode trigger %s failed: %s", trig.key, exc)
            return
        if got is not None:
            self.stats.triggers += 1
