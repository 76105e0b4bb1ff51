"""Who may do what: passwords, tokens and the signed-in principal, users and the audit trail.

- :mod:`.security`: Argon2id passwords, HS256 bearer tokens, :class:`~.security.Principal`.
- :mod:`.users`: sign-in, creating and listing users, the audit log.

May import: ``dispatch_center.core``, ``store``, ``center``, ``errors``, ``settings``,
``models``.
Imported by every service package and the HTTP layer; imports none of them.
"""
