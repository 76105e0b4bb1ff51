"""The call-taker's desk (坐席受理台): what a seat needs while a caller is on the line.

- ``places`` — the gazetteer (地名库): import a center's CSV, the demo's labelled list and the
  synthetic grid's names, and the ranked search behind the address box.
- ``similar`` — open orders near a point with the same category or similar words (the live
  duplicates panel), best first.
- ``suggest`` — the category classifier trained on the taxonomy and past orders.
- ``screenpop`` — the call ringing at a seat: the caller's number (masked per role), their
  earlier and open orders, whether they called before this month.
- ``transfers`` — a call passed to another city's 12345 (the point is outside Leshan).

The pure parts live in :mod:`dispatch_center.core` (``gazetteer``, ``classify``,
``duplicates``); SQL in :mod:`dispatch_center.store` (``places``, ``desk``).

May import: the kernel (``core``, ``store``, ``center``, ``errors``, ``settings``,
``models``), ``accounts``, ``orders`` and ``reporting`` (jieba's tokenizer). Imported by the
HTTP layer, the demo and the CLI.
"""
