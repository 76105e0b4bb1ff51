"""Reference data the center reads on every order: the working-day calendar, the
statutory time limits, units and the taxonomy.

- :mod:`.seed`: first-start seeding of the reference tables.
- :mod:`.calendar`: deadlines, the calendar and the time-limit table as an admin edits them.

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``errors``.
"""
