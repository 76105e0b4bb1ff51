"""What ``dispatch-center demo`` prints about the people's side: the page of each screen
and the accounts to sign in with, so a newcomer needs neither curl nor the API docs.
"""

from __future__ import annotations

from collections import defaultdict

from dispatch_center.core.roles import ROLE_LABELS_ZH, Role
from dispatch_center.core.screens import SCREENS
from dispatch_center.demo.accounts import DEMO_ACCOUNTS


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if ord(c) >= 0x2E80 else 1 for c in text)
    return text + " " * max(1, width - used)


def page_lines(base: str) -> list[str]:
    """One line per page: the sign-in page, every screen, the citizens' status lookup.

    Examples
    --------
    >>> lines = page_lines("http://127.0.0.1:8000")
    >>> lines[0]
    '  登录 Sign in           : http://127.0.0.1:8000/   (each role lands on its screen)'
    >>> any(line.endswith("/desk") and "受理台" in line for line in lines)
    True
    """
    lines = [f"  {_pad('登录 Sign in', 23)}: {base}/   (each role lands on its screen)"]
    for s in SCREENS:
        lines.append(f"  {_pad(s.zh + ' ' + s.en, 23)}: {base}{s.path}")
    lines.append(f"  {_pad('查询 Status', 23)}: {base}/status   (citizens, no sign-in)")
    return lines


def account_lines() -> list[str]:
    """The demo accounts grouped by role, in Chinese role names.

    Examples
    --------
    >>> lines = account_lines()
    >>> any("话务员" in line and "agent01" in line for line in lines)
    True
    >>> any(line.strip().startswith("承办人") and "h_511102" in line for line in lines)
    True
    """
    by_role: dict[Role, list[str]] = defaultdict(list)
    for username, (role, _unit, _name) in DEMO_ACCOUNTS.items():
        by_role[Role(role)].append(username)
    return [
        f"    {_pad(ROLE_LABELS_ZH[r], 16)}{', '.join(by_role[r])}" for r in Role if r in by_role
    ]
