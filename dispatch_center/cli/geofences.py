"""``dispatch-center geofences ...`` and ``dispatch-center catalogue ...``.

Each command starts the center's services (database, bus), does one thing through the
same service functions the API uses, prints a summary and exits non-zero when refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from dispatch_center.center import Center


def _run(work: Callable[[Center], Awaitable[int]]) -> int:
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.cli.config import database_settings
    from dispatch_center.errors import ServiceError

    settings = database_settings()

    async def run() -> int:
        center = await start_center(settings)
        try:
            return await work(center)
        except ServiceError as exc:
            print(f"refused: {exc.message}", file=sys.stderr)
            for name, problem in exc.fields.items():
                print(f"  {name}: {problem}", file=sys.stderr)
            return 1
        finally:
            await stop_center(center)

    return asyncio.run(run())


def _summary(report: dict[str, Any]) -> list[str]:
    lines = [
        f"features      : {report['count']} (tier {report['tier']}, from {report['source']},"
        f" datum {report['source_crs']} → WGS-84)",
        f"repaired      : {len(report['repaired'])}",
    ]
    lines += [
        f"  {r['code']}: {r['problem']} (area change {r['area_change_m2']:.0f} m²)"
        for r in report["repaired"]
    ]
    lines.append(f"overlaps      : {len(report['overlaps'])}")
    lines += [f"  {o['a']} × {o['b']}: {o['area_m2']:.0f} m²" for o in report["overlaps"]]
    lines.append(f"gaps          : {len(report['gaps'])}")
    lines += [
        f"  in {g['parent']}: {g['area_m2']:.0f} m² near {g['near'][0]:.5f},{g['near'][1]:.5f}"
        for g in report["gaps"][:20]
    ]
    lines.append(f"outside parent: {len(report['strays'])}")
    lines += [
        f"  {s['code']} outside {s['parent']}: {s['outside_m2']:.0f} m² ({s['outside_share']:.1%})"
        for s in report["strays"]
    ]
    for key, label in (
        ("duplicates", "duplicate codes"),
        ("missing_parents", "unknown parents"),
        ("errors", "errors"),
    ):
        if report[key]:
            lines.append(f"{label:<14}: {', '.join(map(str, report[key]))}")
    lines += [f"note          : {n}" for n in report.get("notes", [])]
    return lines


def cmd_import(args: argparse.Namespace) -> int:
    """Import a GeoJSON, Shapefile or GeoPackage as a new tier-3/4 version."""
    from tqdm import tqdm

    from dispatch_center.geography import geofences

    spec = geofences.ImportSpec(
        args.tier,
        args.code_field,
        args.name_field,
        args.parent_field,
        args.layer,
        args.crs,
        args.datum,
        args.note,
    )

    async def work(center: Center) -> int:
        with tqdm(total=len(geofences.STAGES), desc="import", unit="step", file=sys.stderr) as bar:

            def tick(stage: str) -> None:
                bar.set_description(stage)
                bar.update(1)

            outcome = await geofences.import_geofences(
                center, Path(args.path), spec, "cli", progress=tick, activate=not args.no_activate
            )
            bar.update(bar.total - bar.n)
        for line in _summary(outcome.report):
            print(line)
        if not outcome.ok:
            print("REFUSED: nothing was stored", file=sys.stderr)
            return 1
        v = outcome.version or {}
        state = "active" if v.get("active") else "stored, not active"
        print(f"version {v.get('id')} ({state}); routing with {center.geography.area_version}")
        return 0

    return _run(work)


def cmd_versions(args: argparse.Namespace) -> int:
    """List stored geofence versions."""
    from dispatch_center.geography import geofences

    async def work(center: Center) -> int:
        rows = await geofences.list_versions(center, args.tier)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, default=str))
            return 0
        for r in rows:
            mark = "*" if r["active"] else " "
            print(
                f"{mark} {r['id']:>4}  tier {r['tier']}  {r['feature_count']:>6} areas"
                f"  {r['created_at'][:19]}  {r['created_by']}  {r['source']}"
            )
        print(f"in use: {center.geography.area_version}")
        return 0

    return _run(work)


def cmd_rollback(args: argparse.Namespace) -> int:
    """Activate an earlier version (or ``synthetic`` for a tier)."""
    from dispatch_center.geography import geofences

    async def work(center: Center) -> int:
        if args.version == "synthetic":
            if args.tier is None:
                print("rollback synthetic needs --tier 3|4", file=sys.stderr)
                return 2
            await geofences.deactivate_tier(center, args.tier)
        else:
            if not args.version.isdigit():
                print(
                    f"VERSION is a version id or 'synthetic', not {args.version!r}", file=sys.stderr
                )
                return 2
            await geofences.activate_version(center, int(args.version), "cli")
        print(f"routing with {center.geography.area_version}")
        return 0

    return _run(work)


def cmd_catalogue_import(args: argparse.Namespace) -> int:
    """Import a duty catalogue CSV as a new, active version."""
    from dispatch_center.geography import catalogue as catalogues

    text = Path(args.file).read_text(encoding="utf-8-sig")

    async def work(center: Center) -> int:
        rows = catalogues.parse_csv(text)
        view = await catalogues.import_catalogue(
            center,
            rows,
            "cli",
            version=args.version,
            source=f"csv {Path(args.file).name}",
            note=args.note,
        )
        print(f"catalogue {view['version']}: {view['row_count']} rows, active")
        return 0

    return _run(work)


def cmd_catalogue_versions(args: argparse.Namespace) -> int:
    """List catalogue versions."""
    from dispatch_center.geography import catalogue as catalogues

    async def work(center: Center) -> int:
        for r in await catalogues.list_catalogues(center):
            mark = "*" if r["active"] else " "
            print(
                f"{mark} {r['version']:<32} {r['row_count']:>5} rows"
                f"  {r['created_at'][:19]}  {r['source']}"
            )
        return 0

    return _run(work)


def cmd_catalogue_rollback(args: argparse.Namespace) -> int:
    """Put an earlier catalogue version back in force."""
    from dispatch_center.geography import catalogue as catalogues

    async def work(center: Center) -> int:
        view = await catalogues.activate_catalogue(center, args.version, "cli")
        print(f"catalogue {view['version']} in force")
        return 0

    return _run(work)


def add_parsers(sub: Any) -> None:
    """Register the ``geofences`` and ``catalogue`` command groups."""
    geo = sub.add_parser("geofences", help="township/village geofences: import, versions, rollback")
    gsub = geo.add_subparsers(dest="geofences_command", required=True)
    imp = gsub.add_parser("import", help="import GeoJSON/Shapefile/GeoPackage as a new version")
    imp.add_argument("path")
    imp.add_argument("--tier", type=int, choices=[3, 4], required=True)
    imp.add_argument("--code-field", required=True)
    imp.add_argument("--name-field", required=True)
    imp.add_argument("--parent-field", required=True, help="field holding the parent area's code")
    imp.add_argument("--layer", default=None, help="layer of a GeoPackage")
    imp.add_argument(
        "--crs", default=None, help="source CRS, e.g. EPSG:4547 (overrides the file's)"
    )
    imp.add_argument(
        "--datum",
        choices=["wgs84", "gcj02"],
        default=None,
        help="gcj02 for lon/lat from Amap or other Chinese web maps (no EPSG code)",
    )
    imp.add_argument("--note", default="")
    imp.add_argument(
        "--no-activate", action="store_true", help="store the version without using it"
    )
    imp.set_defaults(func=cmd_import)
    ver = gsub.add_parser("versions", help="list stored versions (* = active)")
    ver.add_argument("--tier", type=int, choices=[3, 4], default=None)
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=cmd_versions)
    rb = gsub.add_parser("rollback", help="activate version VERSION (or 'synthetic' with --tier)")
    rb.add_argument("version")
    rb.add_argument("--tier", type=int, choices=[3, 4], default=None)
    rb.set_defaults(func=cmd_rollback)

    cat = sub.add_parser("catalogue", help="duty catalogue (权责清单): import, versions, rollback")
    csub = cat.add_subparsers(dest="catalogue_command", required=True)
    cimp = csub.add_parser("import", help="import a catalogue CSV as a new, active version")
    cimp.add_argument("file")
    cimp.add_argument("--version", default=None, help="label (default: catalogue-<date>-<n>)")
    cimp.add_argument("--note", default="")
    cimp.set_defaults(func=cmd_catalogue_import)
    cver = csub.add_parser("versions", help="list catalogue versions (* = in force)")
    cver.set_defaults(func=cmd_catalogue_versions)
    crb = csub.add_parser("rollback", help="put catalogue VERSION back in force")
    crb.add_argument("version")
    crb.set_defaults(func=cmd_catalogue_rollback)
