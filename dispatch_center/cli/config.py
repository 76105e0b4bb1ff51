"""Settings of the commands that work on the center's database.

Outside ``demo`` (and an explicit ``--demo``), a command without ``DATABASE_URL`` must not
quietly start an embedded PostgreSQL in its data directory: an operator who forgot the
setting would create users, import boundaries or switch modes in a private database that
no server reads, and be told it worked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch_center.settings import ConfigurationError

if TYPE_CHECKING:
    from dispatch_center.settings import Settings


def missing_database_url(demo_flag: bool = False) -> ConfigurationError:
    """The one-line refusal of a command run without ``DATABASE_URL``.

    Parameters
    ----------
    demo_flag
        Whether the command takes ``--demo`` (then the line names it as the way to the
        demo's embedded database).

    Returns
    -------
    ConfigurationError
        To raise; ``main`` prints it as ``dispatch-center COMMAND: ...``.
    """
    way = (
        "pass --demo for the demo's embedded database"
        if demo_flag
        else "only `dispatch-center demo` starts an embedded database"
    )
    return ConfigurationError(
        "DATABASE_URL is not set: set it to the center's PostgreSQL"
        f" (postgresql://user:password@host:5432/dbname); {way}"
    )


def database_settings(demo: bool = False, *, demo_flag: bool = False) -> Settings:
    """Load the settings of a command that works on the database, refusing without one.

    Parameters
    ----------
    demo
        The command's ``--demo``: the demo's settings and its embedded database.
    demo_flag
        Whether the command offers ``--demo`` at all (only changes the refusal's wording).

    Returns
    -------
    Settings
        With ``database_url`` set, unless ``demo``.

    Raises
    ------
    ConfigurationError
        A bad setting, or no ``DATABASE_URL`` outside ``--demo``.
    """
    from dispatch_center.settings import load_settings

    if demo:
        return load_settings(demo=True, demo_story=False)
    settings = load_settings()
    if not settings.database_url:
        raise missing_database_url(demo_flag)
    return settings
