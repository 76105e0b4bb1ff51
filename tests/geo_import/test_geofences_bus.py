"""A second worker hears an import on the ``reference`` channel and reloads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from dispatch_center.app import start_center, stop_center
from dispatch_center.geography import geofences
from dispatch_center.settings import Settings
from geo.areas import Tier
from tests.geo_import.shapes import centre_of, townships


def test_other_worker_reloads_after_import(
    make_database: Callable[[], str], redis_url: str, tmp_path: Path
) -> None:
    url = make_database()
    frame = townships()
    path = tmp_path / "t.geojson"
    frame.to_file(path, engine="pyogrio")
    lon, lat = centre_of(frame, "511102901")

    async def scenario() -> tuple[str, str, str]:
        settings = Settings(
            database_url=url,
            redis_url=redis_url,
            secret_key="geofence-bus-test-key-8fQzR2mWcT5nLx0Yb",
        )
        a = await start_center(settings)
        b = await start_center(settings)
        follower = geofences.GeographyFollower(b, poll_s=600)
        follower.start()
        try:
            await asyncio.sleep(0.3)  # b's subscription is confirmed
            before = b.geography.index.locate(lon, lat).step(Tier.TOWNSHIP)
            spec = geofences.ImportSpec(3, "CODE", "NAME", "COUNTY")
            outcome = await geofences.import_geofences(a, path, spec, "tester")
            assert outcome.version is not None
            for _ in range(200):
                if b.geography.area_version == a.geography.area_version:
                    break
                await asyncio.sleep(0.1)
            after = b.geography.index.locate(lon, lat).step(Tier.TOWNSHIP)
            assert before is not None and after is not None
            return before.code, after.code, b.geography.area_version
        finally:
            await follower.stop()
            await stop_center(b)
            await stop_center(a)

    before, after, version = asyncio.run(scenario())
    assert before != "511102901" and after == "511102901"
    assert version.startswith("geofences-t3.")
