"""The duty catalogue (权责清单) as versioned data: import, edit, list, activate.

A version is a list of CSV-shaped rows (``category_code, tier, area_code, asset_layer,
unit_code, unit_name, role``; ``area_code`` ``*`` expands over every area of the tier).
Rows are checked against the taxonomy, the areas and asset layers in use before a version
is stored; a refused row is named by its number (1 = first data row) and column.
Activating a version swaps the catalogue the center routes with and inserts the units it
names; orders keep the ``catalogue_version`` they were routed with.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dispatch_center.center import Center
from dispatch_center.errors import Conflict, Invalid, NotFound
from dispatch_center.geography.geofences import announce, reload_geography, version_view
from dispatch_center.store import geofences as store
from geo.areas import Tier
from geo.catalogue import catalogue_from_rows

COLUMNS = ("category_code", "tier", "area_code", "asset_layer", "unit_code", "unit_name", "role")
REQUIRED = ("category_code", "tier", "unit_code", "unit_name", "role")
VERSION_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
MAX_ROWS = 20_000


def parse_csv(text: str) -> list[dict[str, str]]:
    """Rows of a catalogue CSV (UTF-8, with or without BOM, header line first).

    Examples
    --------
    >>> parse_csv("category_code,tier,area_code,asset_layer,unit_code,unit_name,role\\n"
    ...           "urban,2,*,,{code}-ZFJ,{name}综合行政执法局,lead\\n")[0]["unit_code"]
    '{code}-ZFJ'
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(
            f"catalogue CSV lacks column(s) {', '.join(missing)}; header is {','.join(header)}",
            fields={"header": f"missing {', '.join(missing)}"},
        )
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _field(n: int, column: str) -> str:
    return f"rows[{n}].{column}"


