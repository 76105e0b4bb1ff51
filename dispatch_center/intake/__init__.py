"""Intake: every outside payload, from the five citizen channels and the 21 connected
systems, made durable and processed exactly once.

Authentication and limits of each source, the durable queue (a Redis stream or the
``intake`` table), processing into events and orders, the channels (voice, e-mail, WeChat,
SMS, letters), CAP, Open311, the 110 link, feed health, the live layers and dead letters.

May import: ``dispatch_center.core``, ``store``, ``bus``, ``center``, ``accounts``,
``orders``, ``modeswitch`` (feed conditions suggest a mode), and the pure ``feeds`` package.
Imported by ``demo``, the HTTP layer and the wall.
"""
