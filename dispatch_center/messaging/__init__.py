"""Messages the center sends out to citizens and units: the outbox and its channels
(:class:`~.outbox.OutboundChannels`, a runtime held on the center).

May import: ``store``, ``center``. Imported by ``supervision``.
"""
