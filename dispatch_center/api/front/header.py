"""The one page header every people's page puts at the top of its ``<body>``: the screens
the signed-in role may open (the current one marked), who is signed in (name and role),
the language switch, the duty officer's wall link and 退出登录; for admins and duty officers,
a strip under it while a year's official holidays are missing (:data:`CALENDAR_WARNED`).

How a page includes it: its route awaits :func:`header_for` with the visitor and the
page's screen key (``dispatch_center.core.screens``), passes the result to its template
and writes it unescaped as the first child of ``<body>`` (``{{ header }}``: it is a
:class:`markupsafe.Markup`). The header brings its own stylesheet and scripts
(``header.css``, ``http.js``, ``header.js``); a page whose layout fills the window with
absolute positioning lets ``body:has(> nav.dc-nav)`` push it down by ``--dc-nav-h``. A wall
screen's token gets no header (an empty Markup).
"""

from __future__ import annotations

import time
from pathlib import Path

import jinja2
from fastapi import Request
from markupsafe import Markup

from dispatch_center.accounts.security import Principal
from dispatch_center.accounts.users import display_name
from dispatch_center.api.front.strings import ROLE_LABELS_EN, STRINGS, pick_lang
from dispatch_center.core.calendar import CoverageWarning
from dispatch_center.core.roles import ROLE_LABELS_ZH, Role
from dispatch_center.core.screens import screens_for
from dispatch_center.reference.calendar import missing_year

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)
#: Cache-busting ``?v=`` of the header's static files (one per process start).
VERSION = str(int(time.time()))
#: Who may make a wall screen's link (the gate of ``POST /api/v1/auth/wall-token``).
WALL_LINK_MAKERS = frozenset({Role.admin, Role.duty_officer})
#: Who is warned that a year's official holidays are missing: the admin enters them, the
#: duty officer answers for the deadlines meanwhile; the others cannot act on it.
CALENDAR_WARNED = frozenset({Role.admin, Role.duty_officer})
#: Where a year's schedule is entered: no calendar page yet, so the API docs' operation.
CALENDAR_LINK = "/docs#/calendar/import_year_api_v1_calendar_years_post"


def role_label(role: Role, lang: str) -> str:
    """The role's name in ``lang``.

    Examples
    --------
    >>> role_label(Role.dispatcher, "zh"), role_label(Role.dispatcher, "en")
    ('派单员', 'Dispatcher')
    """
    labels = ROLE_LABELS_EN if lang == "en" else ROLE_LABELS_ZH
    return labels.get(role, role.value)


def page_header(
    who: Principal,
    name: str,
    current: str | None,
    lang: str,
    calendar_warning: CoverageWarning | None = None,
) -> Markup:
    """The header's markup for ``who`` (shown as ``name``) on the screen ``current``.

    Parameters
    ----------
    who : Principal
        The signed-in visitor; a wall screen's token gets an empty header.
    name : str
        The name to show (the account's display name).
    current : str or None
        The key of the page's screen (``dispatch``, ``leader``, ...), marked in the list.
    lang : str
        ``zh`` or ``en``; the links keep ``?lang=en``.
    calendar_warning : CoverageWarning or None
        A year whose official holidays are missing: shown as a strip under the bar, to the
        roles in :data:`CALENDAR_WARNED` only.

    Examples
    --------
    >>> html = page_header(Principal("d", Role.dispatcher), "派单员 李强", "dispatch", "zh")
    >>> 'href="/dispatch" data-screen="dispatch" class="on"' in html
    True
    >>> "/desk" in html, "/handler" in html
    (True, False)
    >>> "退出登录" in html and "派单员 李强" in html
    True
    >>> str(page_header(Principal("d", Role.duty_officer, scope="wall"), "", None, "zh"))
    ''
    >>> missing = CoverageWarning(2027, current=False, days_left=27)
    >>> "2027年法定节假日安排尚未录入" in page_header(
    ...     Principal("a", Role.admin), "管理员", None, "zh", missing)
    True
    >>> "dc-cal-warn" in page_header(
    ...     Principal("d", Role.dispatcher), "派单员", None, "zh", missing)
    False
    """
    if who.is_wall:
        return Markup("")
    s = STRINGS[lang]
    if who.role not in CALENDAR_WARNED:
        calendar_warning = None
    warning_text = ""
    if calendar_warning is not None:
        key = "calendar_missing_current" if calendar_warning.current else "calendar_missing_next"
        warning_text = s[key].format(year=calendar_warning.year)
    return Markup(
        TEMPLATES.get_template("header.html").render(
            s=s,
            lang=lang,
            other_lang="zh" if lang == "en" else "en",
            q="?lang=en" if lang == "en" else "",
            screens=screens_for(who.role),
            current=current,
            username=who.username,
            name=name or who.username,
            role_label=role_label(who.role, lang),
            wall_link=who.role in WALL_LINK_MAKERS,
            version=VERSION,
            calendar_warning=calendar_warning,
            calendar_warning_text=warning_text,
            calendar_link=CALENDAR_LINK,
        )
    )


async def header_for(request: Request, who: Principal | None, current: str | None) -> Markup:
    """:func:`page_header` for the visitor of ``request`` (its ``?lang=``), with the
    account's display name; empty for nobody or a wall screen.
    """
    if who is None or who.is_wall:
        return Markup("")
    lang = pick_lang(request.query_params.get("lang"))
    center = request.app.state.center
    name = await display_name(center, who.username)
    warning = missing_year(center) if who.role in CALENDAR_WARNED else None
    return page_header(who, name, current, lang, warning)
