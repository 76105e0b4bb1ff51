"""What a special report (专报) may cite from outside the rollups: an incident, when the
center keeps incidents (the table comes with the incident desk; until then nothing is
cited and the caller says so).
"""

from __future__ import annotations

from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def incident(conn: Conn, incident_id: int) -> Row | None:
    """The incident row as JSON, ``None`` when there is none.

    Raises
    ------
    LookupError
        When the center keeps no incidents table at all.

    Examples
    --------
    >>> await incident(conn, 3)  # doctest: +SKIP
    {'id': 3, 'title': '沙湾区暴雨内涝', ...}
    """
    cur = await conn.execute("SELECT to_regclass('incidents') IS NOT NULL AS present")
    row = await cur.fetchone()
    if not row or not row["present"]:
        raise LookupError("no incidents table")
    cur = await conn.execute(
        "SELECT to_jsonb(i) AS doc FROM incidents i WHERE i.id = %s", (incident_id,)
    )
    found = await cur.fetchone()
    return dict(found["doc"]) if found else None
