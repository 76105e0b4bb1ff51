"""``dispatch-center mode show|set|schedule``: the dispatch mode from the command line.

The commands talk to the database through the service layer, like ``users create``;
the running servers pick the change up within a second (their scheduler polls the
mode history). The caller acts as an admin: shell access to the center's database is
already the most an operator can have. ``--by`` names who is recorded in the history.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

MODES = ("normal", "holiday", "emergency")
TYPES = ("flood", "geohazard", "public_health", "major_accident", "other")


def _scope(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    return frozenset(c.strip() for c in value.split(",") if c.strip())


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise SystemExit(f"{value}: give a UTC offset, e.g. 2026-10-01T00:00:00+08:00")
    return moment


def _run(job: Callable[[Any], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.cli.config import database_settings
    from dispatch_center.modeswitch.state import start_modes

    settings = database_settings()

    async def run() -> dict[str, Any]:
        center = await start_center(settings)
        try:
            await start_modes(center)
            return await job(center)
        finally:
            await stop_center(center)

    return asyncio.run(run())


def _print(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
        return
    mode = view.get("mode", view)
    if isinstance(mode, dict):  # a switch result wraps the view
        print("changed" if view.get("changed") else "no change (already so)")
        view = mode
    kind = f" ({view['emergency_type']})" if view.get("emergency_type") else ""
    where = "、".join(view["scope"]) if view.get("scope") else "全市"
    print(f"mode: {view['mode']}{kind}  scope: {where}")
    print(f"since: {view.get('since')}  by: {view.get('by')}")
    if view.get("reason"):
        print(f"reason: {view['reason']}")
    for d in view.get("scheduled", []):
        span = f"{d['starts_at']} → {d['ends_at']}"
        print(f"scheduled #{d['id']}: {d['mode']} {d['scope_label']} {span}")


def _principal(args: argparse.Namespace) -> Any:
    from dispatch_center.accounts.security import Principal
    from dispatch_center.core.roles import Role

    return Principal(f"cli:{args.by or getpass.getuser()}", Role.admin)


def cmd_show(args: argparse.Namespace) -> int:
    """Print the mode in force, per county with ``--json``."""
    from dispatch_center.modeswitch.state import mode_view

    async def job(center: Any) -> dict[str, Any]:
        return mode_view(center)

    _print(_run(job), args.json)
    return 0


def _switch(args: argparse.Namespace, starts_at: datetime | None) -> int:
    from dispatch_center.errors import ServiceError
    from dispatch_center.modeswitch.switching import switch
    from modes.policy import EmergencyType, ModeName
    from modes.scope import SwitchRequest

    req = SwitchRequest(
        ModeName(args.mode),
        args.reason,
        EmergencyType(args.type) if args.type else None,
        _scope(args.scope),
        starts_at,
        _when(args.ends_at),
    )

    async def job(center: Any) -> dict[str, Any]:
        return await switch(center, _principal(args), req)

    try:
        _print(_run(job), args.json)
    except ServiceError as exc:
        print(f"refused: {exc.message} {exc.fields or ''}".rstrip())
        return 2
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    """Switch now."""
    return _switch(args, None)


def cmd_schedule(args: argparse.Namespace) -> int:
    """Schedule a switch, or cancel one with ``--cancel ID``."""
    if args.cancel:
        from dispatch_center.modeswitch.switching import cancel_scheduled

        async def job(center: Any) -> dict[str, Any]:
            return await cancel_scheduled(center, _principal(args), args.cancel)

        print(json.dumps(_run(job)["cancelled"]))
        return 0
    if not (args.mode and args.reason and args.starts_at):
        raise SystemExit("mode schedule needs MODE, --reason and --starts-at (or --cancel ID)")
    return _switch(args, _when(args.starts_at))


def add_parsers(sub: Any) -> None:
    """Add ``mode show|set|schedule`` to the top-level sub-commands."""
    mode = sub.add_parser("mode", help="show or switch the dispatch mode (常规/假日/应急)")
    msub = mode.add_subparsers(dest="mode_command", required=True)

    show = msub.add_parser("show", help="the mode in force")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    def common(p: argparse.ArgumentParser, required: bool) -> None:
        p.add_argument("mode", choices=MODES, nargs=None if required else "?")
        p.add_argument("--reason", required=required)
        p.add_argument("--type", choices=TYPES, help="emergency type (with emergency)")
        p.add_argument("--scope", help="county adcodes, comma-separated; absent = city-wide")
        p.add_argument("--ends-at", help="ISO 8601 with offset: reverts by itself then")
        p.add_argument("--by", help="who is recorded in the history (default: the OS user)")
        p.add_argument("--json", action="store_true")

    set_ = msub.add_parser("set", help="switch now")
    common(set_, True)
    set_.set_defaults(func=cmd_set)

    sched = msub.add_parser("schedule", help="schedule a switch (or --cancel ID)")
    common(sched, False)
    sched.add_argument("--starts-at", help="ISO 8601 with offset")
    sched.add_argument("--cancel", metavar="ID", help="cancel a declaration that has not started")
    sched.set_defaults(func=cmd_schedule)
