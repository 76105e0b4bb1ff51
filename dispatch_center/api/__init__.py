"""The HTTP layer: thin routes, one module per resource (``routes/``), their response
schemas (``schemas/``), typed dependencies (``deps``) and the error envelope (``errors``).

May import every service package; imported by the app factory and the wall (``deps``).
"""
