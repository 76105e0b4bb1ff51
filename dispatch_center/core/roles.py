"""Who works in the dispatch center, and what each role may see.

Roles are the coarse permission unit of the product: a signed-in user has exactly one.
Which *actions* a role may take on a work order lives next to the lifecycle table in
:mod:`dispatch_center.core.lifecycle`; this module only names the roles and the few
visibility rules that are not about actions.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role in the center (the value is the wire and database spelling)."""

    admin = "admin"
    duty_officer = "duty_officer"  # 值班员
    dispatcher = "dispatcher"  # 派单员
    flood_hq = "flood_hq"  # 市防汛抗旱指挥部
    holiday_hq = "holiday_hq"  # 市假日旅游指挥部
    leader = "leader"  # 领导
    handler = "handler"  # 承办单位经办人
    auditor = "auditor"  # 审计/督查, read-only
    call_taker = "call_taker"  # 话务员 (坐席): takes the calls at the desk
    callback_agent = "callback_agent"  # 回访员: calls citizens back after 办结


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.admin: "系统管理员",
    Role.duty_officer: "值班员",
    Role.dispatcher: "派单员",
    Role.flood_hq: "防汛抗旱指挥部",
    Role.holiday_hq: "假日旅游指挥部",
    Role.leader: "领导",
    Role.handler: "承办人",
    Role.auditor: "审计员",
    Role.call_taker: "话务员",
    Role.callback_agent: "回访员",
}

# The handler must phone the citizen back, and intake staff talk to the citizen; everyone
# else (leaders, HQs, auditors, the wall screen) works from masked numbers.
ROLES_SEEING_FULL_PHONE: frozenset[Role] = frozenset(
    {
        Role.admin,
        Role.duty_officer,
        Role.dispatcher,
        Role.handler,
        Role.call_taker,
        Role.callback_agent,
    }
)


# The seats that run the 12345 <-> 110 linkage read a 110 caller's name and number: they
# accept or refuse 110's transfers, report back to 110 and set up the three-way call with the
# caller, and under the first-receiver rule (首接负责) they may have to call the caller back.
# Not the admin (who runs the system, not the linkage: an admin who needs a number reads it
# on the order), nor leaders, HQs, auditors or handlers (a handler reads the number on an
# order of their own, not in the city-wide list of linkage messages).
ROLES_HANDLING_110: frozenset[Role] = frozenset(
    {Role.duty_officer, Role.dispatcher, Role.call_taker}
)


def parse_role(role: Role | str) -> Role:
    """Return ``role`` as a :class:`Role`.

    Parameters
    ----------
    role : Role or str
        A role or its string value.

    Returns
    -------
    Role

    Raises
    ------
    ValueError
        If the string names no role.

    Examples
    --------
    >>> parse_role("dispatcher") is Role.dispatcher
    True
    """
    return role if isinstance(role, Role) else Role(role)
