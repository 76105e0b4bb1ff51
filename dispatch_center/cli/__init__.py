"""The ``dispatch-center`` command: demo, serve, migrate, users, mode, geofences, catalogue,
reports and back-fill. Each subcommand imports what it runs.
"""
