"""What the demo adds to a running center, and nothing else does: its accounts, the story of
a working day (and the flood morning's supervision session), and the simulated outside world.

The app factory imports this module only when the settings say ``demo`` or ``simulator``.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from dispatch_center.center import Center
from dispatch_center.demo.accounts import ensure_demo_accounts
from dispatch_center.demo.knowledge import seed_knowledge
from dispatch_center.demo.simulator import Simulator
from dispatch_center.demo.story import seed_flood_supervision, seed_story
from dispatch_center.desk.places import ensure_demo_places
from dispatch_center.intake.ingest import Ingest
from dispatch_center.knowledge.words import tokenizer_ready


async def prepare_demo(center: Center, password: str | None) -> None:
    """The demo accounts (with ``password``) and, once per database, the story and the
    knowledge base's demo articles.
    """
    settings = center.settings
    if password:
        await ensure_demo_accounts(center, password)
    await ensure_demo_places(center)
    if settings.demo_story:
        # The knowledge base's tokenizer loads in a thread while the story is written.
        tokenizer = asyncio.ensure_future(tokenizer_ready())
        await seed_story(center)
        await tokenizer
        # The knowledge base the desk answers consultations from (demo content).
        await seed_knowledge(center)
        if settings.scenario == "flood":
            await seed_flood_supervision(center)


async def play_outside_world(center: Center, ingest: Ingest, stack: AsyncExitStack) -> Simulator:
    """Start the simulated connected systems (stopped when ``stack`` closes)."""
    simulator = Simulator(center, ingest, center.settings.scenario)
    simulator.start()
    stack.push_async_callback(simulator.stop)
    return simulator
