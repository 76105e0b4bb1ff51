"""Messages the center sends out to citizens and units (the outbox and its channels).

May import: ``store``, ``center``. Imported by ``supervision``.
"""
