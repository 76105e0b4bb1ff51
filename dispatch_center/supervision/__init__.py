"""Supervision (督), escalation, video supervision sessions, callbacks (回) and rates (评).

The pure rules live in :mod:`dispatch_center.core.supervision`; SQL in
:mod:`dispatch_center.store.supervision`. Every change reaches the wall through the change
log (kinds ``supervision.*``).

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``orders``,
``messaging``. Imported by ``demo``, the HTTP layer and the wall.
"""
