"""Shared pieces for the demo simulators: Leshan places, names, phone numbers, the context.

Each system module's ``simulate(ctx)`` builds payloads in its own (modelled) vendor format
from a :class:`SimContext`; ``feeds.simulate`` decides when each system speaks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from feeds.payload import SHANGHAI

Scenario = Literal["normal", "flood", "golden-week"]
SCENARIOS: tuple[Scenario, ...] = ("normal", "flood", "golden-week")


@dataclass(frozen=True)
class Place:
    """A named place in Leshan with its county (WGS-84)."""

    name: str
    lon: float
    lat: float
    adcode: str
    county: str


PLACES: tuple[Place, ...] = (
    Place("乐山大佛景区", 103.7699, 29.5447, "511102", "市中区"),
    Place("市中区嘉定中路", 103.7610, 29.5560, "511102", "市中区"),
    Place("市中区张公桥好吃街", 103.7580, 29.5650, "511102", "市中区"),
    Place("市中区肖坝旅游车站", 103.7420, 29.5790, "511102", "市中区"),
    Place("峨眉山金顶", 103.3327, 29.5205, "511181", "峨眉山市"),
    Place("峨眉山报国寺", 103.4430, 29.5830, "511181", "峨眉山市"),
    Place("峨眉山市名山南路", 103.4850, 29.6010, "511181", "峨眉山市"),
    Place("沙湾区嘉农镇", 103.5500, 29.4100, "511111", "沙湾区"),
    Place("沙湾区沫若广场", 103.5490, 29.4140, "511111", "沙湾区"),
    Place("峨边县沙坪镇", 103.2600, 29.2300, "511132", "峨边彝族自治县"),
    Place("金口河区永和镇", 103.0800, 29.2400, "511113", "金口河区"),
    Place("五通桥区竹根镇", 103.8200, 29.4100, "511112", "五通桥区"),
    Place("犍为县玉津镇", 103.9490, 29.2090, "511123", "犍为县"),
    Place("夹江县漹城镇", 103.5720, 29.7380, "511126", "夹江县"),
    Place("井研县研城镇", 104.0690, 29.6510, "511124", "井研县"),
    Place("沐川县沐溪镇", 103.9020, 28.9560, "511129", "沐川县"),
    Place("马边县民建镇", 103.5460, 28.8350, "511133", "马边彝族自治县"),
)
FLOOD_PLACES = tuple(p for p in PLACES if p.adcode in ("511111", "511132", "511113", "511112"))
SCENIC_PLACES = tuple(p for p in PLACES if p.name.startswith(("乐山大佛", "峨眉山")))

_SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛")


@dataclass(frozen=True)
class SimContext:
    """What a simulator gets: the time, the scenario, a seeded generator, a sequence number.

    ``seq`` counts this system's payloads so far in the run; ``progress`` runs from 0 to 1
    across the scenario's window (a flood morning's rivers rise with it); ``started_at`` is
    the window's start (a warning's Updates reference the Alert sent then).
    """

    at: datetime
    scenario: Scenario
    rng: random.Random
    seq: int = 0
    progress: float = 0.0
    start: datetime | None = None

    @property
    def started_at(self) -> datetime:
        """The start of the scenario's window (``at`` when not given)."""
        return self.start or self.at

    def place(self, pool: tuple[Place, ...] = PLACES) -> Place:
        """A random place from ``pool``."""
        return self.rng.choice(pool)

    def near(self, p: Place, metres: float = 300.0) -> tuple[float, float]:
        """A point within about ``metres`` of ``p``."""
        d = metres / 111_000
        return (
            round(p.lon + self.rng.uniform(-d, d), 6),
            round(p.lat + self.rng.uniform(-d, d), 6),
        )

    def person(self) -> str:
        """A plausible Chinese name."""
        return self.rng.choice(_SURNAMES) + "".join(
            self.rng.choices(_GIVEN, k=self.rng.randint(1, 2))
        )

    def phone(self) -> str:
        """A mobile number (a made-up 139/158/186 number)."""
        return self.rng.choice(("139", "158", "186", "135")) + f"{self.rng.randrange(10**8):08d}"

    def local(self, delta_s: float = 0.0) -> str:
        """``at`` (minus ``delta_s`` seconds) as ``YYYY-MM-DD HH:MM:SS`` in Asia/Shanghai."""
        return (
            (self.at - timedelta(seconds=delta_s))
            .astimezone(SHANGHAI)
            .strftime("%Y-%m-%d %H:%M:%S")
        )

    def ident(self, prefix: str) -> str:
        """A unique, stable id for this payload."""
        return f"{prefix}{self.at.astimezone(SHANGHAI):%Y%m%d%H%M%S}{self.seq:05d}"
