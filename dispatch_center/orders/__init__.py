"""Work orders (工单): creation, routing, the lifecycle actions (接转办督回评) and the views
each role gets.

- :mod:`.routing`: routes a new order (where it is, who is responsible, what the mode in
  force changes) by handing the center's geography, modes and reference tables to the pure
  :func:`dispatch_center.core.routing.route`.
- :mod:`.service`: creating an order, acting on it, reading it.

May import: ``dispatch_center.core``, ``store``, ``center``, ``accounts``, ``reference``,
``geography`` and the pure ``geo`` package. The mode in force is read from ``center.modes``
(no import of ``modeswitch``). Imported by ``intake``, ``supervision``, ``demo``, the HTTP
layer and the wall.
"""
