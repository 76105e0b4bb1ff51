"""The ``dispatch-center`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import logging
import os
import secrets
import signal
import sys
from datetime import datetime
from pathlib import Path

from dispatch_center.settings import LOG_FORMAT, ConfigurationError

DEFAULT_DEMO_DIR = Path("./data/demo")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _persisted_secret(path: Path, env_value: str | None, nbytes: int = 12) -> tuple[str, bool]:
    """The value from the environment, else one generated once and kept in the data dir."""
    if env_value:
        return env_value, False
    if path.exists():
        return path.read_text().strip(), True
    value = secrets.token_urlsafe(nbytes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    path.chmod(0o600)
    return value, True


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole center on this machine with the embedded defaults."""
    import uvicorn

    from dispatch_center.app import create_app
    from dispatch_center.demo.banner import account_lines, page_lines
    from dispatch_center.settings import configure_logging, load_settings

    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"refusing to serve the demo on {args.host}: its accounts are for a laptop."
            " Pass --allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2
    data_dir = Path(
        args.data_dir or os.environ.get("DISPATCH_DATA_DIR") or DEFAULT_DEMO_DIR
    ).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    password, generated = _persisted_secret(
        data_dir / "demo-password", os.environ.get("DISPATCH_DEMO_PASSWORD")
    )
    api_key, key_generated = _persisted_secret(
        data_dir / "demo-api-key", os.environ.get("DISPATCH_DEMO_API_KEY"), 24
    )
    os.environ["DISPATCH_DEMO"] = "1"
    os.environ["DISPATCH_DATA_DIR"] = str(data_dir)
    os.environ["DISPATCH_DEMO_API_KEY"] = api_key
    os.environ["DISPATCH_SCENARIO"] = args.scenario
    settings = load_settings(
        demo=True,
        data_dir=data_dir,
        demo_api_key=api_key,
        scenario=args.scenario,
        simulator=os.environ.get("DISPATCH_SIMULATOR", "1") not in ("0", "false"),
    )
    configure_logging(settings)
    base = f"http://{args.host}:{args.port}"
    print("乐山12345心连心 指挥调度中心 — demo", flush=True)
    print(f"  data directory : {data_dir}")
    print(f"  scenario       : {args.scenario}")
    for line in page_lines(base):
        print(line)
    print(f"  API docs       : {base}/docs")
    print(f"  health         : {base}/healthz   readiness: {base}/readyz")
    print("  accounts       :")
    for line in account_lines():
        print(line)
    print(
        f"  password       : {password}"
        + ("  (generated; set DISPATCH_DEMO_PASSWORD to choose)" if generated else "")
    )
    print(
        f"  feed API key   : {api_key}"
        + ("  (generated; set DISPATCH_DEMO_API_KEY to choose)" if key_generated else "")
    )
    print(f"  feeds          : {base}/api/v1/feeds  (push: POST /api/v1/feeds/<system>/events)")
    print(f"  Open311        : {base}/open311/v2/discovery.json")
    print(
        "  API token      : curl -d username=duty -d password=... " + f"{base}/api/v1/auth/token",
        flush=True,
    )
    app = create_app(settings, demo_password=password)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; under the default
    # handler that kills the process before atexit runs, and the embedded PostgreSQL
    # (stopped from an atexit hook) would outlive the demo. Exit like Python instead.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    uvicorn.run(app, host=args.host, port=args.port, log_level=settings.log_level.lower())
    return 0


