"""The front door: the sign-in page at ``/`` (each role lands on its screen), the shared
page header (the screens the role may open, who is signed in, language, sign-out) and the
duty officer's wall-link page.

- :mod:`.strings`: every string these pages show, zh-CN first, English with ``?lang=en``.
- :mod:`.header`: :func:`~.header.page_header`, the header any page puts at its top.
- :mod:`.pages`: the sign-in, wall-link and "the wall needs a link" pages.

The table of screens and landings is pure and lives in :mod:`dispatch_center.core.screens`.
Scripts (``signin.js``, ``header.js``, ``wall-link.js``, and ``http.js``, the one way a
page script sends a change with its CSRF header) are files in ``dispatch_center/api/static``.

May import what the HTTP layer may (``dispatch_center.api``).
"""
