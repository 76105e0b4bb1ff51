"""``dispatch-center backfill`` and ``dispatch-center reports``."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date
from typing import Any


def _settings(demo: bool) -> Any:
    from dispatch_center.cli.config import database_settings

    return database_settings(demo, demo_flag=True)


def cmd_backfill(args: argparse.Namespace) -> int:
    """Generate a multi-year history of orders in bulk (resumable), then catch the rollups up."""
    from tqdm import tqdm

    from dispatch_center.app import start_center, stop_center
    from dispatch_center.demo import backfill
    from dispatch_center.reporting.rollups import catch_up
    from dispatch_center.store import backfill as backfill_store

    settings = _settings(args.demo)

    async def run() -> dict[str, Any]:
        center = await start_center(settings)
        try:
            plan = backfill.plan_for(
                args.orders,
                center.today(),
                years=args.years,
                batch_size=args.batch_size,
                seed=args.seed,
            )
            print(
                f"backfill {plan.orders} orders, {plan.first_day} .. {plan.last_day},"
                f" {plan.batches} batches (run {plan.run_id})",
                flush=True,
            )
            with tqdm(total=plan.orders, unit="orders", unit_scale=True) as bar:
                result = await asyncio.to_thread(
                    backfill.run_backfill,
                    center.db.url,
                    plan,
                    today=center.today(),
                    geography=center.geography,
                    calendar=center.reference.calendar,
                    prefix=center.settings.order_prefix,
                    progress=bar.update,
                )
            async with center.db.connection() as conn:
                result["rollup_changes_applied"] = await catch_up(conn)
                await backfill_store.refresh_statistics(conn)
            return result
        finally:
            await stop_center(center)

    print(json.dumps(asyncio.run(run()), ensure_ascii=False))
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    """Make and keep a report (all formats), or list kept reports."""
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.reporting import reports
    from dispatch_center.reporting.render import FORMATS
    from dispatch_center.store import analysis as store

    settings = _settings(args.demo)

    async def run() -> Any:
        center = await start_center(settings)
        try:
            if args.reports_command == "list":
                async with center.db.connection() as conn:
                    rows = await store.list_reports(conn, None, args.limit)
                return [
                    {"id": r["id"], "kind": r["kind"], "label": r["label"], "files": r["files"]}
                    for r in rows
                ]
            from dispatch_center.reporting.report_data import default_report_day

            day = date.fromisoformat(args.date) if args.date else default_report_day(center.today())
            period = reports.period_of(args.kind, day)
            rec = await reports.generate(
                center, period, trigger="demand", by="cli", formats=FORMATS
            )
            return {"id": rec["id"], "title": rec["data"]["title"], "files": rec["files"]}
        finally:
            await stop_center(center)

    print(json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2, default=str))
    return 0


def add_parsers(sub: Any) -> None:
    """Register the sub-commands on the main parser."""
    bf = sub.add_parser(
        "backfill", help="generate a realistic multi-year order history (bulk, resumable)"
    )
    bf.add_argument(
        "--orders", type=int, required=True, help="how many orders (3200000 = the seed city)"
    )
    bf.add_argument(
        "--years", type=float, default=None, help="span in years (default: from the volume)"
    )
    bf.add_argument("--batch-size", type=int, default=20_000)
    bf.add_argument("--seed", type=int, default=12345)
    bf.add_argument("--demo", action="store_true", help="into the embedded demo database")
    bf.set_defaults(func=cmd_backfill)

    rep = sub.add_parser("reports", help="make or list reports")
    rsub = rep.add_subparsers(dest="reports_command", required=True)
    make = rsub.add_parser("make", help="make and keep a report in every format")
    make.add_argument("kind", choices=["daily", "weekly", "monthly", "quarterly", "annual"])
    make.add_argument("--date", default=None, help="a day in the period (default: yesterday)")
    make.add_argument("--demo", action="store_true")
    make.set_defaults(func=cmd_reports)
    lst = rsub.add_parser("list", help="list kept reports")
    lst.add_argument("--limit", type=int, default=20)
    lst.add_argument("--demo", action="store_true")
    lst.set_defaults(func=cmd_reports)