def _has_bus(redis_url: str | None) -> bool:
    """Whether ``REDIS_URL`` names a bus that reaches other processes (``memory://`` does not)."""
    return bool(redis_url) and not str(redis_url).startswith("memory:")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the production server configured by the environment."""
    import uvicorn

    from dispatch_center.settings import configure_logging, load_settings

    settings = load_settings()  # fail fast on bad configuration, before forking workers
    if not settings.database_url:
        # An embedded server here once raced two workers on CREATE DATABASE, and a
        # production server that quietly runs on a private database in its data directory
        # is a misconfiguration, not a convenience: `demo` is the command that embeds one.
        raise ConfigurationError(
            "DATABASE_URL is not set: set it to your PostgreSQL"
            " (postgresql://user:password@host:5432/dbname);"
            " `dispatch-center demo` is the command with an embedded database"
        )
    from dispatch_center.bus.factory import bus_from_url

    try:
        bus_from_url(settings.redis_url)  # only the scheme is read: nothing connects
    except ValueError as exc:
        raise ConfigurationError(f"REDIS_URL: {exc}") from None
    if args.workers > 1 and not _has_bus(settings.redis_url):
        # Without the bus each worker's wall clients would only see that worker's changes.
        raise ConfigurationError(
            f"--workers {args.workers} needs REDIS_URL (the bus that carries live updates"
            " between workers): set REDIS_URL=redis://host:6379/0, or run --workers 1"
        )
    configure_logging(settings)
    from dispatch_center.api.metrics import MULTIPROC_ENV, share_between_workers

    if args.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # /metrics adds up every worker's figures, whichever worker answers the scrape.
        share_between_workers(settings.data_dir)
    # The workers stop when this process is gone, even killed (dispatch_center.asgi).
    os.environ["DISPATCH_SERVE_SUPERVISOR_PID"] = str(os.getpid())
    uvicorn.run(
        "dispatch_center.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        # The reverse proxy in front logs every request; a second access log in
        # each worker cost a fifth of its CPU under load.
        access_log=args.access_log,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply migrations and create partitions."""
    import psycopg

    from dispatch_center.core.calendar import SHANGHAI
    from dispatch_center.settings import load_settings
    from dispatch_center.store.database import prepare_database, resolve_database_url
    from dispatch_center.store.migrate import MigrationError

    settings = load_settings(demo=args.demo) if args.demo else load_settings()
    if not args.demo and not settings.database_url:
        raise ConfigurationError(
            "DATABASE_URL is not set: set it to the database to migrate"
            " (postgresql://user:password@host:5432/dbname); `migrate --demo` migrates the"
            " demo's embedded one"
        )
    url, _ = resolve_database_url(settings)
    try:
        path = prepare_database(url, datetime.now(SHANGHAI).date(), settings.partition_months_ahead)
    except (MigrationError, psycopg.Error) as exc:
        # One line an operator can act on, not a traceback; the exit status says it failed.
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"dispatch-center migrate: {reason}", file=sys.stderr)
        return 1
    print(f"migrated ({path} storage)")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    """Create an account from the command line."""
    from pydantic import ValidationError

    from dispatch_center.accounts import users as accounts
    from dispatch_center.accounts.security import Principal
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.cli.config import database_settings
    from dispatch_center.core.roles import Role
    from dispatch_center.errors import ServiceError
    from dispatch_center.models import UserCreate

    settings = database_settings()  # before the password prompt: nothing to create it in
    password = args.password or os.environ.get("DISPATCH_NEW_USER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().strip()
        else:
            password = getpass.getpass(f"password for {args.username}: ")
    try:
        body = UserCreate(
            username=args.username,
            password=password,
            role=args.role,
            unit_code=args.unit,
            display_name=args.display_name or "",
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            print(f"{field}: {err['msg']}", file=sys.stderr)
        return 2

    async def run() -> int:
        center = await start_center(settings)
        try:
            row = await accounts.create_user(center, Principal("cli", Role.admin), body)
            print(f"created {row['username']} ({row['role']})")
            return 0
        except ServiceError as exc:
            fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            print(f"{exc.message}" + (f" ({fields})" if fields else ""), file=sys.stderr)
            return 2
        finally:
            await stop_center(center)

    return asyncio.run(run())


def _version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dispatch-center")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    p = argparse.ArgumentParser(prog="dispatch-center", description="乐山12345心连心 指挥调度中心")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole center on this machine")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default=None)
    demo.add_argument("--scenario", choices=["normal", "flood", "golden-week"], default="normal")
    demo.add_argument("--allow-remote", action="store_true")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the production server (configured by environment)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (off: the proxy logs)"
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--demo", action="store_true", help="migrate the embedded demo database")
    mig.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage accounts")
    usub = users.add_subparsers(dest="users_command", required=True)
    create = usub.add_parser("create", help="create an account")
    create.add_argument("username")
    create.add_argument("--role", required=True)
    create.add_argument("--unit", default=None)
    create.add_argument("--display-name", default=None)
    create.add_argument(
        "--password", default=None, help="else DISPATCH_NEW_USER_PASSWORD, stdin or a prompt"
    )
    create.set_defaults(func=cmd_users_create)

    from dispatch_center.cli import geofences

    geofences.add_parsers(sub)

    from dispatch_center.cli import analysis

    analysis.add_parsers(sub)

    from dispatch_center.cli import mode

    mode.add_parsers(sub)

    from dispatch_center.cli import places

    places.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    # Until a command has read its settings (DISPATCH_LOG_LEVEL), INFO.
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as exc:
        # One line that says what to set; a traceback of pydantic's would bury it.
        print(f"dispatch-center {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
