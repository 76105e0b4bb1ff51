"""The people's screens: where each one lives, what it is called, who may open it, and
where each role lands after signing in.

One table for the sign-in page's landing, the shared page header's links and the demo's
banner. A screen listed here for a role is a *link* the role is shown; the screen's own
gate (:mod:`dispatch_center.api.deps`) still decides who is admitted.

The leaders' console (督办台) is ``/leader``; the old ``/supervision`` address sends people
there (303) and is not linked.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch_center.core.roles import Role

#: Where the leaders' supervision console (督办台) is served.
LEADER_PATH = "/leader"


@dataclass(frozen=True)
class Screen:
    """One screen of the center: its path, its names and the roles shown a link to it."""

    key: str
    path: str
    zh: str
    en: str
    roles: frozenset[Role]

    def label(self, lang: str) -> str:
        """The screen's name in ``lang`` (``zh`` or ``en``).

        Examples
        --------
        >>> screen("desk").label("zh"), screen("desk").label("en")
        ('受理台', 'Call desk')
        """
        return self.en if lang == "en" else self.zh


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


#: Every screen, in the order the header lists them.
SCREENS: tuple[Screen, ...] = (
    Screen(
        "wallboard",
        "/wallboard",
        "大屏",
        "Wall",
        _roles(
            Role.admin,
            Role.duty_officer,
            Role.dispatcher,
            Role.call_taker,
            Role.leader,
            Role.flood_hq,
            Role.holiday_hq,
        ),
    ),
    Screen(
        "desk",
        "/desk",
        "受理台",
        "Call desk",
        _roles(Role.call_taker, Role.dispatcher, Role.duty_officer, Role.admin),
    ),
    Screen(
        "dispatch",
        "/dispatch",
        "派单台",
        "Dispatch",
        _roles(Role.dispatcher, Role.duty_officer, Role.admin),
    ),
    Screen("handler", "/handler", "处置工作台", "Handler", _roles(Role.handler, Role.admin)),
    Screen(
        "hq",
        "/hq",
        "指挥台",
        "Command",
        _roles(Role.flood_hq, Role.holiday_hq, Role.admin, Role.leader),
    ),
    Screen(
        "leader",
        LEADER_PATH,
        "督办台",
        "Supervision",
        _roles(Role.leader, Role.duty_officer, Role.admin),
    ),
    Screen(
        "callbacks",
        "/callbacks",
        "回访台",
        "Callbacks",
        _roles(Role.callback_agent, Role.duty_officer, Role.admin),
    ),
    Screen(
        "kb",
        "/kb",
        "知识库",
        "Knowledge base",
        _roles(Role.handler, Role.duty_officer, Role.admin, Role.auditor),
    ),
    Screen(
        "reports",
        "/reports",
        "报表",
        "Reports",
        _roles(
            Role.admin,
            Role.duty_officer,
            Role.dispatcher,
            Role.leader,
            Role.flood_hq,
            Role.holiday_hq,
            Role.auditor,
        ),
    ),
)

_BY_KEY = {s.key: s for s in SCREENS}

#: Where each role lands after signing in (the key of its screen).
LANDING: dict[Role, str] = {
    Role.call_taker: "desk",
    Role.dispatcher: "dispatch",
    Role.handler: "handler",
    Role.flood_hq: "hq",
    Role.holiday_hq: "hq",
    Role.leader: "leader",
    Role.duty_officer: "wallboard",
    Role.callback_agent: "callbacks",
    Role.auditor: "reports",
    Role.admin: "dispatch",
}


def screen(key: str) -> Screen:
    """The screen called ``key`` (KeyError for an unknown one).

    Examples
    --------
    >>> screen("dispatch").path
    '/dispatch'
    """
    return _BY_KEY[key]


def screens_for(role: Role) -> list[Screen]:
    """The screens ``role`` is shown a link to, in header order.

    Examples
    --------
    >>> [s.key for s in screens_for(Role.handler)]
    ['handler', 'kb']
    >>> [s.path for s in screens_for(Role.call_taker)]
    ['/wallboard', '/desk']
    """
    return [s for s in SCREENS if role in s.roles]


def landing(role: Role) -> str:
    """The path ``role`` lands on after signing in.

    Examples
    --------
    >>> landing(Role.dispatcher), landing(Role.leader), landing(Role.callback_agent)
    ('/dispatch', '/leader', '/callbacks')
    """
    return screen(LANDING[role]).path


def screen_at(path: str) -> Screen | None:
    """The screen served at ``path`` (None when none is).

    Examples
    --------
    >>> screen_at("/hq").key
    'hq'
    >>> screen_at("/nowhere") is None
    True
    """
    return next((s for s in SCREENS if s.path == path), None)
