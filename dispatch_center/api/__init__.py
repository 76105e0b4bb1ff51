"""The HTTP layer: thin routes, one module per resource (``routes/``), their response
schemas (``schemas/``), typed dependencies (``deps``: the center, and the gates that are the
only way from a request's token to the caller), the error envelope (``errors``), the
redaction of credentials in request logs (``logs``), what browsers are told (``browser``:
security headers, the Content-Security-Policy, the WebSocket's allowed origins) and what the
pages share (``pages``: the session cookie, the static scripts in ``static/``).

May import every service package; imported by the app factory and the wall (``deps``,
``pages``, ``browser``).
"""
