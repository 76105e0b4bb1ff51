"""The 12345 hotlines of the cities around Leshan, for a call about a place outside it.

12345 is dialled with the city's area code from outside the city; the seat passes the
caller on (or gives them the number) instead of opening a Leshan order. The list is the
cities a Leshan seat meets: the six that share a border (眉山, 雅安, 凉山州, 宜宾, 自贡 and,
by a short stretch, 内江) and 成都, where many callers live or travel from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CITY_HOTLINES", "CityHotline", "hotline_for"]


@dataclass(frozen=True, slots=True)
class CityHotline:
    """A neighbouring city's 12345."""

    adcode: str
    name: str
    number: str

    def as_dict(self) -> dict[str, str]:
        """The API's shape."""
        return {"adcode": self.adcode, "name": self.name, "number": self.number}


CITY_HOTLINES: tuple[CityHotline, ...] = (
    CityHotline("510100", "成都市", "028-12345"),
    CityHotline("511400", "眉山市", "028-12345"),
    CityHotline("511800", "雅安市", "0835-12345"),
    CityHotline("513400", "凉山彝族自治州", "0834-12345"),
    CityHotline("511500", "宜宾市", "0831-12345"),
    CityHotline("510300", "自贡市", "0813-12345"),
    CityHotline("511000", "内江市", "0832-12345"),
)
_BY_CODE = {h.adcode: h for h in CITY_HOTLINES}


def hotline_for(adcode: str) -> CityHotline | None:
    """The hotline of the city ``adcode``, or None when it is not a neighbour.

    Examples
    --------
    >>> hotline_for("511400").number
    '028-12345'
    >>> hotline_for("511100") is None
    True
    """
    return _BY_CODE.get(adcode)
