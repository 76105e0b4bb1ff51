"""The pure domain of work orders: the lifecycle as a table, the calendar and deadlines,
routing, supervision rules, analysis, numbering, roles, privacy (masking by role),
disclosure (what free text and feed events may show outside their own handlers), visibility
(who reads which orders) and how strong a password or a signing key must be
(``credentials``). No I/O (a test walks the imports); plain data in, decisions out.

May import the pure ``geo`` and ``modes`` packages.
"""
