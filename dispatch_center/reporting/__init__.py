"""Analysis and reports: rollups that follow the change log, report data, the quarterly
ranking and its follow-ups, hotspots, and the documents (HTML, PDF, XLSX, CSV).

The pure calculations live in :mod:`dispatch_center.core.analysis`; SQL in
:mod:`dispatch_center.store.analysis`.

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``background``.
Imported by ``demo`` (back-fill), the HTTP layer and the CLI.
"""
