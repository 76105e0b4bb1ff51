"""Analysis and reports: the rollups that follow the change log, the data of a report, the
quarterly ranking and its follow-ups, and the documents (HTML, PDF, XLSX, CSV).

- ``rollups`` — :func:`~.rollups.catch_up` and the ``RollupWorker`` that keep the rollup
  tables current.
- ``words`` — stop words, jieba tokenising, word counts, the hot words of a period.
- ``measures`` — summed measures of a period with the live pending figure, shared by the
  report and the ranking; ``hotspots`` — the busiest grid cells of a period.
- ``report_data`` — everything a report shows, as JSON-ready data, and its title.
- ``ranking`` — the quarterly list, its weights and its view; ``followups`` — the written
  explanations (书面说明) and interviews (组织约谈) of the bottom ranks.
- ``fonts``, ``charts``, ``render`` — Chinese fonts, matplotlib charts, the documents
  (what the render process runs).
- ``reports`` — reports made and kept (row and files) and the render process;
  ``schedule`` — the daily report made at 08:00.

The pure calculations live in :mod:`dispatch_center.core.analysis`; SQL in
:mod:`dispatch_center.store.analysis`.

May import: ``dispatch_center.core``, ``store``, ``errors``, ``background``, ``settings``,
``center``, ``accounts`` and ``geo``. Imported by ``demo`` (back-fill), the HTTP layer,
the CLI, the app and the benchmarks. Inside the package imports run one way (A → B: B
imports A): ``measures`` → ``words``, ``hotspots`` → ``report_data``; ``words`` →
``rollups`` → ``ranking`` ← ``followups``; ``fonts`` → ``charts`` → ``render``;
``reports`` joins the data and the documents, and ``schedule`` sits on top.
"""
