"""The pure domain of work orders: the lifecycle as a table, the calendar and deadlines,
routing, supervision rules, analysis, numbering, roles and privacy. No I/O (a test walks
the imports); plain data in, decisions out.

May import the pure ``geo`` and ``modes`` packages.
"""
