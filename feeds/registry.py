"""The default catalogue of the 21 connected systems, as an explicit registry.

The catalogue is configuration: :func:`default_catalogue` gives the default descriptors, and a
:class:`Catalogue` lets a center drop systems it does not have or add its own adapters.
Registration is explicit (a tuple of imported modules), so a module that is not listed here
is not connected; ``tests/feeds`` fails when a module in ``feeds/systems`` is missing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import cast

from feeds import rules
from feeds.base import FeedAdapter, FeedDescriptor, PublicValues
from feeds.systems import (
    city_management,
    duty_room,
    emergency_mgmt,
    env_12369,
    gas,
    geohazard,
    grid_governance,
    health_12320,
    housing,
    hrss_12333,
    hydrology,
    market_12315,
    petitions,
    police110,
    power_95598,
    scenic_crowd,
    skynet,
    tourism_12301,
    transport_12328,
    water_supply,
    weather_cap,
)

__all__ = ["DEFAULT_ADAPTERS", "PUBLIC_VALUES", "Catalogue", "adapter", "default_catalogue"]

# The order is the wallboard's order: the article's named systems first.
DEFAULT_ADAPTERS: tuple[ModuleType, ...] = (
    skynet,
    police110,
    city_management,
    grid_governance,
    hydrology,
    weather_cap,
    geohazard,
    emergency_mgmt,
    scenic_crowd,
    tourism_12301,
    market_12315,
    env_12369,
    transport_12328,
    water_supply,
    power_95598,
    gas,
    hrss_12333,
    health_12320,
    petitions,
    duty_room,
    housing,
)


@dataclass
class Catalogue:
    """The connected systems of one center: adapters by system id, in display order.

    Examples
    --------
    >>> c = Catalogue.default().without("gas")
    >>> len(c), "gas" in c
    (20, False)
    """

    adapters: dict[str, FeedAdapter] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Catalogue:
        """All 21 systems of the default catalogue."""
        return cls({m.DESCRIPTOR.system: cast(FeedAdapter, m) for m in DEFAULT_ADAPTERS})

    def without(self, *systems: str) -> Catalogue:
        """A copy without ``systems`` (unknown ids are an error, so a typo is not silent)."""
        unknown = set(systems) - set(self.adapters)
        if unknown:
            raise KeyError(f"not in the catalogue: {sorted(unknown)}")
        return Catalogue({k: v for k, v in self.adapters.items() if k not in systems})

    def with_adapter(self, module: FeedAdapter | ModuleType) -> Catalogue:
        """A copy with one more adapter (a module or object of the adapter shape)."""
        desc = getattr(module, "DESCRIPTOR", None)
        if not isinstance(desc, FeedDescriptor) or not callable(getattr(module, "normalize", None)):
            raise TypeError("an adapter needs DESCRIPTOR (FeedDescriptor) and normalize()")
        if desc.system in self.adapters:
            raise ValueError(f"system {desc.system!r} is already in the catalogue")
        return Catalogue({**self.adapters, desc.system: cast(FeedAdapter, module)})

    def only(self, systems: Iterable[str]) -> Catalogue:
        """A copy with just ``systems``, in catalogue order."""
        keep = set(systems)
        return Catalogue({k: v for k, v in self.adapters.items() if k in keep})

    def public_values(self) -> dict[str, frozenset[str]]:
        """Every event kind's allow-list: each adapter's ``PUBLIC_VALUES`` and the rules'.

        An adapter that declares none contributes none: its events leave with no values.

        Examples
        --------
        >>> table = Catalogue.default().public_values()
        >>> "bjdh" in table["police110.transfer"], "level_m" in table["flood.alert"]
        (False, True)
        """
        table: dict[str, frozenset[str]] = dict(rules.PUBLIC_VALUES)
        for a in self.adapters.values():
            declared: PublicValues = getattr(a, "PUBLIC_VALUES", {})
            for kind, fields in declared.items():
                table[kind] = table.get(kind, frozenset()) | fields
        return table

    def descriptors(self) -> list[FeedDescriptor]:
        """The descriptors, in catalogue order."""
        return [a.DESCRIPTOR for a in self.adapters.values()]

    def __getitem__(self, system: str) -> FeedAdapter:
        return self.adapters[system]

    def __contains__(self, system: object) -> bool:
        return system in self.adapters

    def __iter__(self) -> Iterator[str]:
        return iter(self.adapters)

    def __len__(self) -> int:
        return len(self.adapters)


def default_catalogue() -> list[FeedDescriptor]:
    """The descriptors of the 21 default systems.

    Examples
    --------
    >>> [d.system for d in default_catalogue()][:3]
    ['skynet', 'police110', 'city_management']
    """
    return Catalogue.default().descriptors()


def adapter(system: str) -> FeedAdapter:
    """The default adapter for ``system`` (KeyError when unknown)."""
    return Catalogue.default()[system]


#: The default catalogue's allow-lists (:meth:`Catalogue.public_values`).
PUBLIC_VALUES: PublicValues = Catalogue.default().public_values()
