"""Who may do what: passwords, tokens and the signed-in principal, users and the audit trail.

- :mod:`.security`: Argon2id passwords, HS256 bearer tokens, :class:`~.security.Principal`.
- :mod:`.identity`: the one path from a token to a principal, and the gate of a route.
- :mod:`.ledger`: revocation: every user's token generation, current in every worker.
- :mod:`.sessions`: signing in and out, wall-screen tokens, a new password.
- :mod:`.throttle`: sign-in throttling per user and per address.
- :mod:`.passwords`: Argon2 in a small thread pool, off the event loop.
- :mod:`.users`: creating, deactivating and listing users, the audit log.

May import: ``dispatch_center.core``, ``store``, ``bus``, ``center``, ``background``,
``errors``, ``settings``, ``models``.
Imported by every service package and the HTTP layer; imports none of them.
"""
