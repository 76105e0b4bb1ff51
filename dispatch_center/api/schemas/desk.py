"""The call-taker's desk: places, similar orders, category suggestions, the screen pop."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Public, Timestamp


class PlacePublic(Public):
    """One gazetteer entry; the point is WGS-84."""

    name: str = Field(examples=["乐山大佛"])
    kind: str = Field(examples=["landmark"])
    lon: float = Field(examples=[103.769])
    lat: float = Field(examples=[29.5447])
    adcode: str = Field(examples=["511102"])


class PlaceList(Public):
    """Places best first: exact, then prefix, then substring; by kind within each."""

    items: list[PlacePublic]


class SimilarOrderPublic(Public):
    """An open order that may be the same matter as the call being taken."""

    id: str
    number: str = Field(examples=["20261205-0042"])
    distance_m: float | None = Field(examples=[84.2])
    score: float = Field(examples=[0.82])
    status: str = Field(examples=["dispatched"])
    category_code: str | None = None
    description: str = ""
    received_at: Timestamp | None = None
    #: Calls already attached to it (并单).
    repeat_calls: int = 0


class SimilarOrderList(Public):
    """Similar open orders, best first."""

    items: list[SimilarOrderPublic]


class CategorySuggestionPublic(Public):
    """A taxonomy category and how strongly the description points at it (0..1)."""

    code: str = Field(examples=["urban.sanitation"])
    name: str = Field(examples=["市容环卫"])
    score: float = Field(examples=[0.71])


class CategorySuggestionList(Public):
    """The top categories for a description, best first."""

    items: list[CategorySuggestionPublic]
