"""The one settings tree of the center, read once from the environment.

Every key is documented in ``.env.example``. Nested groups use ``__`` in
environment names only where a group has no flat contract name; the names that
operators depend on (``DATABASE_URL``, ``REDIS_URL``, ``DISPATCH_*``) are flat.
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch_center.core.credentials import signing_key_problem


class FeedPoll(BaseModel):
    """How the runner fetches one poll system: a GET of ``url``, optionally authenticated.

    Set per system with nested environment names, the secret from the environment (or a
    ``.env`` outside the repo), never in a file under version control::

        DISPATCH_FEED_POLL__HYDROLOGY__URL=https://sw.example.gov.cn/api/rt
        DISPATCH_FEED_POLL__HYDROLOGY__AUTH_HEADER=X-Api-Key
        DISPATCH_FEED_POLL__HYDROLOGY__AUTH_VALUE=<the key the system gave us>
        DISPATCH_FEED_POLL__HYDROLOGY__INTERVAL_S=120

    Examples
    --------
    >>> p = FeedPoll(url="https://sw.example.gov.cn/api/rt", auth_value="Bearer k")
    >>> p.headers()
    {'Authorization': 'Bearer k'}
    """

    url: str = Field(pattern=r"^https?://")
    auth_header: str = "Authorization"
    auth_value: SecretStr | None = None
    # None = the system's declared interval; the timeout caps one GET.
    interval_s: float | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=20.0, gt=0)

    def headers(self) -> dict[str, str]:
        """The request headers (the auth header only when a value is set)."""
        if self.auth_value is None or not self.auth_value.get_secret_value():
            return {}
        return {self.auth_header: self.auth_value.get_secret_value()}


class Settings(BaseSettings):
    """Configuration of one center process.

    Examples
    --------
    >>> s = Settings(demo=True, secret_key="")
    >>> s.demo
    True
    """

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_nested_delimiter="__"
    )

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("./data"), alias="DISPATCH_DATA_DIR")
    secret_key: str = Field(default="", alias="DISPATCH_SECRET_KEY")
    demo: bool = Field(default=False, alias="DISPATCH_DEMO")
    demo_password: str | None = Field(default=None, alias="DISPATCH_DEMO_PASSWORD")
    demo_api_key: str | None = Field(default=None, alias="DISPATCH_DEMO_API_KEY")
    demo_story: bool = Field(default=True, alias="DISPATCH_DEMO_STORY")
    token_ttl_minutes: int = Field(default=12 * 60, alias="DISPATCH_TOKEN_TTL_MINUTES", ge=1)
    wall_token_ttl_days: int = Field(default=30, alias="DISPATCH_WALL_TOKEN_TTL_DAYS", ge=1)
    # Revocations (logout, password change, deactivation) reach the other workers through
    # the bus at once; this is how often each worker also reads them from the database,
    # the bound when an announcement is lost.
    token_sync_s: float = Field(default=2.0, alias="DISPATCH_TOKEN_SYNC_SECONDS", gt=0, le=60)
    db_pool_min: int = Field(default=2, alias="DISPATCH_DB_POOL_MIN", ge=1)
    db_pool_max: int = Field(default=16, alias="DISPATCH_DB_POOL_MAX", ge=1)
    # The longest a request waits for a database connection (and for a new one to open)
    # before it is answered 503 with Retry-After: a database that is down answers fast.
    db_acquire_timeout_s: float = Field(
        default=5.0, alias="DISPATCH_DB_ACQUIRE_TIMEOUT_S", gt=0, le=60
    )
    order_prefix: str = Field(default="LS", alias="DISPATCH_ORDER_PREFIX", min_length=1)
    city_code: str = Field(default="511100", alias="DISPATCH_CITY_CODE")
    max_body_bytes: int = Field(default=1_000_000, alias="DISPATCH_MAX_BODY_BYTES", ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="DISPATCH_LOG_LEVEL"
    )
    # "json": one JSON object per log line (with the request id), for a log shipper.
    log_format: Literal["text", "json"] = Field(default="text", alias="DISPATCH_LOG_FORMAT")
    # The bearer token a Prometheus scraper sends to /metrics (an admin's token works too);
    # unset = admins only.
    metrics_token: SecretStr | None = Field(
        default=None, alias="DISPATCH_METRICS_TOKEN", min_length=24
    )
    partition_months_ahead: int = Field(default=3, alias="DISPATCH_PARTITION_MONTHS_AHEAD", ge=1)
    # Map tiles for the wall and the console; unset = boundaries only (no outside request).
    tile_url: str | None = Field(default=None, alias="DISPATCH_TILE_URL")
    tile_attribution: str = Field(default="", alias="DISPATCH_TILE_ATTRIBUTION")
    # Web Push to the handlers' phones (VAPID): the private key as PEM (or a path to one),
    # never in the repository; unset = no push (the demo makes a pair at startup).
    vapid_private_key: str = Field(default="", alias="DISPATCH_VAPID_PRIVATE_KEY", repr=False)
    vapid_subject: str = Field(
        default="mailto:12345@leshan.example", alias="DISPATCH_VAPID_SUBJECT"
    )
    # An MBTiles file of the center's own area (offline base map), served at /tiles/z/x/y;
    # used when DISPATCH_TILE_URL is unset.
    tile_mbtiles: Path | None = Field(default=None, alias="DISPATCH_TILE_MBTILES")
    policy_dir: Path | None = Field(default=None, alias="DISPATCH_POLICY_DIR")
    # Field teams: a team whose newest position is older than this is 失联 (out of contact).
    team_lost_after_s: int = Field(default=600, alias="DISPATCH_TEAM_LOST_AFTER_S", ge=30)
    # The wall's alert sound is silent between these local hours ("23-7"; empty: never).
    wall_quiet_hours: str = Field(
        default="", alias="DISPATCH_WALL_QUIET_HOURS", pattern=r"^$|^\d{1,2}-\d{1,2}$"
    )
    # Supervision: the video-conference system signs its webhook with this secret
    # (HMAC-SHA256); unset = the webhook answers 503. PDF font of the minutes: a TrueType
    # CJK font file (.ttf/.ttc); unset = the first one found, else a built-in CID font.
    video_webhook_secret: str | None = Field(default=None, alias="DISPATCH_VIDEO_WEBHOOK_SECRET")
    supervision_tick_seconds: float = Field(
        default=60.0, alias="DISPATCH_SUPERVISION_TICK_SECONDS", gt=0
    )
    pdf_font: Path | None = Field(default=None, alias="DISPATCH_PDF_FONT")
    # Links people type (video rooms, attachments) must be https; plain http only to these
    # hosts ("vc.internal,10.1.2.3:8080"), e.g. an internal video system without TLS.
    http_link_hosts: str = Field(default="", alias="DISPATCH_HTTP_LINK_HOSTS")
    # Browser origins besides the page's own that may open /ws/wallboard
    # ("https://wall.example.gov.cn,https://10.1.2.3:8443"): a proxy that rewrites Host.
    allowed_origins: str = Field(default="", alias="DISPATCH_ALLOWED_ORIGINS")
    # Weights of the quarterly ranking's composite score, as "satisfaction=0.4,on_time=0.2"
    # (unnamed weights keep their defaults); read when a ranking is asked for without its own.
    ranking_weights: str | None = Field(default=None, alias="DISPATCH_RANKING_WEIGHTS")
    # Wall screens: under load the live hub reads and fans out at most once per tick, so
    # each screen gets one frame per tick (25/s at 40 ms) instead of one per change. On the
    # 2-core benchmark 40 ms gave a lower delay tail than 20 ms (fewer sends, less CPU).
    wall_tick_ms: int = Field(default=40, alias="DISPATCH_WALL_TICK_MS", ge=0, le=1000)
    # Feeds and intake: per-source keys and HMAC secrets ("system=value,..."), limits.
    feed_keys: str | None = Field(default=None, alias="DISPATCH_FEED_KEYS")
    feed_hmac_secrets: str | None = Field(default=None, alias="DISPATCH_FEED_HMAC_SECRETS")
    feed_limits: str | None = Field(default=None, alias="DISPATCH_FEED_LIMITS")
    feed_rate_per_s: float = Field(default=20.0, alias="DISPATCH_FEED_RATE_PER_S", gt=0)
    feed_burst: int = Field(default=200, alias="DISPATCH_FEED_BURST", ge=1)
    feed_max_bytes: int = Field(default=1_000_000, alias="DISPATCH_FEED_MAX_BYTES", ge=256)
    # A signed intake request (X-Timestamp + X-Signature, a WeChat callback) is accepted
    # within this many seconds of its timestamp, and each signature or nonce only once.
    signature_window_s: int = Field(
        default=300, alias="DISPATCH_SIGNATURE_WINDOW_S", ge=10, le=3600
    )
    # Poll systems the runner fetches itself (system id → FeedPoll); a system not listed
    # here is push (or simulated in the demo). Nested names: DISPATCH_FEED_POLL__<SYSTEM>__URL.
    feed_poll: dict[str, FeedPoll] = Field(default_factory=dict, alias="DISPATCH_FEED_POLL")
    # How often each worker writes its feed-health counters to the shared table (seconds).
    feed_health_flush_s: float = Field(default=5.0, alias="DISPATCH_FEED_HEALTH_FLUSH_S", gt=0)
    intake_queue_size: int = Field(default=20_000, alias="DISPATCH_INTAKE_QUEUE_SIZE", ge=1)
    # A worker that stops sending its heartbeat (killed, host lost) for this long has its
    # accepted, unprocessed payloads taken over by another worker (or its own restart).
    intake_lease_s: float = Field(default=30.0, alias="DISPATCH_INTAKE_LEASE_S", ge=2, le=3600)
    wechat_token: str | None = Field(default=None, alias="DISPATCH_WECHAT_TOKEN")
    # Safe mode (安全模式): the account's EncodingAESKey (43 characters) and AppID. The
    # message callbacks are then signed over the message and encrypted. Plain-mode
    # callbacks (whose signature does not cover the message) are refused unless
    # DISPATCH_WECHAT_PLAIN_MODE=1, for an account that cannot use safe mode.
    wechat_aes_key: SecretStr | None = Field(
        default=None, alias="DISPATCH_WECHAT_AES_KEY", min_length=43, max_length=43
    )
    wechat_app_id: str | None = Field(default=None, alias="DISPATCH_WECHAT_APP_ID")
    wechat_plain_mode: bool = Field(default=False, alias="DISPATCH_WECHAT_PLAIN_MODE")
    # A citizen's WeChat messages this close together (same OpenID) fold into one order
    # while that order is still un-dispatched.
    wechat_fold_window_s: int = Field(default=600, alias="DISPATCH_WECHAT_FOLD_WINDOW_S", ge=0)
    # A client's received_at (an order's, an intake form's): at most this far ahead of the
    # server clock, and at most DISPATCH_RECEIVED_AT_LATE_S back, except for the roles and
    # sources allowed to backdate (letters registered days later, systems replaying after
    # an outage), who may go DISPATCH_BACKDATE_DAYS back (dispatch_center.core.received).
    received_at_future_s: int = Field(default=300, alias="DISPATCH_RECEIVED_AT_FUTURE_S", ge=0)
    received_at_late_s: int = Field(default=900, alias="DISPATCH_RECEIVED_AT_LATE_S", ge=0)
    backdate_days: int = Field(default=31, alias="DISPATCH_BACKDATE_DAYS", ge=0, le=100_000)
    backdate_roles: str = Field(default="admin,duty_officer", alias="DISPATCH_BACKDATE_ROLES")
    # Intake sources (systems and channels, "letter,sms,hydrology") that may backdate;
    # "*" = every one.
    backdate_sources: str = Field(default="*", alias="DISPATCH_BACKDATE_SOURCES")
    # The desk's live duplicates: open orders this near (metres) and this recent (days).
    desk_similar_radius_m: float = Field(
        default=250.0, alias="DISPATCH_DESK_SIMILAR_RADIUS_M", gt=0, le=5000
    )
    desk_similar_days: int = Field(default=30, alias="DISPATCH_DESK_SIMILAR_DAYS", ge=1, le=365)
    scenario: Literal["normal", "flood", "golden-week"] = Field(
        default="normal", alias="DISPATCH_SCENARIO"
    )
    # Simulated outside systems (the demo command turns it on unless DISPATCH_SIMULATOR=0).
    simulator: bool | None = Field(default=None, alias="DISPATCH_SIMULATOR")
    # The citizen's SMS (issue 21): which gateway carries it, and how it may be sent.
    sms_gateway: Literal["none", "http", "smpp"] = Field(
        default="none", alias="DISPATCH_SMS_GATEWAY"
    )
    sms_http_url: str | None = Field(default=None, alias="DISPATCH_SMS_HTTP_URL")
    sms_username: str | None = Field(default=None, alias="DISPATCH_SMS_USERNAME")
    sms_password: SecretStr | None = Field(default=None, alias="DISPATCH_SMS_PASSWORD")
    sms_smpp_host: str = Field(default="127.0.0.1", alias="DISPATCH_SMS_SMPP_HOST")
    sms_smpp_port: int = Field(default=2775, alias="DISPATCH_SMS_SMPP_PORT", ge=1, le=65535)
    sms_sender: str = Field(default="12345", alias="DISPATCH_SMS_SENDER")
    sms_callback_url: str | None = Field(default=None, alias="DISPATCH_SMS_CALLBACK_URL")
    sms_quiet_hours: str = Field(default="22:00-08:00", alias="DISPATCH_SMS_QUIET_HOURS")
    sms_per_number_per_hour: int = Field(default=6, alias="DISPATCH_SMS_PER_NUMBER_PER_HOUR", ge=1)
    sms_max_attempts: int = Field(default=5, alias="DISPATCH_SMS_MAX_ATTEMPTS", ge=1)
    sms_retry_base_s: float = Field(default=30.0, alias="DISPATCH_SMS_RETRY_BASE_S", ge=0)
    public_url: str = Field(default="", alias="DISPATCH_PUBLIC_URL")
    # A callback (回访) is due this many working days (the center's calendar) after 办结.
    callback_due_working_days: int = Field(
        default=3, alias="DISPATCH_CALLBACK_DUE_WORKING_DAYS", ge=0, le=30
    )
    # Admins and duty officers are warned this many days before 1 January when next year's
    # official holidays (国务院节假日安排) are not entered yet: deadlines crossing into it are
    # counted Monday-Friday and marked provisional until they are.
    calendar_warn_days: int = Field(default=60, alias="DISPATCH_CALENDAR_WARN_DAYS", ge=0, le=366)

    @field_validator(
        "policy_dir",
        "pdf_font",
        "tile_url",
        "tile_mbtiles",
        "demo_password",
        "demo_api_key",
        "ranking_weights",
        "video_webhook_secret",
        "feed_keys",
        "feed_hmac_secrets",
        "feed_limits",
        "wechat_token",
        "wechat_aes_key",
        "wechat_app_id",
        "metrics_token",
        "simulator",
        "sms_http_url",
        "sms_username",
        "sms_password",
        "sms_callback_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        # `DISPATCH_POLICY_DIR=` copied from .env.example means "bundled policies",
        # not the current directory; `DISPATCH_DEMO_PASSWORD=` means "generate one".
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("database_url", mode="after")
    @classmethod
    def _no_placeholder_password(cls, v: str | None) -> str | None:
        # docker/.env.example ships CHANGE_ME: a stack started before it was replaced
        # would run on a password anyone can read in the repository.
        if v and database_password_is_placeholder(v):
            raise ValueError(
                "has a placeholder password: set a real one (with compose, POSTGRES_PASSWORD"
                " in docker/.env)"
            )
        return v

    @model_validator(mode="after")
    def _secret_required_outside_demo(self) -> Settings:
        # A weak key signs tokens anyone can forge: refuse to run with one unless this is
        # the demo, which makes a throwaway key per data dir.
        problem = None if self.demo else signing_key_problem(self.secret_key)
        if problem is not None:
            raise ValueError(
                f"DISPATCH_SECRET_KEY {problem}: set a long random secret outside demo mode"
                " (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def http_link_host_set(self) -> frozenset[str]:
        """``DISPATCH_HTTP_LINK_HOSTS`` as a set of lower-case hosts.

        Examples
        --------
        >>> s = Settings(demo=True, http_link_hosts="VC.internal, 10.1.2.3:8080")
        >>> sorted(s.http_link_host_set)
        ['10.1.2.3:8080', 'vc.internal']
        """
        return frozenset(h.strip().lower() for h in self.http_link_hosts.split(",") if h.strip())

    @property
    def allowed_origin_set(self) -> frozenset[str]:
        """``DISPATCH_ALLOWED_ORIGINS`` as a set of origins without a trailing slash.

        Examples
        --------
        >>> Settings(demo=True, allowed_origins="https://Wall.example/ ").allowed_origin_set
        frozenset({'https://wall.example'})
        """
        return frozenset(
            o.strip().rstrip("/").lower() for o in self.allowed_origins.split(",") if o.strip()
        )

    @property
    def embedded_db_dir(self) -> Path:
        """Where the embedded PostgreSQL keeps its cluster."""
        return self.data_dir.resolve() / "pgdata"


_PLACEHOLDER_PASSWORDS = frozenset(
    {"changeme", "password", "secret", "placeholder", "yourpassword", "xxx", "xxxx"}
)


def database_password_is_placeholder(url: str) -> bool:
    """Whether the password in a PostgreSQL URL is a placeholder such as ``CHANGE_ME``.

    Examples
    --------
    >>> database_password_is_placeholder("postgresql://dispatch:CHANGE_ME@db:5432/dispatch")
    True
    >>> database_password_is_placeholder("postgresql://dispatch:<password>@db/dispatch")
    True
    >>> database_password_is_placeholder("postgresql://dispatch:9f3c1a7e@db/dispatch")
    False
    >>> database_password_is_placeholder("postgresql://postgres@127.0.0.1/test")
    False
    """
    try:
        password = urlsplit(url).password
    except ValueError:
        return False  # not a URL (a libpq key=value string): psycopg judges it
    if not password:
        return False
    return re.sub(r"[-_<>\s]", "", password.lower()) in _PLACEHOLDER_PASSWORDS


class ConfigurationError(ValueError):
    """A setting the process cannot run with, said in one line an operator can act on."""


def _setting_name(loc: tuple[int | str, ...]) -> str:
    # A nested group's error names the field ("feed_poll", "hydrology", "url"); it is set
    # as DISPATCH_FEED_POLL__HYDROLOGY__URL.
    if loc and isinstance(loc[0], str) and loc[0] in Settings.model_fields:
        loc = (Settings.model_fields[loc[0]].alias or loc[0], *loc[1:])
    return "__".join(str(part).upper() for part in loc)


def describe_invalid(exc: ValidationError) -> str:
    """One line naming each setting that is wrong and why (values left out: secrets).

    Examples
    --------
    >>> try:
    ...     Settings(demo=True, DISPATCH_LOG_LEVEL="LOUD")
    ... except ValidationError as exc:
    ...     print(describe_invalid(exc))
    DISPATCH_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'
    """
    parts = []
    for err in exc.errors():
        msg = " ".join(str(err["msg"]).split()).removeprefix("Value error, ")
        name = _setting_name(tuple(err["loc"]))
        parts.append(f"{name}: {msg}" if name else msg)
    return "; ".join(parts)


def load_settings(**values: Any) -> Settings:
    """The settings from the environment (and ``.env``), or a :class:`ConfigurationError`.

    ``values`` override the environment, by field name. The command line prints the
    error's one line instead of pydantic's traceback.

    Examples
    --------
    >>> load_settings(demo=True).demo
    True
    >>> try:
    ...     load_settings(demo=False, secret_key="changeme")
    ... except ConfigurationError as exc:
    ...     print(exc)
    DISPATCH_SECRET_KEY is a placeholder: set a long random secret outside demo mode ...
    """
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(describe_invalid(exc)) from None


def demo_secret(data_dir: Path) -> str:
    """Return the demo's signing key, created once per data directory.

    Kept in the data directory (never in the repo) so that tokens survive a
    restart of the demo but are worthless against any other installation.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> demo_secret(d) == demo_secret(d)
    True
    """
    path = data_dir / "demo-secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """Send the center's log lines to standard error at ``DISPATCH_LOG_LEVEL``.

    Called by every entry point (the CLI, each ``serve`` worker), because a worker is a
    process of its own: without it, its INFO lines (a feed that recovered, a partition
    made) would never be written.

    Examples
    --------
    >>> import logging
    >>> configure_logging(Settings(demo=True, log_level="WARNING"))
    >>> logging.getLogger().level == logging.WARNING
    True
    """
    logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger().setLevel(settings.log_level)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings from the environment once per process."""
    return Settings()
