"""Request and response models of the HTTP API (``Base / Create / Update / Public``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dispatch_center.core.deadlines import Duration, LimitUnit, Urgency
from dispatch_center.core.lifecycle import Rating
from dispatch_center.core.received import EARLIEST, LATEST, implausible
from dispatch_center.core.roles import Role
from dispatch_center.core.text import NUL_MESSAGE, nul_path

#: An account's role, spelled as :class:`~dispatch_center.core.roles.Role` spells it.
ROLE_PATTERN = "^(" + "|".join(role.value for role in Role) + ")$"

_CHANNEL = re.compile(r"^(phone|email|wechat|sms|letter|web|open311|110|feed:[a-z0-9_\-]{1,40})$")


class RequestType(StrEnum):
    """诉求类型: consultation, help, complaint, report, suggestion."""

    consultation = "consultation"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 意见建议


class Datum(StrEnum):
    """Geodetic datum a point arrived in."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"


FIELD_CTX = "dc_field"


def field_error(field: str, message: str) -> PydanticCustomError:
    """A cross-field validation error that still names the field at fault.

    A model-level validator's error has no location of its own; the API's error handler
    appends ``ctx[FIELD_CTX]`` so ``error.fields`` names the field, not just ``body``.

    Examples
    --------
    >>> field_error("location", "give a location or an address").context
    {'dc_field': 'location'}
    """
    return PydanticCustomError("field_combination", message, {FIELD_CTX: field})


def refuse_nul(value: Any) -> Any:
    """``value`` unchanged, or a validation error when it holds a NUL character anywhere
    (the database's text cannot hold one); the error names the place inside ``value``.

    Examples
    --------
    >>> refuse_nul({"a": ["ok"]})
    {'a': ['ok']}
    >>> try:
    ...     refuse_nul({"a": ["x" + chr(0)]})
    ... except ValueError as exc:
    ...     print(exc.context)
    {'dc_field': 'a.0'}
    """
    where = nul_path(value)
    if where is None:
        return value
    return _nul_error(where)


def _nul_error(where: str) -> Any:
    # The place inside the field goes in the error's context, which the API's error
    # handler appends to the field's location ("reporter" + "name").
    raise PydanticCustomError("nul_character", NUL_MESSAGE, {FIELD_CTX: where} if where else {})


def plausible(value: Any) -> Any:
    """``value`` unchanged, or a validation error when it is a date or time outside the
    years 2000 to 2199 (year 1 or 9999 overflowed the calendar arithmetic: a 500).

    Examples
    --------
    >>> plausible(date(2026, 11, 27))
    datetime.date(2026, 11, 27)
    >>> try:
    ...     plausible(date(9999, 12, 31))
    ... except ValueError as exc:
    ...     print(exc)
    must lie in the years 2000 to 2199
    """
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        return value
    if not EARLIEST.date() <= day < LATEST.date():
        raise ValueError(f"must lie in the years {EARLIEST.year} to {LATEST.year - 1}")
    return value


NoNul = AfterValidator(refuse_nul)
"""Put in a form field's ``Annotated[str, Form(...), NoNul]``: multipart bodies are read by
no model and no middleware, so each text field refuses a NUL itself (422 naming it)."""

PlausibleDate = Annotated[date, AfterValidator(plausible)]
"""A date in the years 2000 to 2199 (query and path parameters; bodies check every date)."""

PlausibleTime = Annotated[datetime, AfterValidator(plausible)]
"""A time in the years 2000 to 2199 (query and path parameters)."""

# The names the routes use for a day or moment a client names (a report's day, a
# calendar day, a schedule): the same bound.
ServiceDay = PlausibleDate
ServiceTime = PlausibleTime


