"""The mode policies in force: the bundled files, an operator's overrides, and reloading.

A policy file an operator puts in ``settings.policy_dir`` replaces the bundled one of its
mode. At start a refused file is logged and the bundled policy runs; a reload by an admin
refuses a bad file (422) and keeps the running policies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Invalid
from dispatch_center.modeswitch.common import seen_history
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from modes.policy import ModeName, ModePolicy, PolicyError, parse_policy

log = logging.getLogger(__name__)


def bundled_policy_text(mode: ModeName) -> str:
    """The policy file shipped in ``modes/policies``."""
    return (resources.files("modes.policies") / f"{mode.value}.json").read_text(encoding="utf-8")


def read_policies(
    policy_dir: Path | None,
    categories: Collection[str] | None,
    units: Collection[str] | None,
) -> dict[ModeName, ModePolicy]:
    """Parse every mode's policy: the operator's file where one exists, else the bundled one.

    Raises
    ------
    PolicyError
        For the first file that is refused (naming the file and the field).
    """
    out: dict[ModeName, ModePolicy] = {}
    for mode in ModeName:
        override = policy_dir / f"{mode.value}.json" if policy_dir else None
        if override is not None and override.is_file():
            try:
                text = override.read_text(encoding="utf-8")
            except OSError as exc:
                raise PolicyError(str(override), "(file)", str(exc)) from exc
            source = str(override)
        else:
            text, source = bundled_policy_text(mode), f"modes/policies/{mode.value}.json"
        out[mode] = parse_policy(
            text, source=source, expected_mode=mode, categories=categories, units=units
        )
    return out


def _known_codes(center: Center) -> tuple[set[str] | None, set[str] | None]:
    """The category and unit codes a policy may name (``None``: reference data not loaded)."""
    if center.ref is None:
        return None, None
    return set(center.reference.categories), set(center.reference.units)


def _policy_dir(center: Center) -> Path | None:
    """The operator's policy folder, if the settings name one."""
    value = getattr(center.settings, "policy_dir", None)
    return Path(value) if value else None


async def read_configured_policies(center: Center) -> dict[ModeName, ModePolicy]:
    """:func:`read_policies` with this center's folder and codes, off the event loop.

    Raises
    ------
    PolicyError
        For the first file that is refused.
    """
    categories, units = _known_codes(center)
    return await asyncio.to_thread(read_policies, _policy_dir(center), categories, units)


def load_policies_at_start(center: Center) -> dict[ModeName, ModePolicy]:
    """Policies for start-up: a refused operator file is logged and the bundled one runs."""
    categories, units = _known_codes(center)
    try:
        return read_policies(_policy_dir(center), categories, units)
    except PolicyError as exc:
        log.error("mode policy refused, running the bundled policies instead: %s", exc)
        return read_policies(None, categories, units)


async def reload_policies(center: Center, who: Principal) -> dict[str, Any]:
    """Re-read the policy files; a bad file is refused (422) and the running policies stay."""
    if who.role is not Role.admin:
        raise Forbidden("only an admin may reload the mode policies")
    try:
        policies = await read_configured_policies(center)
    except PolicyError as exc:
        raise Invalid(
            f"policy refused, the running policies stay: {exc}",
            fields={exc.field: exc.message},
            file=exc.source,
        ) from exc
    now = center.now()
    versions = {m.value: p.version for m, p in policies.items()}
    async with center.db.connection() as conn, conn.transaction():
        entry = await store.insert_history(
            conn,
            {
                "at": now,
                "action": "policies.reloaded",
                "actor": who.username,
                "role": who.role.value,
                "status": "applied",
                "data": {"versions": versions},
            },
        )
        change = await changes.append_change(
            conn, now, "mode.policies", str(entry["id"]), {"versions": versions}
        )
    # Committed: only now do this worker's policies change (and, if nothing else was
    # written meanwhile, it has seen its own history entry).
    center.modes = replace(center.modes, policies=policies)
    seen_history(center, entry["id"])
    await publish_changes(center, [change])
    return policies_view(center)


def policies_view(center: Center) -> dict[str, Any]:
    """The policies in force, for the wallboard and operators."""
    return {"policies": {m.value: p.public() for m, p in center.modes.policies.items()}}
