"""Supervision (督), escalation, video supervision sessions, callbacks (回) and rates (评).

One module per part of the work:

- :mod:`.common`: role sets, ids, access to an order, the timeline entry, the mode policy
  where an order is, and the views more than one part shows.
- :mod:`.orders`: supervision orders (督办单), issued and answered.
- :mod:`.ladder`: the escalation ladder (领导研究 → 部门会商 → 视频督办 → 电台直播).
- :mod:`.reminders`: the reminder timer's pass (reminders, the callback tasks of replied
  orders, the outbox) and :class:`~.reminders.SupervisionTimer`.
- :mod:`.sessions`: video supervision sessions, presence, closing with frozen minutes,
  amendments and the wall's live sessions; :mod:`.webhook`: the video-conference system's
  signed joins and leaves.
- :mod:`.instructions`: a leader's instructions (a task or a work order) and attachments.
- :mod:`.tasks`, :mod:`.callbacks`, :mod:`.rates`; :mod:`.console`: what a person's
  supervision console shows. :mod:`.minutes` renders minutes and the console as HTML/PDF.

The pure rules live in :mod:`dispatch_center.core.supervision`; SQL in
:mod:`dispatch_center.store.supervision` and :mod:`dispatch_center.store.outbox`. Every
change reaches the wall through the change log (kinds ``supervision.*``) and then
:func:`~dispatch_center.center.publish_changes`. Inside the package, everything may import
``common``; ``ladder`` and ``console`` import ``orders``, ``sessions`` imports ``ladder``,
``webhook`` imports ``sessions``; nothing else imports a sibling.

May import: ``dispatch_center.core``, ``store``, ``center``, ``background``, ``errors``,
``models``, ``accounts``, ``orders``, ``messaging``. Imported by ``demo``, ``app``, the HTTP
layer and the wall (``wallboard.sections``: the live sessions).
"""
