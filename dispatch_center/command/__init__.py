"""The headquarters' command console: field teams, their taskings and tracking, incidents.

- :mod:`.common`: ids, times on the wire, the timeline entry and the order a task names.
- :mod:`.teams`: the team board (positions from the live layer, taskings, 失联 by age),
  sending a team (the order's timeline, the outbox, the wall), the nearest teams.
- :mod:`.tracking`: position reports through :class:`geo.tracking.GeofenceTracker`
  (a runtime held on the center): arriving at a task's scene and entering or leaving a
  warning area become events on the task, the order's timeline and the incident's log.
- :mod:`.incidents`: incidents (a major event over many orders and teams) with a running
  log, closed with a summary a special report cites.

The pure rules live in :mod:`dispatch_center.core.teams`; SQL in
:mod:`dispatch_center.store.teams` and :mod:`dispatch_center.store.incidents`. Every change
reaches the wall through the change log (kinds ``team.*``, ``incident.*``, and
``order.team`` on an order's timeline). Inside the package, everything may import
``common``; ``tracking`` and ``incidents`` import ``teams``.

May import: ``dispatch_center.core``, ``store``, ``center``, ``background``, ``errors``,
``models``, ``accounts``, ``orders``, ``messaging``, ``geo``. Imported by the intake (the
emergency-management system's position reports are tracked), the HTTP layer and the wall.
"""
