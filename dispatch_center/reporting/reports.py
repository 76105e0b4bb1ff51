"""Reports made and kept: a row each (with its data as it was), files in
DISPATCH_DATA_DIR/reports, rendered in a process of their own.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from typing import Any

from dispatch_center.core.analysis.periods import Period, PeriodKind, period_for
from dispatch_center.reporting.render import render_files
from dispatch_center.reporting.report_data import report_data
from dispatch_center.reporting.rollups import catch_up
from dispatch_center.store import analysis as store
from geo.areas import Tier


def county_shapes(center: Any) -> dict[str, Any]:
    """County geometries of the center's geography (for the map charts)."""
    return {a.code: a.geometry for a in center.geography.index.areas(Tier.COUNTY)}


def reports_dir(center: Any) -> Path:
    """Where report files are kept: DISPATCH_DATA_DIR/reports."""
    return Path(center.settings.data_dir).resolve() / "reports"


async def report_for(center: Any, period: Period) -> dict[str, Any]:
    """Report data for ``period`` from the rollups, brought up to date first, with the
    places named: each hotspot by its township/street and county, every county by name.
    """
    async with center.db.connection() as conn:
        await catch_up(conn)
        data = await report_data(conn, period, center.now())
    return name_places(center, data)


def name_places(center: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each hotspot's ``place`` (township/street) and ``county`` from the
    center's geography, and ``county_names`` (adcode → name) for the maps.
    """
    index = center.geography.index
    for h in data.get("hotspots") or []:
        path = index.locate(h["lon"], h["lat"]).path
        by_tier = {int(s.tier): s.name for s in path}
        h["county"] = by_tier.get(2, "")
        h["place"] = by_tier.get(3) or by_tier.get(2) or f"{h['lat']:.3f}N {h['lon']:.3f}E"
    data["county_names"] = {a.code: a.name for a in index.areas(Tier.COUNTY)}
    return data


async def generate(
    center: Any,
    period: Period,
    *,
    trigger: str,
    by: str,
    formats: Sequence[str] = (),
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Make a report, keep it (row + files) and return its record with the data;
    ``shape`` adds to the data before it is kept (a special report's topic and area).
    """
    data = await report_for(center, period)
    if shape is not None:
        data = shape(data)
    async with center.db.connection() as conn:
        row = await store.save_report(
            conn,
            {
                "kind": period.kind.value,
                "period_start": period.start,
                "period_end": period.end,
                "label": period.label,
                "title": data["title"],
                "trigger": trigger,
                "generated_by": by,
                "generated_at": center.now(),
                "data": data,
            },
        )
    files = await write_files(center, row["id"], period, data, formats) if formats else {}
    return {**row, "files": files or row["files"], "data": data}


_renderer: ProcessPoolExecutor | None = None

PARENT_POLL_S = 0.5
"""How often the renderer looks whether the worker that started it is still there."""


def exit_with_parent(parent: int, poll_s: float = PARENT_POLL_S) -> None:
    """Initializer of the renderer process: leave as soon as ``parent`` is gone.

    A worker killed with SIGKILL (or by the OOM killer) runs none of its shutdown, and the
    spawned renderer, blocked on a queue whose write end it holds itself, waited forever
    as an orphan of PID 1. A daemon thread compares the parent's pid with the one the
    renderer was started by (a dead parent's child is re-parented). ``PR_SET_PDEATHSIG``
    is not used: it fires when the parent *thread* that spawned the process ends, and the
    renderer is spawned from whichever thread submits the first report.

    Examples
    --------
    >>> exit_with_parent(os.getppid(), poll_s=60)  # the calling process's parent lives on
    """
    if os.getppid() != parent:  # died while the renderer was starting
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)  # no clean-up to run: the pool's pipes went with the parent

    threading.Thread(target=watch, name="renderer-parent-watch", daemon=True).start()


def _render_pool() -> ProcessPoolExecutor:
    # Charts and PDFs are seconds of CPU under the GIL: rendered in a process of their
    # own, the 08:00 report no longer stalls the requests this worker is serving.
    global _renderer
    if _renderer is None:
        _renderer = ProcessPoolExecutor(
            max_workers=1,
            mp_context=mp.get_context("spawn"),
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
        )
    return _renderer


def stop_renderer() -> None:
    """Stop the report-rendering process (at shutdown).

    Without this the spawned renderer outlived its worker: every server stop left a
    ~150 MB orphan behind (seen as PPID 1 processes after benchmark runs).
    """
    global _renderer
    pool, _renderer = _renderer, None
    if pool is None:
        return
    for proc in list(getattr(pool, "_processes", {}).values()):
        if proc.is_alive():  # a render in progress is abandoned; the next start redoes it
            proc.terminate()
    # The pool's own manager thread reaps the workers; waiting for it (rather than joining
    # them here too, racing it for the same exit status) leaves none behind.
    pool.shutdown(wait=True, cancel_futures=True)


async def write_files(
    center: Any, report_id: int, period: Period, data: Mapping[str, Any], formats: Sequence[str]
) -> dict[str, str]:
    """Render and keep the files of a report; returns format → path."""
    folder = reports_dir(center) / period.kind.value
    shapes = county_shapes(center)
    loop = asyncio.get_running_loop()
    try:
        files = await loop.run_in_executor(
            _render_pool(),
            render_files,
            folder,
            period.key,
            report_id,
            dict(data),
            shapes,
            list(formats),
        )
    except BrokenProcessPool:  # the renderer died: start a new one next time, do this here
        global _renderer
        _renderer = None
        files = await asyncio.to_thread(
            render_files, folder, period.key, report_id, data, shapes, formats
        )
    async with center.db.connection() as conn:
        await store.set_report_files(conn, report_id, files)
    return files


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` containing ``day``."""
    return period_for(PeriodKind(kind), day)


async def kept_document(center: Any, period: Period, fmt: str) -> bytes | None:
    """The newest kept ``fmt`` document of ``period``; ``None`` when none was made (a read:
    it makes nothing, :func:`generate` does).
    """
    async with center.db.connection() as conn:
        row = await store.kept_file(conn, period.kind.value, period.start, period.end, fmt)
    return await read_file((row["files"] or {}).get(fmt)) if row else None


async def read_file(path: str | None) -> bytes | None:
    """The bytes of a kept report file, read off the event loop; None when it is gone."""

    def read() -> bytes | None:
        return Path(path).read_bytes() if path and Path(path).is_file() else None

    return await asyncio.to_thread(read)
