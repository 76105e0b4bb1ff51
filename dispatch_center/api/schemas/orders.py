"""Work orders: the ``OrderPublic`` family (routing, deadlines, timeline) and lists."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Number, Public, Timestamp


class UnitRef(Public):
    """A responsible unit named by code and name."""

    code: str = Field(examples=["511102-ZFJ"])
    name: str | None = Field(examples=["市中区综合行政执法局"])


# The routing record is stored as JSONB and comes back with each object's keys in the
# database's order (shorter keys first, then bytewise): the models below declare their
# fields in that order so the answer keeps it.


class RoutingUnit(Public):
    """A lead or co-handling unit; ``by: "mode"`` when the mode in force added it."""

    by: str | None = None
    code: str = Field(examples=["511102-ZFJ"])
    name: str | None = Field(examples=["市中区综合行政执法局"])


class RoutingStep(Public):
    """One step of the tier path, in the shape ``GET /api/v1/geo/locate`` returns."""

    code: str = Field(examples=["511102"])
    name: str = Field(examples=["市中区"])
    tier: int = Field(examples=[2])


class RoutingAsset(Public):
    """An asset layer (river, scenic area, national road) that decided the routing."""

    code: str
    kind: str = Field(examples=["scenic_area"])
    name: str


class RoutingPoint(Public):
    """The order's point in WGS-84 (rounded to 7 decimals)."""

    lat: float
    lon: float


class RoutingModePublic(Public):
    """The mode in force where the order was when it was routed."""

    mode: str = Field(examples=["normal"])
    co_dispatch: list[str] | None = None
    declaration_id: str | None = None
    emergency_type: str | None = None
    policy_version: str | None = None
    urgency_raised_from: str | None = None


class RoutingPublic(Public):
    """Where the order is and who is responsible, as stored when it was created.

    ``queue``: ``dispatch`` (a suggested lead unit), ``manual`` (the city center decides)
    or ``transfer`` (outside Leshan). Outside Leshan it also names the ``nearest`` area,
    the ``distance_m`` to it and the ``neighbour`` city. Stored with the order, so older
    orders may lack keys newer ones have; fields are declared in the order the database
    hands them back.
    """

    co: list[RoutingUnit] | None = None
    lead: RoutingUnit | None = None
    mode: RoutingModePublic | None = None
    path: list[RoutingStep] | None = None
    asset: RoutingAsset | None = None
    queue: str | None = Field(default=None, examples=["dispatch"])
    inside: bool | None = None
    reason: str | None = None
    nearest: RoutingStep | None = None
    location: RoutingPoint | None = None
    neighbour: RoutingStep | None = None
    distance_m: Number | None = None
    area_version: str | None = None
    catalogue_version: str | None = None


class DeadlinesPublic(Public):
    """Statutory deadlines: ``respond_by`` (first response or contact) and ``reply_by``."""

    respond_by: Timestamp
    reply_by: Timestamp
    provisional: bool = Field(description="true when the calendar for that year is not loaded")


class CategoryPublic(Public):
    """The request type and, when classified, its taxonomy code and name."""

    type: str = Field(examples=["complaint"])
    code: str | None
    name: str | None


class OrderLocationPublic(Public):
    """The order's point in WGS-84 and the datum it was received in."""

    lon: float
    lat: float
    crs: str = Field(examples=["wgs84"])
    received_crs: str | None = Field(examples=["gcj02"])


class ReporterPublic(Public):
    """The citizen; ``phone`` is masked unless the caller's role may see it. A
    confidential reporter (要求保密, and every 举报) is masked, name included, for the
    units that handle the order; the order's description then has its numbers masked.
    """

    name: str | None
    phone: str | None = Field(examples=["138****5678"])
    confidential: bool = False


class TimelineEntryPublic(Public):
    """One entry of the append-only timeline; ``data`` depends on the action."""

    id: str
    at: Timestamp
    actor: str
    role: str
    action: str = Field(examples=["dispatch"])
    from_: str | None = Field(alias="from")
    to: str | None
    note: str | None
    data: Json | None


