"""Switching the dispatch modes (常规/假日/应急): the policies loaded, switching now or on a
schedule, suggestions from feed conditions, and what a switch changes on open orders.

The pure rules live in the top-level :mod:`modes` package; this package loads the policy
files, talks to the store, writes the change log and keeps ``center.modes`` current --
replacing it only after the commit that changed it.

Modules, each importing only those above it:

- ``common``: the small pieces the others share (declaration rows, times, mode maps).
- ``policies``: the bundled and the operator's policy files, loading at start, reload.
- ``state``: ``center.modes`` refreshed from the database and after a commit; the mode view.
- ``effects``: what a switch changes on the orders still being worked.
- ``switching``: validating and making a switch, cancelling a scheduled one.
- ``suggestions``: feed triggers, conditions ending, accepting and dismissing.
- ``schedule``: due starts and ends, :class:`~dispatch_center.modeswitch.schedule.
  ModeScheduler`, holiday windows from the statutory calendar.
- ``history``: the append-only history.

May import: ``dispatch_center.core``, ``errors``, ``background``, ``store``, ``center``,
``accounts``, ``reference`` and the pure ``modes`` package. Imported by ``intake``,
the app, the HTTP layer, the CLI and the wall.
"""