def check_rows(center: Center, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Normalised rows, or :class:`Invalid` naming every bad row and column.

    Checks: required columns present, category in the taxonomy, tier 1-4, role lead/co,
    area code ``*``/empty or an area of that tier, asset layer empty or a known layer code
    or kind, and no two different leads for the same (category, tier, area, asset).
    """
    if not rows:
        raise Invalid("a catalogue needs at least one row", fields={"rows": "empty"})
    if len(rows) > MAX_ROWS:
        raise Invalid(f"at most {MAX_ROWS} rows", fields={"rows": "too many"})
    categories = center.reference.categories
    geo = center.geography
    assets = {layer.code for layer in geo.asset_layers} | {
        str(layer.kind) for layer in geo.asset_layers
    }
    errors: dict[str, str] = {}
    out: list[dict[str, str]] = []
    leads: dict[tuple[str, str, str, str], tuple[int, str]] = {}
    for n, raw in enumerate(rows, start=1):
        if not isinstance(raw, Mapping):
            errors[f"rows[{n}]"] = "each row is an object of the catalogue columns"
            continue
        row = {c: str(raw.get(c) if raw.get(c) is not None else "").strip() for c in COLUMNS}
        unknown = sorted(set(raw) - set(COLUMNS))
        if unknown:
            errors[_field(n, unknown[0])] = f"unknown column; columns are {', '.join(COLUMNS)}"
        for c in REQUIRED:
            if not row[c]:
                errors[_field(n, c)] = "required"
        cat = row["category_code"]
        if cat and cat not in categories:
            errors[_field(n, "category_code")] = f"unknown category {cat!r} (not in the taxonomy)"
        tier: Tier | None = None
        if row["tier"]:
            try:
                tier = Tier(int(row["tier"]))
            except ValueError:
                errors[_field(n, "tier")] = f"tier must be 1-4, got {row['tier']!r}"
        if row["role"] and row["role"] not in ("lead", "co"):
            errors[_field(n, "role")] = f"role must be lead or co, got {row['role']!r}"
        area = row["area_code"]
        if area and area != "*" and tier is not None:
            if area not in geo.index:
                errors[_field(n, "area_code")] = f"unknown area {area!r}"
            elif (actual := int(geo.index.area(area).tier)) != tier:
                errors[_field(n, "area_code")] = (
                    f"area {area!r} is tier {actual}, row says tier {int(tier)}"
                )
        if row["asset_layer"] and row["asset_layer"] not in assets:
            errors[_field(n, "asset_layer")] = (
                f"unknown asset layer {row['asset_layer']!r}; known: {', '.join(sorted(assets))}"
            )
        if row["role"] == "lead" and tier is not None:
            key = (cat, str(int(tier)), area, row["asset_layer"])
            if key in leads and leads[key][1] != row["unit_code"]:
                errors[_field(n, "unit_code")] = (
                    f"two leads for {cat} tier {int(tier)} area {area or 'any'}"
                    f"{' asset ' + row['asset_layer'] if row['asset_layer'] else ''}: row "
                    f"{leads[key][0]} names {leads[key][1]}, this row {row['unit_code']}"
                )
            leads.setdefault(key, (n, row["unit_code"]))
        out.append(row)
    if errors:
        first = next(iter(errors))
        raise Invalid(f"catalogue refused: {first}: {errors[first]}", fields=errors)
    try:  # expansion can still clash (a template lead meeting an explicit one)
        catalogue_from_rows(out, "check", geo.index.areas())
    except (ValueError, KeyError) as exc:
        raise Invalid(f"catalogue refused: {exc}", fields={"rows": str(exc)}) from exc
    return out


async def import_catalogue(
    center: Center,
    rows: Sequence[Mapping[str, Any]],
    actor: str,
    *,
    version: str | None = None,
    source: str = "json",
    note: str = "",
) -> dict[str, Any]:
    """Check ``rows`` and store them as a new, active catalogue version.

    Examples
    --------
    >>> await import_catalogue(center, parse_csv(text), "admin", source="csv")  # doctest: +SKIP
    """
    checked = check_rows(center, rows)
    if version is not None and not VERSION_LABEL.match(version):
        raise Invalid(
            "version: letters, digits and . _ + - (at most 64)", fields={"version": version}
        )
    async with center.db.connection() as conn:
        label = (
            version
            or f"catalogue-{center.today():%Y%m%d}-{await store.catalogue_count(conn) + 1:03d}"
        )
        row = await store.insert_catalogue_version(
            conn, version=label, rows=checked, source=source, note=note, actor=actor, activate=True
        )
    if row is None:
        raise Conflict(f"catalogue version {label!r} exists already", fields={"version": label})
    await reload_geography(center)
    await announce(center, "catalogue.changed")
    return _view(row)


def apply_changes(
    rows: Iterable[Mapping[str, str]], changes: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """A new row list: ``add`` a row, ``remove`` rows matching ``match``, or ``update``
    matching rows with ``set``. A match that finds nothing is refused (a typo must not
    silently leave the old duty in force).

    Examples
    --------
    >>> base = [{"category_code": "urban", "tier": "2", "unit_code": "A", "role": "lead"}]
    >>> apply_changes(base, [{"op": "update", "match": {"unit_code": "A"},
    ...                        "set": {"unit_code": "B"}}])[0]["unit_code"]
    'B'
    """
    out = [dict(r) for r in rows]
    for i, change in enumerate(changes):
        op = change.get("op")
        if op == "add":
            row = change.get("row")
            if not isinstance(row, Mapping):
                raise Invalid("add needs a row", fields={f"changes[{i}].row": "required"})
            out.append({k: str(v) for k, v in row.items()})
            continue
        match = change.get("match")
        if op not in ("remove", "update") or not isinstance(match, Mapping) or not match:
            raise Invalid(
                f"change {i}: op must be add, remove or update (with a match)",
                fields={f"changes[{i}]": "op add|remove|update; remove/update need match"},
            )
        want = {k: str(v) for k, v in match.items()}
        hits = [r for r in out if all(str(r.get(k, "")) == v for k, v in want.items())]
        if not hits:
            raise Invalid(
                f"change {i}: no row matches {want}",
                fields={f"changes[{i}].match": "no row matches"},
            )
        if op == "remove":
            out = [r for r in out if not any(r is h for h in hits)]
        else:
            updates = change.get("set")
            if not isinstance(updates, Mapping) or not updates:
                raise Invalid("update needs set", fields={f"changes[{i}].set": "required"})
            for h in hits:
                h.update({k: str(v) for k, v in updates.items()})
    return out


async def edit_catalogue(
    center: Center,
    changes: Sequence[Mapping[str, Any]],
    actor: str,
    *,
    version: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """A new version built from the catalogue in force plus ``changes``."""
    async with center.db.connection() as conn:
        current = await store.active_catalogue(conn)
    if current is None:
        raise NotFound("no catalogue is active yet", fields={"version": "none"})
    rows = apply_changes(current["rows"], changes)
    return await import_catalogue(
        center, rows, actor, version=version, source=f"edit of {current['version']}", note=note
    )


async def list_catalogues(center: Center) -> list[dict[str, Any]]:
    """Every catalogue version, newest first (rows counted, not listed)."""
    async with center.db.connection() as conn:
        return [_view(r) for r in await store.list_catalogue_versions(conn)]


async def get_catalogue(center: Center, version: str) -> dict[str, Any]:
    """One catalogue version with its rows as stored (templates unexpanded)."""
    async with center.db.connection() as conn:
        row = await store.get_catalogue_version(conn, version, with_rows=True)
    if row is None:
        raise NotFound(f"no catalogue version {version!r}", fields={"version": version})
    return _view(row)


async def activate_catalogue(center: Center, version: str, actor: str) -> dict[str, Any]:
    """Put a stored version back in force: the rollback."""
    async with center.db.connection() as conn:
        row = await store.activate_catalogue_version(conn, version, actor)
    if row is None:
        raise NotFound(f"no catalogue version {version!r}", fields={"version": version})
    await reload_geography(center)
    await announce(center, "catalogue.changed")
    return _view(row)


def _view(row: Mapping[str, Any]) -> dict[str, Any]:
    return version_view(dict(row))
