"""Messages the center sends out to citizens and units: the outbox and its channels
(:class:`~.outbox.OutboundChannels`, a runtime held on the center), and the SMS gateways
that carry the citizen's texts (:mod:`~.gateways`: Kannel-style HTTP or SMPP 3.4).

May import: ``store``, ``center``, ``accounts``. Imported by ``supervision``, ``intake``
and ``citizen``.
"""
