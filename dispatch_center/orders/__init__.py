"""Work orders (工单): creation, routing, the lifecycle actions (接转办督回评) and the views
each role gets.

- :mod:`.routing`: where a new order is (tier path) and who is responsible.
- :mod:`.service`: creating an order, acting on it, reading it.

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``reference``,
``geography``, ``modeswitch`` (a mode decides urgency, time limits and co-dispatch of a new
order). Imported by ``intake``, ``supervision``, ``demo``, the HTTP layer and the wall.
"""
