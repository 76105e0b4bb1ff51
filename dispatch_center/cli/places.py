"""``dispatch-center places import FILE``: load a gazetteer (地名库) CSV for the desk.

The file's header is ``name,kind,lon,lat,datum,adcode``; an import replaces what the same
``--source`` (default: the file's name) imported before, so re-importing a corrected file
leaves no stale names behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dispatch_center.center import Center
from dispatch_center.cli.geofences import _run
from dispatch_center.core.gazetteer import PlaceError


def cmd_import(args: argparse.Namespace) -> int:
    """Import one gazetteer file."""
    from dispatch_center.desk.places import import_places

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"refused: {path}: {exc}", file=sys.stderr)
        return 1
    source = args.source or path.name

    async def work(center: Center) -> int:
        try:
            n = await import_places(center, text, source)
        except PlaceError as exc:
            print(f"refused: {path}: {exc}", file=sys.stderr)
            return 1
        print(f"imported {n} places from {path} (source {source!r})")
        return 0

    return _run(work)


def add_parsers(sub: Any) -> None:
    """Register the ``places`` command group."""
    cmd = sub.add_parser("places", help="the desk's gazetteer (地名库): import a CSV")
    psub = cmd.add_subparsers(dest="places_command", required=True)
    imp = psub.add_parser("import", help="import name,kind,lon,lat,datum,adcode rows")
    imp.add_argument("file")
    imp.add_argument(
        "--source", default=None, help="label replaced on re-import (default: file name)"
    )
    imp.set_defaults(func=cmd_import)
