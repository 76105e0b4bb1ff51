"""The demo, kept out of the production path: the story of a working day, the simulated
outside world (every connected system and the hotline) and a multi-year back-fill.

Nothing in production imports this package; the app factory loads it only when the
settings say ``demo`` (or the simulator is on), and the CLI for ``backfill``.

May import anything below the HTTP layer.
"""
