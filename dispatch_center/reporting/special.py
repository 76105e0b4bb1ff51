"""A special report (专报): any run of days under a topic, optionally narrowed to some
counties and citing an incident. The figures are the city's for the period; the area
focus repeats those of the named counties (their row, overdue orders and hotspots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dispatch_center.errors import Invalid
from dispatch_center.store import report_refs


def area_focus(data: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The named counties' share of a report's data.

    Examples
    --------
    >>> d = {"counties": [{"name": "市中区", "received": 5}, {"name": "沙湾区", "received": 2}],
    ...      "overdue": {"orders": [{"county": "沙湾区", "number": "LS1"}]},
    ...      "hotspots": [{"county": "市中区", "name": "网格 1"}]}
    >>> f = area_focus(d, ["沙湾区"])
    >>> f["received"], [o["number"] for o in f["overdue"]], f["hotspots"]
    (2, ['LS1'], [])
    """
    wanted = set(names)
    counties = [c for c in data.get("counties") or [] if c.get("name") in wanted]
    return {
        "names": list(names),
        "counties": counties,
        "received": sum(int(c.get("received") or 0) for c in counties),
        "overdue": [
            o for o in (data.get("overdue") or {}).get("orders") or [] if o.get("county") in wanted
        ],
        "hotspots": [h for h in data.get("hotspots") or [] if h.get("county") in wanted],
    }


async def cite_incident(center: Any, incident_id: int | None) -> dict[str, Any] | None:
    """What the report says of the incident: its name and summary when the center keeps
    incidents; 422 naming ``incident_id`` when it keeps them and has no such one; when it
    keeps none, the id alone, marked as not checked.
    """
    if incident_id is None:
        return None
    async with center.db.connection() as conn:
        try:
            doc = await report_refs.incident(conn, incident_id)
        except LookupError:
            return {"id": str(incident_id), "checked": False, "title": f"事件 #{incident_id}"}
    if doc is None:
        raise Invalid(f"no incident {incident_id}", fields={"incident_id": "not found"})
    title = next((doc[k] for k in ("title", "name", "topic") if doc.get(k)), f"事件 #{incident_id}")
    summary = next((doc[k] for k in ("summary", "description") if doc.get(k)), None)
    return {"id": str(incident_id), "checked": True, "title": title, "summary": summary}


def shape_special(
    data: dict[str, Any],
    *,
    topic: str | None,
    area: Sequence[str],
    area_names: Mapping[str, str],
    incident: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The report's data with the special report's topic (in its title), area focus and
    cited incident.

    Examples
    --------
    >>> d = shape_special({"title": "乐山12345心连心服务热线专报（12月1日至5日）", "label": "x"},
    ...                   topic="冬季供暖", area=[], area_names={}, incident=None)
    >>> d["title"]
    '乐山12345心连心服务热线专报：冬季供暖（x）'
    """
    names = [area_names.get(c, c) for c in area]
    where = "、".join(names)
    if topic:
        place = f"{where}，" if where else ""
        data["title"] = f"乐山12345心连心服务热线专报：{topic}（{place}{data['label']}）"
    data["special"] = {
        "topic": topic,
        "area": list(area),
        "area_names": names,
        "incident": dict(incident) if incident else None,
        "focus": area_focus(data, names) if names else None,
    }
    return data
