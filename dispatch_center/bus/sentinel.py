"""Redis behind Sentinel: ``redis+sentinel://`` URLs for :class:`~.redis.RedisBus`.

``redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db]`` names the
Sentinels, the monitored master's service name and the db (``rediss+sentinel://`` for
TLS to Redis). The password is Redis's; the Sentinels are asked without one unless
``?sentinel_password=`` says otherwise. Every new connection, the command client's and
the pub/sub listener's, asks the Sentinels where the master is now, so after a failover
the bus's reconnect (which it does anyway on a lost connection) lands on the new master;
a connection that finds its server demoted to a replica is dropped by redis-py and made
again the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.connection import ConnectionPool
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True)
class SentinelTarget:
    """What a ``redis+sentinel://`` URL says.

    Examples
    --------
    >>> t = SentinelTarget.parse("redis+sentinel://:pw@127.0.0.1:26391,127.0.0.1:26392/dispatch/3")
    >>> t.sentinels, t.service, t.db, t.password, t.ssl
    ([('127.0.0.1', 26391), ('127.0.0.1', 26392)], 'dispatch', 3, 'pw', False)
    >>> SentinelTarget.parse("redis+sentinel://h:26379")
    Traceback (most recent call last):
    ...
    ValueError: redis+sentinel URL names no service: redis+sentinel://host:port,.../SERVICE[/DB]
    """

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    sentinel_password: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str) -> SentinelTarget:
        """Read ``url`` (ValueError naming what is wrong)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise ValueError(f"not a sentinel URL: {parts.scheme}://")
        netloc = parts.netloc
        creds, _, hosts = netloc.rpartition("@")
        username = password = None
        if creds:
            user, _, pw = creds.partition(":")
            username, password = unquote(user) or None, unquote(pw) or None
        sentinels = []
        for host in hosts.split(","):
            name, _, port = host.strip().rpartition(":")
            if not name or not port.isdigit():
                raise ValueError(f"sentinel {host!r} is not host:port")
            sentinels.append((name, int(port)))
        path = [p for p in parts.path.split("/") if p]
        if not path:
            raise ValueError(
                "redis+sentinel URL names no service: redis+sentinel://host:port,.../SERVICE[/DB]"
            )
        if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
            raise ValueError(f"redis+sentinel path {parts.path!r} is not /SERVICE[/DB]")
        options = dict(parse_qsl(parts.query))
        return cls(
            sentinels=sentinels,
            service=path[0],
            db=int(path[1]) if len(path) == 2 else 0,
            username=username,
            password=password,
            ssl=parts.scheme.lower().startswith("rediss"),
            sentinel_password=options.pop("sentinel_password", None),
            options=options,
        )

    def _sentinel(self, timeout: float) -> Sentinel:
        return Sentinel(
            self.sentinels,
            sentinel_kwargs={
                "password": self.sentinel_password,
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
            },
        )

    def _redis_kwargs(self) -> dict[str, Any]:
        return {"db": self.db, "username": self.username, "password": self.password}

    def command_client(self, timeout: float, **kwargs: Any) -> aioredis.Redis:
        """A client of the master for commands (``kwargs`` as for ``redis.asyncio.Redis``)."""
        client: aioredis.Redis = self._sentinel(timeout).master_for(
            self.service, redis_class=aioredis.Redis, ssl=self.ssl, **self._redis_kwargs(), **kwargs
        )
        return client

    def listener_pool(self, timeout: float, **kwargs: Any) -> ConnectionPool:
        """A pool whose connections go to the master (the bus makes one for pub/sub)."""
        return SentinelConnectionPool(
            self.service,
            self._sentinel(timeout),
            ssl=self.ssl,
            **self._redis_kwargs(),
            **kwargs,
        )


def is_sentinel_url(url: str) -> bool:
    """Whether ``url`` names Redis through Sentinel.

    Examples
    --------
    >>> is_sentinel_url("redis+sentinel://h:26379/dispatch"), is_sentinel_url("redis://h")
    (True, False)
    """
    return urlsplit(url).scheme.lower() in SCHEMES
