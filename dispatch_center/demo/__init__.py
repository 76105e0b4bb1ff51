"""The demo, kept out of the production path: its accounts, the story of a working day, the
simulated outside world (every connected system and the hotline) and a multi-year back-fill.

- :mod:`.startup`: what the app factory loads in demo mode (accounts and story) or with the
  simulator on (the outside world).
- :mod:`.accounts`: the demo accounts of ``../shared/contracts.md``.
- :mod:`.story`, :mod:`.simulator`: the working day's orders; the connected systems played
  live.
- :mod:`.knowledge`: the knowledge base's demo articles (marked as demo content).
- :mod:`.backfill`, :mod:`.backfill_data`: years of history for ``dispatch-center backfill``.

Nothing in production imports this package; the app factory loads it only when the
settings say ``demo`` (or the simulator is on), and the CLI for ``demo`` and ``backfill``.

May import anything below the HTTP layer.
"""
