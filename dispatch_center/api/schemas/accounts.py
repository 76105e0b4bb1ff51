"""Accounts: who the token speaks for, users, the audit log; reference data."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dispatch_center.api.schemas.common import Public, Timestamp
from dispatch_center.models import TokenPublic

__all__ = ["TokenPublic"]


class MePublic(Public):
    """The caller."""

    username: str
    role: str = Field(examples=["dispatcher"])
    unit_code: str | None


class SessionPublic(Public):
    """A signed-in session: its token is in the HttpOnly cookie, never in the body."""

    username: str
    role: str = Field(examples=["dispatcher"])
    unit_code: str | None
    expires_in: int = Field(description="Seconds until the session cookie expires")


class SignedOutPublic(Public):
    """Every token of the account has ended."""

    username: str
    signed_out: bool


class UserPublic(Public):
    """An account (never its password)."""

    id: str
    username: str
    display_name: str
    role: str
    unit_code: str | None
    active: bool
    created_at: Timestamp


class UserList(Public):
    """Every account."""

    users: list[UserPublic]


class AuditEntryPublic(Public):
    """Who did what to which entity; ``data`` depends on the action."""

    id: str
    at: Timestamp
    actor: str
    role: str
    action: str
    entity: str = Field(examples=["user:h_511102"])
    data: dict[str, Any]


class AuditList(Public):
    """The newest audit entries, newest first."""

    entries: list[AuditEntryPublic]


class CategoryNode(Public):
    """One node of the request taxonomy."""

    code: str = Field(examples=["urban.sanitation"])
    name_zh: str
    name_en: str
    parent_code: str | None
    active: bool


class CategoryList(Public):
    """The request taxonomy (domain and sub-category)."""

    categories: list[CategoryNode]


class UnitPublic(Public):
    """A responsible unit of one of the four tiers."""

    code: str
    name: str
    tier: int
    kind: str
    parent_code: str | None
    county_code: str | None
    synthetic: bool
    active: bool


class UnitList(Public):
    """Responsible units."""

    units: list[UnitPublic]


class WallLinkPublic(Public):
    """A wall link (a wall screen's token, never the token itself)."""

    id: str
    issued_by: str
    role: str
    unit_code: str | None
    issued_at: Timestamp
    expires_at: Timestamp
    status: str = Field(examples=["active"], description="active, expired or revoked")
    revoked_at: Timestamp | None
    revoked_by: str | None
    revoked_reason: str | None


class WallLinkList(Public):
    """Wall links, newest first."""

    items: list[WallLinkPublic]
