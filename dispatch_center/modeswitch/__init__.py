"""Switching the dispatch modes (常规/假日/应急): the policies loaded, switching now or on a
schedule, suggestions from feed conditions, and what a switch changes on open orders.

The pure rules live in the top-level :mod:`modes` package; this package loads the policy
files, talks to the store, writes the change log and keeps ``center.modes`` current.

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``reference``
and the pure ``modes`` package. Imported by ``orders``, ``intake``, ``supervision``, the
HTTP layer, the CLI and the wall.
"""