class DelegationStepPublic(Public):
    """One pass down (下派): from ``parent`` to ``child``, with the parent's note and the
    child's internal deadline (``due``, null: the order's own).
    """

    parent: UnitRef
    child: UnitRef
    by: str
    at: Timestamp
    note: str | None
    due: Timestamp | None


class CoPartPublic(Public):
    """A co-handling unit's (协办) part: ``state`` ``dispatched``, ``accepted`` or
    ``replied``, with its reply's text and outcome once replied.
    """

    unit: UnitRef
    state: str = Field(examples=["accepted"])
    text: str | None = None
    outcome: str | None = None
    by: str | None = None
    at: Timestamp | None = None


class OrderPublic(Public):
    """A work order as the caller may see it, with what the caller may do next."""

    id: str = Field(examples=["1024"])
    number: str = Field(examples=["LS2026112700001"])
    channel: str = Field(examples=["phone"])
    category: CategoryPublic
    urgency: str = Field(examples=["general"])
    description: str
    location: OrderLocationPublic | None
    address: str | None
    reporter: ReporterPublic
    source: str | None
    source_id: str | None
    routing: RoutingPublic | None
    assigned_unit: UnitRef | None
    status: str = Field(examples=["dispatched"])
    status_label: str = Field(examples=["已派单"])
    version: int
    received_at: Timestamp
    deadlines: DeadlinesPublic
    due_soon: bool
    overdue: bool
    responded_at: Timestamp | None
    replied_at: Timestamp | None
    closed_at: Timestamp | None
    extension_pending: bool
    last_rating: str | None
    last_solved: bool | None
    merged_into: str | None
    kb_article_id: str | None = Field(
        default=None, description="the knowledge-base article it was answered from"
    )
    allowed_actions: list[str] = Field(examples=[["accept", "request_return"]])
    lead_unit: UnitRef | None = Field(
        default=None, description="the unit the center dispatched to; it answers for the order"
    )
    delegation: list[DelegationStepPublic] = Field(
        default_factory=list, description="passes down (下派) from the lead to the holder"
    )
    co_parts: list[CoPartPublic] = Field(
        default_factory=list, description="co-handling units (协办) and their parts"
    )
    timeline: list[TimelineEntryPublic] | None = Field(
        default=None, description="on GET /api/v1/orders/{order_id} only"
    )


class OrderList(Public):
    """A page of orders, newest first; pass ``next_before_id`` to get the next page."""

    orders: list[OrderPublic]
    next_before_id: str | None


class CandidatePublic(Public):
    """A unit that could take the order, with distance and open load."""

    code: str
    name: str | None
    tier: int | None = None
    kind: str | None = None
    why: str | None = None
    distance_km: Number | None = None
    open_load: int | None = None


class PendingRequest(Public):
    """A unit's pending 退单 or 延期 request: who, when, why (and, for 延期, how long)."""

    by: str
    at: Timestamp
    note: str | None = None
    value: int | None = None
    unit: str | None = None


class SimilarOrder(Public):
    """An open order nearby of the same category family: a possible duplicate (并单)."""

    id: str
    number: str
    distance_m: int
    score: Number
    status: str
    status_label: str
    description: str
    unit: str | None = None


class CandidatesPublic(Public):
    """The dispatcher console's choice for one order: suggested unit and alternatives
    (``distance_km`` from the order's place to each unit's area, 0 inside it), the pending
    退单 or 延期 request and the possible duplicates to merge into.
    """

    order: OrderPublic
    suggested: CandidatePublic | None
    co: list[RoutingUnit]
    queue: str | None
    reason: str | None
    alternatives: list[CandidatePublic]
    return_request: PendingRequest | None = None
    extension_request: PendingRequest | None = None
    similar: list[SimilarOrder] = Field(default_factory=list)


class PhotoPublic(Public):
    """A reply's photo as stored: metadata stripped, its place kept apart."""

    id: str
    order_id: str
    width: int
    height: int
    size: int = Field(description="bytes")
    lon: float | None
    lat: float | None
    url: str
