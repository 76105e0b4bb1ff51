"""The front door's pages: sign-in (``/``), the wall link (``/wall-link``) and the page a
wall screen shows when it has neither a wall link nor a sign-in.

Each page's data travels in a ``<script type="application/json">`` block; its script is a
file (the Content-Security-Policy allows no inline script).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from dispatch_center.api.deps import COOKIE, plain_denial
from dispatch_center.api.front.header import TEMPLATES, VERSION
from dispatch_center.api.front.strings import STRINGS, pick_lang
from dispatch_center.api.pages import json_block
from dispatch_center.errors import ServiceError


def sign_in_page(lang: str) -> str:
    """The sign-in page in ``lang``.

    Examples
    --------
    >>> page = sign_in_page("zh")
    >>> 'id="sign-in"' in page and "用户名" in page and "<script>" not in page
    True
    """
    s = STRINGS[lang]
    keys = ("wrong_password", "throttled", "seconds", "minutes", "missing", "refused")
    config = {"lang": lang, "strings": {k: s[k] for k in (*keys, "network", "signing_in")}}
    return TEMPLATES.get_template("signin.html").render(
        s=s, lang=lang, version=VERSION, config_json=json_block(config)
    )


def wall_link_page(lang: str, header: Markup, days: int) -> str:
    """The duty officer's page that makes a wall screen's link (valid ``days`` days).

    Examples
    --------
    >>> "生成大屏链接" in wall_link_page("zh", Markup(""), 30)
    True
    """
    s = STRINGS[lang]
    keys = (
        "wall_link_failed",
        "wall_link_copy",
        "wall_link_copied",
        "network",
        "wall_links_none",
        "wall_link_issued",
        "wall_link_expires",
        "wall_link_status",
        "wall_link_active",
        "wall_link_expired",
        "wall_link_revoked",
        "wall_link_revoke",
        "wall_link_revoke_failed",
    )
    config = {"lang": lang, "strings": {k: s[k] for k in keys}}
    return TEMPLATES.get_template("wall_link.html").render(
        s=s,
        lang=lang,
        version=VERSION,
        header=header,
        days=str(days),
        config_json=json_block(config),
    )


def needs_sign_in_page(lang: str, *, wall: bool = False, back_to: str | None = None) -> str:
    """What a page shows a visitor with neither a token nor a cookie: ``/wallboard`` needs
    a wall link or a sign-in, any other page a sign-in; with a link to the sign-in page.

    Examples
    --------
    >>> "大屏需要大屏链接或登录" in needs_sign_in_page("zh", wall=True)
    True
    >>> "请先登录" in needs_sign_in_page("zh")
    True
    >>> 'href="/?lang=en&amp;next=%2Fdispatch"' in needs_sign_in_page("en", back_to="/dispatch")
    True
    """
    s = STRINGS[lang]
    heading, detail = (
        (s["wall_needs_link"], s["wall_needs_link_detail"])
        if wall
        else (s["needs_sign_in"], s["needs_sign_in_detail"])
    )
    query = [("lang", "en")] if lang == "en" else []
    if back_to:
        query.append(("next", back_to))
    sign_in = "/" + (f"?{urlencode(query)}" if query else "")
    return TEMPLATES.get_template("needs_sign_in.html").render(
        s=s, lang=lang, version=VERSION, heading=heading, detail=detail, wall=wall, href=sign_in
    )


def signed_out(request: Request) -> bool:
    """True when the request brings neither ``?token=`` nor the session cookie."""
    return request.query_params.get("token") is None and not request.cookies.get(COOKIE)


def page_denial(request: Request, error: ServiceError) -> Response:
    """A page's refusal (a :data:`~dispatch_center.api.deps.Denial`): a visitor with no
    token and no cookie is told to sign in (the wall: to get a wall link), with a link to
    ``/``; anyone else gets the reason (an ended session, a role not admitted).
    """
    if signed_out(request):
        lang = pick_lang(request.query_params.get("lang"))
        wall = request.url.path.startswith("/wallboard")
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        back = request.url.path + (f"?{urlencode(kept)}" if kept else "")
        page = needs_sign_in_page(lang, wall=wall, back_to=back)
        return HTMLResponse(page, status_code=error.status)
    return plain_denial(request, error)
