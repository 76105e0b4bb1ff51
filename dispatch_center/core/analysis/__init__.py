"""The pure core of the center's analysis: plain data in, decisions out.

- :mod:`.periods` — report periods (日报…年报、专报), the previous period (环比) and the
  same period last year (同比), trend buckets.
- :mod:`.rates` — summed measures of a set of orders and the six rates made from them.
- :mod:`.ranking` — the composite score and the quarterly list (人民群众最满意区县、部门).
- :mod:`.places` — distances, the hotspot grid and its busiest cells.
- :mod:`.repeats` — repeated requests (重复反映).
- :mod:`.topics` — rising categories and words, and hard areas (难点领域).

The store sums the measures (from the rollups or from raw orders); these modules turn sums
into rates, scores and ranks. Services live in :mod:`dispatch_center.reporting`.

May import: the standard library and each other (periods, rates and places are the
leaves). No I/O: the purity test covers ``dispatch_center/core``.
"""
