"""The demo's accounts (``../shared/contracts.md``): one per role of the center, two more
leaders for the flood story's video session, and one handler per Leshan county.
"""

from __future__ import annotations

from dispatch_center.accounts.passwords import password_work
from dispatch_center.center import Center
from dispatch_center.store import accounts

COUNTIES: dict[str, str] = {
    "511102": "市中区",
    "511111": "沙湾区",
    "511112": "五通桥区",
    "511113": "金口河区",
    "511123": "犍为县",
    "511124": "井研县",
    "511126": "夹江县",
    "511129": "沐川县",
    "511132": "峨边彝族自治县",
    "511133": "马边彝族自治县",
    "511181": "峨眉山市",
}

# Demo accounts per contracts.md: username -> (role, unit, display name).
DEMO_ACCOUNTS: dict[str, tuple[str, str | None, str]] = {
    "admin": ("admin", None, "系统管理员"),
    "duty": ("duty_officer", "511100", "值班员 王芳"),
    "dispatcher": ("dispatcher", "511100", "派单员 李强"),
    "flood_hq": ("flood_hq", "511100.flood_hq", "市防汛抗旱指挥部"),
    "holiday_hq": ("holiday_hq", "511100.holiday_hq", "市假日旅游指挥部"),
    "leader": ("leader", "511100", "分管副市长"),
    # Two more leaders for the flood story's video supervision session.
    "leader_water": ("leader", "511100", "市水务局局长"),
    "leader_shawan": ("leader", "511111", "沙湾区区长"),
    "auditor": ("auditor", "511100", "督查室"),
    # The seats of the call floor (坐席) and the callback desk (回访).
    "agent01": ("call_taker", "511100", "话务员 张丽"),
    "agent02": ("call_taker", "511100", "话务员 刘洋"),
    "callback": ("callback_agent", "511100", "回访员 陈静"),
    **{f"h_{code}": ("handler", code, f"{name}承办人") for code, name in COUNTIES.items()},
    # 一级抓一级 on a phone (/handler): a county department, a street and one of its
    # communities under 市中区, each working what it holds.
    "h_511102-ZJJ": ("handler", "511102-ZJJ", "市中区住建局承办人"),
    "h_511102S01": ("handler", "511102S01", "街道承办人"),
    "h_511102S01V01": ("handler", "511102S01V01", "社区网格员"),
}


async def ensure_demo_accounts(center: Center, password: str) -> list[str]:
    """Create or reset the demo accounts with ``password``; return their usernames."""
    hashed = await password_work(center).hash(password)
    async with center.db.connection() as conn, conn.transaction():
        for username, (role, unit, display) in DEMO_ACCOUNTS.items():
            await accounts.upsert_user(
                conn,
                username=username,
                display_name=display,
                password_hash=hashed,
                role=role,
                unit_code=unit,
            )
    return list(DEMO_ACCOUNTS)
