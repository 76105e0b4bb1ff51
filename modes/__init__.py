"""Normal, holiday and emergency dispatch modes (常规、假日、应急三种调度模式).

Pure domain: policies parsed from data (:mod:`modes.policy`), where and when each mode
is in force (:mod:`modes.scope`), who may switch (:mod:`modes.authority`), holiday
windows from the calendar (:mod:`modes.holidays`) and feed triggers
(:mod:`modes.triggers`). No I/O: the services load files and talk to the database.
"""
