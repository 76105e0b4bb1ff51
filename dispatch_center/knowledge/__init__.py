"""The knowledge base (知识库): articles owned by units and answered from at the desk.

- :mod:`.words`: the knowledge base's own jieba tokenizer (taught the synonym file's
  words), the shipped synonyms and query words, an article's full-text document and a
  caller's question as a query.
- :mod:`.articles`: writing, reading and the status of articles (draft → reviewed →
  published → expired), each change a version with who and when.
- :mod:`.search`: the desk's search (best first, only what may be shown today), the
  searches of a call and the article used, the gaps report, the center's synonyms.

The pure rules (status moves, who may, synonym expansion, the ``tsquery`` text) live in
:mod:`dispatch_center.core.knowledge`; SQL in :mod:`dispatch_center.store.knowledge`.

May import: ``dispatch_center.core``, ``store``, ``center``, ``errors``, ``accounts``.
Imported by ``demo`` (the demo articles) and the HTTP layer.
"""
