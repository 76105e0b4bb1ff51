"""SQL for supervision, one module per part of it.

- :mod:`.common`: ``with_change``, a change written together with its change-log row.
- :mod:`.timeline`: entries on an order's timeline; the escalation steps read back.
- :mod:`.reminders`: the reminder timer's lock, its candidates and the reminders sent.
- :mod:`.orders`: supervision orders (督办单).
- :mod:`.sessions`: video supervision sessions, presence, instructions, attachments,
  minutes, amendments and the wall's live view.
- :mod:`.tasks`, :mod:`.callbacks` (回、评), :mod:`.rates`.

The outbox the reminders and supervision orders queue into is
:mod:`dispatch_center.store.outbox`. May import ``store.changes``, ``store.orders`` and
``store.locks``; imported by :mod:`dispatch_center.supervision` only.
"""
