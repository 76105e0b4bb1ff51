"""Analysis and reports: the rollups that follow the change log, the data of a report, the
quarterly ranking and its follow-ups, and the documents (HTML, PDF, XLSX, CSV).

- ``rollups`` — :func:`~.rollups.catch_up` and the ``RollupWorker`` that keeps the
  rollup tables current.
- ``words`` — stop words, jieba tokenising, word counts, the hot words of a period.
- ``measures`` — summed measures of a period with the live pending figure (shared by the
  report and the ranking); ``hotspots`` — the busiest grid cells of a period.
- ``report_data`` — everything a report shows, as JSON-ready data.
- ``ranking`` — the quarterly list, its weights and its view; ``followups`` — the written
  explanations (书面说明) and interviews (组织约谈) of the bottom ranks.
- ``fonts``, ``charts``, ``render`` — Chinese fonts, matplotlib charts, the documents.
- ``reports`` — reports made and kept (row and files), the render process;
  ``schedule`` — the daily report made at 08:00.

The pure calculations live in :mod:`dispatch_center.core.analysis`; SQL in
:mod:`dispatch_center.store.analysis`.

May import: ``dispatch_center.core``, ``store``, ``errors``, ``background``, ``settings``,
``center``, ``accounts`` and ``geo``. Imported by ``demo`` (back-fill), the HTTP layer,
the CLI and the app. Inside the package the imports run one way: ``measures`` and
``words`` first, the documents (``fonts`` → ``charts`` → ``render`` → ``reports`` →
``schedule``) apart from the analysis until ``reports``.
"""