class Clean(BaseModel):
    """A request body whose text never holds a NUL character: refused with a 422 that
    names the field (``reporter.name``), wherever it is, before it can reach the database;
    and whose dates and times lie in the years 2000 to 2199 (:func:`plausible`).

    Examples
    --------
    >>> class Note(Clean):
    ...     text: str
    >>> try:
    ...     Note(text="a" + chr(0))
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["type"], exc.errors()[0]["loc"])
    nul_character ('text',)
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)

    @field_validator("*", mode="after")
    @classmethod
    def _plausible(cls, value: Any) -> Any:
        return plausible(value)


class Strict(Clean):
    """Unknown fields are an error, so a typo never silently drops data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Location(Strict):
    """A point; ``crs`` says which datum the numbers are in."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Datum = Datum.wgs84


class Reporter(Strict):
    """The citizen who called."""

    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+\-() ]{3,40}$")
    #: 要求保密: keep the citizen's name and number from the units that handle the request
    #: (a 举报 always is, whatever this says).
    confidential: bool = False


class Category(Strict):
    """What the request is about: its type and, optionally, a taxonomy code."""

    type: RequestType
    code: str | None = Field(default=None, max_length=64)


class OrderCreate(Strict):
    """A new work order."""

    channel: str = Field(max_length=48, examples=["phone"])
    category: Category | RequestType
    urgency: Urgency
    description: str = Field(min_length=1, max_length=5000)
    location: Location | None = None
    address: str | None = Field(default=None, max_length=500)
    reporter: Reporter | None = None
    source: str | None = Field(default=None, min_length=1, max_length=64)
    source_id: str | None = Field(default=None, min_length=1, max_length=200)
    received_at: datetime | None = None

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if not _CHANNEL.match(v):
            raise ValueError(
                "must be phone, email, wechat, sms, letter, web, open311, 110 or feed:<system>"
            )
        return v

    @field_validator("received_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        # The window relative to now, and who may backdate, is the service's
        # (orders.service.check_received_at); a time no request can have is refused here.
        bad = implausible(v) if v is not None else None
        if bad is not None:
            raise ValueError(bad)
        return v

    @model_validator(mode="after")
    def _where_and_source(self) -> OrderCreate:
        if self.location is None and not self.address:
            raise field_error("location", "give a location or an address (or both)")
        if (self.source is None) != (self.source_id is None):
            missing = "source" if self.source is None else "source_id"
            raise field_error(missing, "source and source_id go together")
        return self

    @property
    def request_type(self) -> RequestType:
        """The request type, whichever way it was given."""
        return self.category.type if isinstance(self.category, Category) else self.category

    @property
    def category_code(self) -> str | None:
        """The taxonomy code, if given."""
        return self.category.code if isinstance(self.category, Category) else None


class ExtensionRequest(Strict):
    """How much more time a unit asks for."""

    value: int = Field(ge=1, le=60)
    unit: LimitUnit = LimitUnit.working_days


class OrderAction(Strict):
    """Details of an action on an order; which are needed depends on the action."""

    note: str | None = Field(default=None, max_length=2000)
    unit_code: str | None = Field(default=None, max_length=64)
    co_units: list[str] = Field(default_factory=list, max_length=20)
    rating: Rating | None = None
    solved: bool | None = None
    target_order_id: str | None = Field(default=None, max_length=32)
    extension: ExtensionRequest | None = None
    version: int | None = Field(default=None, ge=1)
    #: ``resolve_at_intake`` only: the published knowledge-base article the caller was
    #: answered from, and the desk's session whose searches led there.
    kb_article_id: str | None = Field(default=None, max_length=18, pattern=r"^[0-9]+$")
    kb_session: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    #: A child unit's internal deadline, set with ``assign_down``.
    due: datetime | None = None
    #: 退单 / 回退: the reason from the list (``core.workbench.RETURN_REASONS``), with ``note``.
    reason_code: str | None = Field(default=None, max_length=40)
    #: 办结: solved, partly solved or explained (``core.workbench.OUTCOMES``).
    outcome: str | None = Field(default=None, max_length=20)
    #: 办结: photos uploaded first (``POST /api/v1/orders/{id}/photos``), by id.
    photo_ids: list[str] = Field(default_factory=list, max_length=6)
    #: 协办: act on this co-handling unit's part (accept, reply) instead of the whole order.
    part: bool = False
    #: An id the phone made for this action, so a repeat sent after a lost answer is
    #: answered from the first time instead of acting twice.
    client_id: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[\w\-]+$")


class TimeLimitUpdate(Strict):
    """A time limit, per urgency and optionally per category and mode."""

    urgency: Urgency
    category_code: str | None = None
    mode: str | None = Field(default=None, pattern=r"^(normal|holiday|emergency)$")
    respond_value: int = Field(ge=0, le=10000)
    respond_unit: LimitUnit
    reply_value: int = Field(ge=0, le=10000)
    reply_unit: LimitUnit

    @model_validator(mode="after")
    def _durations_are_valid(self) -> TimeLimitUpdate:
        # The table is re-read into core Durations after every write: a pair they refuse
        # (5 "immediate") used to be stored first and then fail that reload with a 500.
        for side in ("respond", "reply"):
            try:
                Duration(getattr(self, f"{side}_value"), getattr(self, f"{side}_unit"))
            except ValueError as exc:
                raise field_error(f"{side}_value", str(exc)) from None
        return self


class CalendarDayUpdate(Strict):
    """Make a day a holiday, a make-up workday, or ordinary (kind null)."""

    kind: str | None = Field(default=None, pattern=r"^(holiday|workday)$")
    name: str = Field(default="", max_length=100)


class CalendarYearImport(Strict):
    """A year's official schedule, e.g. published by the State Council each autumn."""

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1, max_length=200)
    holidays: list[dict[str, str]] = Field(default_factory=list, max_length=400)
    workdays: list[dict[str, str]] = Field(default_factory=list, max_length=100)


