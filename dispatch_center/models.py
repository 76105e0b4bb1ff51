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


FIRST_SERVICE_DAY = date(2000, 1, 1)
LAST_SERVICE_DAY = date(2100, 12, 31)


def service_day(day: date) -> date:
    """``day`` when it lies in the years the center can count in (those a calendar can be
    imported for), else a ``ValueError`` the API answers as a 422 naming the field.

    Periods, windows and deadlines step days and months from a client's day; at
    ``0001-01-01`` or ``9999-12-31`` that stepped out of Python's dates (a 500, or a reset
    connection when it happened while a document streamed).

    Examples
    --------
    >>> service_day(date(2026, 10, 1))
    datetime.date(2026, 10, 1)
    >>> service_day(date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    ValueError: must be between 2000-01-01 and 2100-12-31
    """
    if not FIRST_SERVICE_DAY <= day <= LAST_SERVICE_DAY:
        raise ValueError(f"must be between {FIRST_SERVICE_DAY} and {LAST_SERVICE_DAY}")
    return day


ServiceDay = Annotated[date, AfterValidator(service_day)]
"""A day a client names (a report's, a calendar day, a window's start): within
:data:`FIRST_SERVICE_DAY` .. :data:`LAST_SERVICE_DAY`."""


def service_time(moment: datetime) -> datetime:
    """``moment`` when its day (as written, in its own offset) is a :func:`service_day`.

    Checked on the day as written: converting ``9999-12-31T23:59:59-12:00`` to UTC is
    itself what overflowed, and the bounds keep every conversion a day away from the edge.

    Examples
    --------
    >>> service_time(datetime(2026, 10, 1, 9, 30)).year
    2026
    >>> service_time(datetime(1, 1, 1))
    Traceback (most recent call last):
    ...
    ValueError: must be between 2000-01-01 and 2100-12-31
    """
    service_day(moment.date())
    return moment


ServiceTime = Annotated[datetime, AfterValidator(service_time)]
"""A moment a client names (a deadline, a schedule, a call's start): on a
:data:`ServiceDay`."""


class Strict(BaseModel):
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
        if v is not None and v.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-11-27T09:30:00+08:00")
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
    role: str = Field(
        pattern=r"^(admin|duty_officer|dispatcher|flood_hq|holiday_hq|leader|handler|auditor)$"
    )
    unit_code: str | None = None
    display_name: str = Field(default="", max_length=100)


class TokenPublic(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


JSON = dict[str, Any]
