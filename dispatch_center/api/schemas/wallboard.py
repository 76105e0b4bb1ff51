"""The wall's and the console's JSON helpers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dispatch_center.api.schemas.common import Public
from dispatch_center.api.schemas.orders import CandidatesPublic

__all__ = ["CandidatesPublic", "SectionPublic"]


class SectionPublic(Public):
    """One snapshot section, fresh; ``value`` has the shape the wall's snapshot gives it
    (phone numbers masked).
    """

    name: str = Field(examples=["kpi"])
    value: Any