class UserCreate(Strict):
    """A new account."""

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: str = Field(pattern=ROLE_PATTERN)
    unit_code: str | None = None
    display_name: str = Field(default="", max_length=100)


class TokenPublic(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


JSON = dict[str, Any]


# ---------------------------------------------------------------- knowledge base (知识库)

KbQuestion = Annotated[str, Field(min_length=1, max_length=200)]


class KbArticleCreate(Strict):
    """A new knowledge-base article (a draft until the center reviews and publishes it).

    ``owner`` is the unit that writes and answers for it; a handler's own unit when left
    out.
    """

    owner: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    questions: list[KbQuestion] = Field(default_factory=list, max_length=50)
    answer: str = Field(min_length=1, max_length=20000)
    policy_source: str = Field(default="", max_length=500)
    category_code: str | None = Field(default=None, max_length=64)
    valid_from: PlausibleDate | None = None
    valid_until: PlausibleDate | None = None

    @model_validator(mode="after")
    def _valid_in_order(self) -> KbArticleCreate:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise field_error("valid_until", "must not be before valid_from")
        return self


class KbArticleUpdate(Strict):
    """An edit: the fields given replace the article's (the article goes back to draft).

    ``version`` is the version edited; when given and no longer current, the answer is 409.
    """

    owner: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    questions: list[KbQuestion] | None = Field(default=None, max_length=50)
    answer: str | None = Field(default=None, min_length=1, max_length=20000)
    policy_source: str | None = Field(default=None, max_length=500)
    category_code: str | None = Field(default=None, max_length=64)
    valid_from: PlausibleDate | None = None
    valid_until: PlausibleDate | None = None
    version: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=2000)


class KbStatusChange(Strict):
    """A review, publication or expiry; ``version`` as for an edit."""

    version: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=2000)


class KbSearchUsed(Strict):
    """The article a call was answered from, after a search."""

    article_id: str = Field(max_length=18, pattern=r"^[0-9]+$")


class KbSynonymCreate(Strict):
    """A group of words that mean the same to a caller (社保, 社会保险)."""

    words: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=2, max_length=20
    )
