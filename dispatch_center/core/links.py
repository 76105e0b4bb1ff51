"""Which links the center stores and shows as links: video rooms and attachments.

A link a person types (a session's ``room_url``, an attachment's ``url``) ends up as the
``href`` of a page other people open, so a ``javascript:`` or ``data:`` link would run in
their session. Links are checked where they enter (:func:`link_problem`) and again where
they are shown (:func:`is_web_link`), so a row stored before the check cannot hurt.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def _unsafe_characters(url: str) -> bool:
    # Browsers drop tabs and newlines inside a URL ("java\tscript:") and strip leading
    # control characters: a link with any of them is not what it looks like.
    return any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url)


def link_problem(url: str, http_hosts: Collection[str] = ()) -> str | None:
    """Why ``url`` may not be stored as a link, or None when it may.

    ``https`` links to any host are accepted; plain ``http`` only to a host (or
    ``host:port``) in ``http_hosts``, such as an internal video-conference system without
    TLS. No other scheme, no credentials in the link, no spaces or control characters.

    Parameters
    ----------
    url : str
        The link as the client sent it.
    http_hosts : collection of str
        Hosts (lower case, optionally with ``:port``) whose ``http`` links are accepted.

    Returns
    -------
    str or None
        A short reason for the client, or None.

    Examples
    --------
    >>> link_problem("https://vc.example.gov.cn/room/7") is None
    True
    >>> link_problem("javascript:alert(1)")
    "scheme 'javascript' is not allowed: use https"
    >>> link_problem("http://vc.internal/room/7")
    'plain http is allowed only to the configured hosts (DISPATCH_HTTP_LINK_HOSTS)'
    >>> link_problem("http://vc.internal/room/7", {"vc.internal"}) is None
    True
    """
    if _unsafe_characters(url):
        return "spaces and control characters are not allowed in a link"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid link"
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        return f"scheme {scheme!r} is not allowed: use https" if scheme else "use an https link"
    if not parts.hostname:
        return "the link names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials are not allowed in a link"
    if scheme == "http":
        allowed = {h.strip().lower() for h in http_hosts}
        host = parts.hostname.lower()
        if host not in allowed and f"{host}:{port}" not in allowed:
            return "plain http is allowed only to the configured hosts (DISPATCH_HTTP_LINK_HOSTS)"
    return None


def is_web_link(url: object) -> bool:
    """True when ``url`` may be shown as a live link (an ``http`` or ``https`` URL).

    The renderers' guard for rows stored before links were checked.

    Examples
    --------
    >>> is_web_link("https://vc.example.gov.cn/room/7"), is_web_link("JavaScript:alert(1)")
    (True, False)
    >>> is_web_link(" javascript:alert(1)"), is_web_link("java\tscript:alert(1)")
    (False, False)
    >>> is_web_link(None), is_web_link("//evil.example/x")
    (False, False)
    """
    if not isinstance(url, str) or _unsafe_characters(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)
