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
    lon: float | None = None
    lat: float | None = None
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


class CallPublic(Public):
    """The call at the seat, as the CTI reported it."""

    call_id: str
    state: str = Field(examples=["ringing"], description="ringing, answered or ended")
    caller: str | None = Field(examples=["13981366120"])
    rang_at: Timestamp | None = None
    answered_at: Timestamp | None = None
    ended_at: Timestamp | None = None


class CallerOrderPublic(Public):
    """One of the caller's orders."""

    id: str
    number: str
    status: str
    open: bool
    request_type: str
    category_code: str | None = None
    description: str
    address: str | None = None
    received_at: Timestamp | None = None
    merged_into: str | None = None


class ScreenPopPublic(Public):
    """What the seat's desk shows for the call ringing there (``call`` null: none)."""

    seat: str
    key: str = Field(description="send back as known= to wait for the next change")
    call: CallPublic | None
    history: list[CallerOrderPublic] = Field(default_factory=list)
    open_orders: int = 0
    calls_this_month: int = 0
    orders_this_month: int = 0
    repeat_caller: bool = False


class CityPublic(Public):
    """A neighbouring city's 12345."""

    adcode: str = Field(examples=["511400"])
    name: str = Field(examples=["眉山市"])
    number: str = Field(examples=["028-12345"])


class NeighbourPublic(Public):
    """Inside Leshan, or the neighbouring city whose hotline takes the call."""

    inside: bool
    city: CityPublic | None


class CityTransferPublic(Public):
    """A recorded transfer to another city's hotline."""

    id: str
    city: CityPublic
    at: Timestamp
