"""The center's PostgreSQL advisory locks, one key each.

Advisory lock keys share one number space per database: two features that picked the same
number would wait for each other (a mode switch stalled behind the daily report, the
supervision timer skipping its tick while a switch commits). Every key is declared here,
and :func:`enum.unique` refuses two features on one key at import time.

Examples
--------
>>> int(AdvisoryLock.MIGRATE)
1234512345
>>> len({int(k) for k in AdvisoryLock}) == len(AdvisoryLock)
True
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class AdvisoryLock(IntEnum):
    """What each advisory lock key guards."""

    #: Workers starting together migrate (and add partitions) once.
    MIGRATE = 1_234_512_345
    #: Mode switches are planned on the state they change, one at a time.
    MODE_SWITCH = 1_234_512_346
    #: Activating a geofence or duty-catalogue version, one admin at a time.
    GEOGRAPHY_ACTIVATE = 1_234_512_347
    #: One worker's supervision timer works a tick.
    SUPERVISION_TICK = 1_234_512_348
    #: One worker makes the day's report.
    DAILY_REPORT = 1_234_512_349
    #: Users' token generations are drawn and committed one at a time, so they commit in
    #: the order drawn and a reader's "everything above N" misses none.
    TOKEN_GENERATION = 1_234_512_350
