"""The production topology on one machine, on loopback, in a temporary directory.

Used by ``scripts/cluster`` (start it and keep it up) and ``scripts/cluster-faults``
(start it, break it, measure). Engines made for this, from Debian's packages:

- etcd (one member) as Patroni's store;
- Patroni managing PostgreSQL 15 (``/usr/lib/postgresql/15/bin``): a primary and a
  synchronous standby (``synchronous_mode: true``), run as the ``postgres`` user;
- Redis master + replica and three Sentinels (quorum 2);
- HAProxy: a PostgreSQL front that follows the Patroni leader (``GET /primary`` on each
  node's REST API) and an HTTP front over two app hosts (``GET /readyz``);
- two app hosts: ``dispatch-center serve`` processes, each with its own port and data
  directory, ``DATABASE_URL`` at HAProxy's PostgreSQL front and
  ``REDIS_URL=redis+sentinel://...``.

Nothing listens beyond 127.0.0.1; ports are ``base + offset`` (base 17000 by default).
``docker/cluster/`` holds the same shape as files for real machines.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path(os.environ.get("CLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
NEEDS = {
    "etcd": "etcd-server",
    "patroni": "patroni",
    "redis-server": "redis-server",
    "redis-sentinel": "redis-sentinel",
    "haproxy": "haproxy",
}
SERVICE = "dispatch"


def missing_tools() -> list[str]:
    """Debian packages to install before the cluster can start (empty when all are there)."""
    need = sorted({pkg for exe, pkg in NEEDS.items() if shutil.which(exe) is None})
    if not (PG_BIN / "postgres").exists():
        need.append("postgresql-15")
    return need


@dataclass
class Ports:
    """Every port of the cluster, from one base."""

    base: int = 17000

    def __getattr__(self, name: str) -> int:
        offsets = {
            "etcd": 379,
            "etcd_peer": 380,
            "rest1": 8,
            "rest2": 9,
            "pg1": 441,
            "pg2": 442,
            "pg_front": 432,
            "http_front": 80,
            "app1": 81,
            "app2": 82,
            "stats": 90,
            "redis1": 391,
            "redis2": 392,
            "sentinel1": 501,
            "sentinel2": 502,
            "sentinel3": 503,
        }
        if name not in offsets:
            raise AttributeError(name)
        return self.base + offsets[name]


@dataclass
class Cluster:
    """Start, inspect and break the cluster; :meth:`stop` ends every process it started."""

    ports: Ports = field(default_factory=Ports)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dc-cluster-")))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    feed_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_password: str = field(default_factory=lambda: "Adm1n-" + secrets.token_urlsafe(12))

    # -- URLs ------------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports.pg_front}/{SERVICE}"

    @property
    def redis_url(self) -> str:
        sentinels = ",".join(
            f"127.0.0.1:{p}"
            for p in (self.ports.sentinel1, self.ports.sentinel2, self.ports.sentinel3)
        )
        return f"redis+sentinel://{sentinels}/{SERVICE}/0"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http_front}"

    def app_url(self, n: int) -> str:
        return f"http://127.0.0.1:{getattr(self.ports, f'app{n}')}"

    # -- processes -------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        as_postgres: bool = False,
    ) -> subprocess.Popen[bytes]:
        if as_postgres and os.geteuid() == 0:
            # PostgreSQL refuses to run as root; setpriv execs, so the pid is Patroni's.
            argv = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]
        log = (self.root / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def kill9(self, name: str) -> None:
        """SIGKILL one started process (a machine lost, as far as that process goes)."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def postmaster_pid(self, node: int) -> int | None:
        pidfile = self.root / f"pg{node}" / "data" / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """End every started process (reverse order), PostgreSQL servers included."""
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        for node in (1, 2):
            pid = self.postmaster_pid(node)
            if pid is not None:
                # Patroni killed with -9 leaves its server: end it as an immediate stop.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)

    # -- start -----------------------------------------------------------------------------

    def start(self, *, say: bool = True) -> None:
        """Start everything and wait until the apps answer ``/readyz`` through HAProxy."""
        missing = missing_tools()
        if missing:
            raise SystemExit(
                "the cluster needs Debian packages: apt-get install -y " + " ".join(missing)
            )
        self.root.chmod(0o755)
        t0 = time.monotonic()
        self._start_etcd()
        self._start_redis()
        for node in (1, 2):
            self._start_patroni(node)
        self._start_haproxy()
        leader = self.wait_leader(60)
        self._wait_sync_standby(60)
        subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(getattr(self.ports, f"pg{leader}")),
             "-U", "postgres", "-qc", f"CREATE DATABASE {SERVICE}"],
            check=True, capture_output=True,
        )  # fmt: skip
        if say:
            print(f"database ready in {time.monotonic() - t0:.1f} s (leader pg{leader})")
        self._migrate_and_admin()
        for n in (1, 2):
            self._start_app(n)
        for n in (1, 2):
            self.wait_ready(self.app_url(n), 120)
        self.wait_ready(self.http_url, 30)
        if say:
            print(f"cluster up in {time.monotonic() - t0:.1f} s under {self.root}")

    def _start_etcd(self) -> None:
        p = self.ports
        self._spawn(
            "etcd",
            [
                "etcd", "--name", "e1", "--data-dir", str(self.root / "etcd"),
                "--listen-client-urls", f"http://127.0.0.1:{p.etcd}",
                "--advertise-client-urls", f"http://127.0.0.1:{p.etcd}",
                "--listen-peer-urls", f"http://127.0.0.1:{p.etcd_peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{p.etcd_peer}",
                "--initial-cluster", f"e1=http://127.0.0.1:{p.etcd_peer}",
                "--enable-v2=true",
            ],
        )  # fmt: skip
        wait_http(f"http://127.0.0.1:{p.etcd}/health", 30)

    def _start_redis(self) -> None:
        p = self.ports
        for n, port in ((1, p.redis1), (2, p.redis2)):
            d = self.root / f"redis{n}"
            d.mkdir()
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d),
                    "--save", "", "--appendonly", "no"]  # fmt: skip
            if n == 2:
                argv += ["--replicaof", "127.0.0.1", str(p.redis1)]
            self._spawn(f"redis{n}", argv)
        wait_port(p.redis1, 10)
        for n, port in ((1, p.sentinel1), (2, p.sentinel2), (3, p.sentinel3)):
            d = self.root / f"sentinel{n}"
            d.mkdir()
            conf = d / "sentinel.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {d}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {p.redis1} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 2000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            self._spawn(f"sentinel{n}", ["redis-sentinel", str(conf)])
        for port in (p.sentinel1, p.sentinel2, p.sentinel3):
            wait_port(port, 10)

    def _start_patroni(self, node: int) -> None:
        p = self.ports
        d = self.root / f"pg{node}"
        d.mkdir()
        shutil.chown(d, "postgres", "postgres")
        rest, port = getattr(p, f"rest{node}"), getattr(p, f"pg{node}")
        config = {
            "scope": SERVICE,
            "name": f"pg{node}",
            "restapi": {"listen": f"127.0.0.1:{rest}", "connect_address": f"127.0.0.1:{rest}"},
            "etcd3": {"hosts": [f"127.0.0.1:{p.etcd}"]},
            "bootstrap": {
                "dcs": {
                    # Loss of the leader is noticed within ttl: short, on loopback.
                    "ttl": 10,
                    "loop_wait": 1,
                    "retry_timeout": 4,
                    "maximum_lag_on_failover": 16 * 1024 * 1024,
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "parameters": {
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "max_connections": 200,
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}],
                "pg_hba": [
                    "local all all trust",
                    "host replication all 127.0.0.1/32 trust",
                    "host all all 127.0.0.1/32 trust",
                ],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{port}",
                "connect_address": f"127.0.0.1:{port}",
                "data_dir": str(d / "data"),
                "bin_dir": str(PG_BIN),
                "pgpass": str(d / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres"},
                    "replication": {"username": "replicator", "password": "loopback-only"},
                    "rewind": {"username": "rewinder", "password": "loopback-only"},
                },
                "parameters": {"unix_socket_directories": str(d)},
            },
        }
        conf = d / "patroni.yml"
        conf.write_text(json.dumps(config, indent=1))  # JSON is YAML
        shutil.chown(conf, "postgres", "postgres")
        self._spawn(f"patroni{node}", ["patroni", str(conf)], as_postgres=True)

    def _start_haproxy(self) -> None:
        p = self.ports
        conf = self.root / "haproxy.cfg"
        conf.write_text(
            HAPROXY.format(
                stats=p.stats,
                pg_front=p.pg_front,
                http_front=p.http_front,
                pg1=p.pg1,
                pg2=p.pg2,
                rest1=p.rest1,
                rest2=p.rest2,
                app1=p.app1,
                app2=p.app2,
            )
        )
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(conf)])
        wait_port(p.http_front, 10)

    def app_env(self, n: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "DATABASE"))}
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            DISPATCH_SECRET_KEY=self.secret_key,
            DISPATCH_DATA_DIR=str(self.root / f"app{n}"),
            DISPATCH_FEED_KEYS=f"hydrology={self.feed_key}",
            DISPATCH_FEED_RATE_PER_S="1000",
            DISPATCH_FEED_BURST="5000",
            DISPATCH_DB_POOL_MAX="12",
            # A database away answers 503 after 2 s instead of 5: clients retry sooner.
            DISPATCH_DB_ACQUIRE_TIMEOUT_S="2",
            DISPATCH_INTAKE_LEASE_S="6",
        )
        return env

    def _cli(self) -> list[str]:
        exe = Path(sys.executable).with_name("dispatch-center")
        return [str(exe)] if exe.exists() else [sys.executable, "-m", "dispatch_center.cli.main"]

    def _migrate_and_admin(self) -> None:
        env = self.app_env(1)
        subprocess.run([*self._cli(), "migrate"], env=env, check=True, capture_output=True)
        subprocess.run(
            [*self._cli(), "users", "create", "admin", "--role", "admin"],
            env=env, input=self.admin_password.encode(), check=True, capture_output=True,
        )  # fmt: skip

    def _start_app(self, n: int) -> None:
        port = getattr(self.ports, f"app{n}")
        self._spawn(
            f"app{n}",
            [*self._cli(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=self.app_env(n),
        )

    # -- state -----------------------------------------------------------------------------

    def patroni(self, node: int) -> dict[str, object] | None:
        """Node ``node``'s Patroni status, or None when its REST API does not answer."""
        rest = getattr(self.ports, f"rest{node}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{rest}/patroni", timeout=2) as r:
                return json.loads(r.read())  # type: ignore[no-any-return]
        except OSError as exc:
            if hasattr(exc, "read"):
                return json.loads(exc.read())  # type: ignore[no-any-return]
            return None

    def leader(self) -> int | None:
        for node in (1, 2):
            st = self.patroni(node)
            if st and st.get("role") in ("master", "primary") and st.get("state") == "running":
                return node
        return None

    def wait_leader(self, timeout: float, not_node: int | None = None) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            node = self.leader()
            if node is not None and node != not_node:
                return node
            time.sleep(0.2)
        raise TimeoutError(f"no Patroni leader within {timeout} s (logs in {self.root})")

    def _wait_sync_standby(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.patroni(self.leader() or 1) or {}
            reps = st.get("replication") or []
            if any(r.get("sync_state") == "sync" for r in reps):  # type: ignore[union-attr]
                return
            time.sleep(0.3)
        raise TimeoutError(f"no synchronous standby within {timeout} s (logs in {self.root})")

    def wait_ready(self, url: str, timeout: float) -> None:
        wait_http(f"{url}/readyz", timeout)

    def redis_master(self) -> tuple[str, int] | None:
        import redis

        try:
            s = redis.Redis(port=self.ports.sentinel1, socket_timeout=1)
            host, port = s.execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
            return host.decode(), int(port)
        except Exception:
            return None


HAPROXY = """
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
listen stats
    mode http
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /
# PostgreSQL: only the Patroni leader answers 200 on GET /primary.
listen postgres
    bind 127.0.0.1:{pg_front}
    option httpchk GET /primary
    http-check expect status 200
    server pg1 127.0.0.1:{pg1} check port {rest1}
    server pg2 127.0.0.1:{pg2} check port {rest2}
# The app hosts; WebSockets stay open (timeout tunnel).
listen app
    mode http
    bind 127.0.0.1:{http_front}
    balance leastconn
    option httpchk GET /healthz
    option forwardfor
    http-response set-header X-Served-By %s
    unique-id-format %{{+X}}o%ci:%cp_%fi:%fp_%Ts_%rt
    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(x-request-id) -m found }}
    server app1 127.0.0.1:{app1} check
    server app2 127.0.0.1:{app2} check
"""


def wait_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout} s: {last}")
