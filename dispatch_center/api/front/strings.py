"""The front door's strings: Chinese first, English with ``?lang=en``."""

from __future__ import annotations

from dispatch_center.core.roles import Role

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "乐山12345心连心 指挥调度中心",
        "short_title": "乐山12345",
        "slogan": "1+3+N：一个中心 · 三种模式 · N个系统",
        "sign_in": "登录",
        "sign_in_heading": "工作人员登录",
        "username": "用户名",
        "password": "密码",
        "signing_in": "正在登录…",
        "wrong_password": "用户名或密码错误。",
        "throttled": "尝试次数过多，请 {wait} 后再试。",
        "seconds": "{n} 秒",
        "minutes": "{n} 分钟",
        "missing": "请填写用户名和密码。",
        "refused": "登录被拒绝：{reason}",
        "network": "无法连接服务器，请检查网络后重试。",
        "hint": "坐席、派单、处置、指挥、督办与报表，登录后进入各自的工作台。",
        "lang_toggle": "English",
        "sign_out": "退出登录",
        "signed_in_as": "当前用户",
        "screens": "工作台",
        "wall_link": "大屏链接",
        "wall_link_title": "生成大屏链接",
        "wall_link_intro": "为值班大屏生成一个只读链接：在大屏电脑的浏览器中打开一次即可，"
        "无需登录。链接只显示一次，请立即复制。",
        "wall_link_make": "生成大屏链接",
        "wall_link_copy": "复制",
        "wall_link_copied": "已复制",
        "wall_link_valid": "有效期 {days} 天。您退出登录后大屏照常显示；"
        "不再需要时请在下方“我生成的大屏链接”中作废。修改密码时所有链接随之失效。",
        "wall_links_title": "我生成的大屏链接",
        "wall_links_none": "暂无大屏链接。",
        "wall_link_issued": "生成时间",
        "wall_link_expires": "到期时间",
        "wall_link_status": "状态",
        "wall_link_active": "有效",
        "wall_link_expired": "已过期",
        "wall_link_revoked": "已作废",
        "wall_link_revoke": "作废",
        "wall_link_revoke_failed": "作废失败：{reason}",
        "wall_link_warn": "请勿在本机打开此链接：它会以大屏身份替换您当前的登录。",
        "wall_link_failed": "生成失败：{reason}",
        "wall_needs_link": "大屏需要大屏链接或登录",
        "wall_needs_link_detail": "请值班员在“大屏链接”中生成链接后在本机打开，或先登录。",
        "go_sign_in": "前往登录",
        "needs_sign_in": "请先登录",
        "needs_sign_in_detail": "此页面需要登录后使用。",
        "calendar_missing_next": "{year}年法定节假日安排尚未录入，跨年工单办理时限按周一至周五暂计",
        "calendar_missing_current": "{year}年法定节假日安排尚未录入，工单办理时限按周一至周五暂计",
        "calendar_enter": "录入国务院通知（管理员）",
    },
    "en": {
        "title": "Leshan 12345 Heart-to-Heart Command Center",
        "short_title": "Leshan 12345",
        "slogan": "1+3+N: one center · three modes · N systems",
        "sign_in": "Sign in",
        "sign_in_heading": "Staff sign-in",
        "username": "Username",
        "password": "Password",
        "signing_in": "Signing in…",
        "wrong_password": "Wrong username or password.",
        "throttled": "Too many attempts: try again in {wait}.",
        "seconds": "{n} s",
        "minutes": "{n} min",
        "missing": "Enter your username and password.",
        "refused": "Sign-in refused: {reason}",
        "network": "The server cannot be reached; check the network and try again.",
        "hint": "Call desk, dispatch, handling, command, supervision and reports: each "
        "role lands on its own screen.",
        "lang_toggle": "中文",
        "sign_out": "Sign out",
        "signed_in_as": "Signed in",
        "screens": "Screens",
        "wall_link": "Wall link",
        "wall_link_title": "Make a wall link",
        "wall_link_intro": "A read-only link for the wall screen: open it once in the wall "
        "computer's browser, no sign-in needed. It is shown once: copy it now.",
        "wall_link_make": "Make a wall link",
        "wall_link_copy": "Copy",
        "wall_link_copied": "Copied",
        "wall_link_valid": "Valid for {days} days. The wall stays on when you sign out; "
        'revoke the link under "My wall links" below when it is no longer needed. '
        "Changing your password ends every link.",
        "wall_links_title": "My wall links",
        "wall_links_none": "No wall links yet.",
        "wall_link_issued": "Made",
        "wall_link_expires": "Expires",
        "wall_link_status": "Status",
        "wall_link_active": "Active",
        "wall_link_expired": "Expired",
        "wall_link_revoked": "Revoked",
        "wall_link_revoke": "Revoke",
        "wall_link_revoke_failed": "Could not revoke the link: {reason}",
        "wall_link_warn": "Do not open it on this computer: it would replace your own "
        "sign-in with the wall's.",
        "wall_link_failed": "Could not make the link: {reason}",
        "wall_needs_link": "The wall needs a wall link or a sign-in",
        "wall_needs_link_detail": "Ask the duty officer for a wall link (made under "
        '"Wall link") and open it on this screen, or sign in first.',
        "go_sign_in": "Go to sign-in",
        "needs_sign_in": "Please sign in",
        "needs_sign_in_detail": "This page is for signed-in staff.",
        "calendar_missing_next": "Official holidays for {year} are not entered yet: deadlines"
        " reaching into {year} are counted Monday-Friday for now",
        "calendar_missing_current": "Official holidays for {year} are not entered yet: deadlines"
        " are counted Monday-Friday for now",
        "calendar_enter": "Enter the State Council notice (admin)",
    },
}

ROLE_LABELS_EN: dict[Role, str] = {
    Role.admin: "Administrator",
    Role.duty_officer: "Duty officer",
    Role.dispatcher: "Dispatcher",
    Role.flood_hq: "Flood HQ",
    Role.holiday_hq: "Holiday HQ",
    Role.leader: "Leader",
    Role.handler: "Handler",
    Role.auditor: "Auditor",
    Role.call_taker: "Call taker",
    Role.callback_agent: "Callback agent",
}


def pick_lang(value: str | None) -> str:
    """``en`` when asked for, else Chinese.

    Examples
    --------
    >>> pick_lang("en"), pick_lang(None), pick_lang("fr")
    ('en', 'zh', 'zh')
    """
    return "en" if value == "en" else "zh"
