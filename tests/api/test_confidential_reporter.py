"""A reporter's identity is kept from the handling unit when they ask (要求保密), and always
for a 举报: the unit sees the surname, a masked number and the text with its numbers masked;
the center's seats see them in full (issue 15, beyond the list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.conftest import LiveCenter, new_order

UNIT = "511102-ZJJ"  # 市中区住房和城乡建设局, under the demo handler h_511102
TEXT = "工地夜间施工扰民，请回电13912345678，身份证号510102199001011234"


def _dispatched(live: LiveCenter, **overrides: Any) -> str:
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order(description=TEXT, **overrides))
        assert r.status_code == 201, r.text
        oid = str(r.json()["id"])
        r = c.post(f"/api/v1/orders/{oid}/actions/dispatch", json={"unit_code": UNIT})
        assert r.status_code == 200, r.text
    return oid


def _as(live: LiveCenter, user: str, oid: str) -> dict[str, Any]:
    with live.client(user) as c:
        r = c.get(f"/api/v1/orders/{oid}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        listed = {
            o["id"]: o for o in c.get("/api/v1/orders", params={"limit": 500}).json()["orders"]
        }
    assert listed[oid]["reporter"] == body["reporter"], "the list and the card must agree"
    return body


def test_a_confidential_reporter_is_masked_for_the_handling_unit(live: LiveCenter) -> None:
    oid = _dispatched(
        live, reporter={"name": "王先生", "phone": "13812345678", "confidential": True}
    )
    unit = _as(live, "h_511102", oid)
    assert unit["reporter"] == {"name": "王**", "phone": "138****5678", "confidential": True}
    assert "13912345678" not in unit["description"]
    assert "510102199001011234" not in unit["description"]
    assert "工地夜间施工扰民" in unit["description"]
    center = _as(live, "dispatcher", oid)
    assert center["reporter"] == {"name": "王先生", "phone": "13812345678", "confidential": True}
    assert center["description"] == TEXT


def test_a_report_of_wrongdoing_is_always_confidential(live: LiveCenter) -> None:
    oid = _dispatched(
        live, category={"type": "report", "code": "housing.construction"}
    )  # 举报, the citizen ticked nothing
    unit = _as(live, "h_511102", oid)
    assert unit["reporter"]["confidential"] is True
    assert unit["reporter"]["phone"] == "138****5678" and unit["reporter"]["name"] == "张**"


def test_an_ordinary_request_s_handler_calls_the_citizen(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    oid = _dispatched(live)
    unit = _as(live, make_user("handler", UNIT, prefix="zjj"), oid)
    assert unit["reporter"] == {"name": "张先生", "phone": "13812345678", "confidential": False}
    assert unit["description"] == TEXT
    # The county above reads the order it answers for; the number is for the unit that
    # holds it and must call back (issue 18).
    county = _as(live, "h_511102", oid)
    assert county["reporter"] == {"name": "张先生", "phone": "138****5678", "confidential": False}
