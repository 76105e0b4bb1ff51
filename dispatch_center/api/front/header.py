"""The one page header every people's page puts at the top of its ``<body>``: the screens
the signed-in role may open (the current one marked), who is signed in (name and role),
the language switch, the duty officer's wall link and 退出登录.

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
from dispatch_center.core.roles import ROLE_LABELS_ZH, Role
from dispatch_center.core.screens import screens_for

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)
#: Cache-busting ``?v=`` of the header's static files (one per process start).
VERSION = str(int(time.time()))
#: Who may make a wall screen's link (the gate of ``POST /api/v1/auth/wall-token``).
WALL_LINK_MAKERS = frozenset({Role.admin, Role.duty_officer})


def role_label(role: Role, lang: str) -> str:
    """The role's name in ``lang``.

    Examples
    --------
    >>> role_label(Role.dispatcher, "zh"), role_label(Role.dispatcher, "en")
    ('派单员', 'Dispatcher')
    """
    labels = ROLE_LABELS_EN if lang == "en" else ROLE_LABELS_ZH
    return labels.get(role, role.value)


def page_header(who: Principal, name: str, current: str | None, lang: str) -> Markup:
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
    """
    if who.is_wall:
        return Markup("")
    s = STRINGS[lang]
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
        )
    )


async def header_for(request: Request, who: Principal | None, current: str | None) -> Markup:
    """:func:`page_header` for the visitor of ``request`` (its ``?lang=``), with the
    account's display name; empty for nobody or a wall screen.
    """
    if who is None or who.is_wall:
        return Markup("")
    lang = pick_lang(request.query_params.get("lang"))
    name = await display_name(request.app.state.center, who.username)
    return page_header(who, name, current, lang)
