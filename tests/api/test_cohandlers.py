"""协办 over HTTP (issue 18): each co-handling unit accepts its part and answers it; the lead
sees every part and answers for the whole. And the workbench's details: a return's reason
from the list, a reply's outcome and photos, an action sent twice with one client id.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

LEAD = "511102"
CO_A = "511102-ZJJ"
CO_B = "511111"


def _dispatched(live: LiveCenter, unit: str = LEAD, co: list[str] | None = None) -> dict[str, Any]:
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order())
        assert r.status_code == 201, r.text
        body = {"unit_code": unit, "co_units": co or []}
        r = c.post(f"/api/v1/orders/{r.json()['id']}/actions/dispatch", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())


def _act(c: httpx.Client, oid: str, action: str, **body: Any) -> httpx.Response:
    return c.post(f"/api/v1/orders/{oid}/actions/{action}", json=body)


@pytest.fixture(scope="module")
def people(make_user: Callable[..., str], live: LiveCenter) -> dict[str, httpx.Client]:
    clients = {
        "lead": live.client("h_511102"),
        "co_a": live.client(make_user("handler", CO_A, prefix="coa")),
        "co_b": live.client("h_511111"),
        "stranger": live.client("h_511123"),
        "dispatcher": live.client("dispatcher"),
    }
    yield clients  # type: ignore[misc]
    for c in clients.values():
        c.close()


def test_co_handlers_accept_and_answer_their_parts(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    order = _dispatched(live, co=[CO_A, CO_B])
    oid = order["id"]
    # Each co-handling unit reads the order and its own part's next move (the lists too).
    b = people["co_b"].get(f"/api/v1/orders/{oid}").json()
    assert b["allowed_actions"] == ["co_accept"]
    listed = people["co_b"].get("/api/v1/orders?limit=500").json()["orders"]
    assert oid in {o["id"] for o in listed}
    assert people["stranger"].get(f"/api/v1/orders/{oid}").status_code == 404
    # A part cannot be answered before it is accepted, nor by a unit without one.
    assert _act(people["co_b"], oid, "co_reply", note="x").status_code == 409
    assert _act(people["stranger"], oid, "co_accept").status_code == 404
    r = _act(people["co_b"], oid, "co_accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched"  # the order's own status does not move
    r = _act(people["co_b"], oid, "co_reply", note="沙湾区已配合排查", outcome="bad")
    assert r.status_code == 422 and "outcome" in r.json()["error"]["fields"]
    r = _act(people["co_b"], oid, "co_reply", note="沙湾区已配合排查", outcome="partly")
    assert r.status_code == 200, r.text
    assert _act(people["co_b"], oid, "co_reply", note="again").status_code == 409
    # The lead works the order and sees every part; A has not answered yet.
    lead = people["lead"]
    assert _act(lead, oid, "co_accept").status_code == 404  # the lead has no part
    order = _act(lead, oid, "accept").json()
    parts = {p["unit"]["code"]: p for p in order["co_parts"]}
    assert parts[CO_B]["state"] == "replied" and parts[CO_B]["outcome"] == "partly"
    assert parts[CO_B]["text"] == "沙湾区已配合排查" and parts[CO_A]["state"] == "dispatched"
    assert _act(people["co_a"], oid, "co_accept").status_code == 200
    assert _act(people["co_a"], oid, "co_reply", note="住建局已督促清运").status_code == 200
    # The lead answers for the whole; the timeline keeps every part's answer.
    r = _act(lead, oid, "reply", note="会同住建、沙湾区处理完毕", outcome="solved")
    assert r.status_code == 200, r.text
    tl = people["dispatcher"].get(f"/api/v1/orders/{oid}").json()["timeline"]
    actions = [(t["action"], t["actor"]) for t in tl]
    assert ("co_reply", "h_511111") in actions
    reply = tl[-1]
    assert reply["action"] == "reply" and reply["data"]["outcome"] == "solved"
    assert {u: p["state"] for u, p in reply["data"]["co_parts"].items()} == {
        CO_A: "replied",
        CO_B: "replied",
    }
    # Once answered, the parts are closed too.
    assert _act(people["co_a"], oid, "co_reply", note="late").status_code == 409
    # The rates count each co-handler by its own part; the order counts once overall.
    rates = people["dispatcher"].get("/api/v1/supervision/rates", params={"unit": CO_B}).json()
    row = next(u for u in rates["units"] if u["unit"] == CO_B)
    assert row["orders"] >= 1 and row["replied"] >= 1 and row["rated"] == 0
    everyone = people["dispatcher"].get("/api/v1/supervision/rates").json()
    per_unit = sum(u["orders"] for u in everyone["units"])
    assert everyone["overall"]["orders"] < per_unit  # co-handled parts are not orders


def test_return_with_a_reason_from_the_list(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    order = _dispatched(live)
    r = _act(people["lead"], order["id"], "request_return", note="见附件", reason_code="nope")
    assert r.status_code == 422 and "reason_code" in r.json()["error"]["fields"]
    r = _act(
        people["lead"], order["id"], "request_return", note="属沙湾区", reason_code="wrong_area"
    )
    assert r.status_code == 200, r.text
    tl = people["dispatcher"].get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    assert tl[-1]["data"]["reason_code"] == "wrong_area" and tl[-1]["note"] == "属沙湾区"


def test_an_action_sent_twice_with_one_client_id_is_applied_once(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    order = _dispatched(live)
    oid, cid = order["id"], uuid.uuid4().hex
    body = {"version": order["version"], "client_id": cid}
    first = _act(people["lead"], oid, "accept", **body)
    again = _act(people["lead"], oid, "accept", **body)
    assert first.status_code == 200 and again.status_code == 200, again.text
    assert again.json()["version"] == first.json()["version"]
    tl = people["dispatcher"].get(f"/api/v1/orders/{oid}").json()["timeline"]
    assert [t["action"] for t in tl].count("accept") == 1
    # The same id for another action is refused, naming it; another user's id is theirs.
    r = _act(people["lead"], oid, "start", client_id=cid)
    assert r.status_code == 422 and "client_id" in r.json()["error"]["fields"]
    # Someone acted first: a plain 409 saying who.
    stale = _act(people["lead"], oid, "start", version=order["version"], client_id=uuid.uuid4().hex)
    assert stale.status_code == 409 and stale.json()["error"]["changed_by"] == "h_511102"


def exif_segment(lon: float, lat: float) -> bytes:
    """An APP1 EXIF segment as a phone writes it: a camera name and a GPS position."""

    def rational(value: float) -> bytes:
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60 * 1000)
        return struct.pack("<IIIIII", d, 1, m, 1, s, 1000)

    # TIFF: IFD0 (Make, GPS pointer) at 8; GPS IFD; then the rationals.
    ifd0_at, gps_at = 8, 8 + 2 + 2 * 12 + 4
    data_at = gps_at + 2 + 4 * 12 + 4
    make = b"SecretPhone\x00"
    lat_at, lon_at = data_at + len(make), data_at + len(make) + 24
    ifd0 = struct.pack("<H", 2)
    ifd0 += struct.pack("<HHII", 0x010F, 2, len(make), data_at)
    ifd0 += struct.pack("<HHII", 0x8825, 4, 1, gps_at) + struct.pack("<I", 0)
    gps = struct.pack("<H", 4)
    gps += struct.pack("<HHI4s", 1, 2, 2, b"N\x00\x00\x00")
    gps += struct.pack("<HHII", 2, 5, 3, lat_at)
    gps += struct.pack("<HHI4s", 3, 2, 2, b"E\x00\x00\x00")
    gps += struct.pack("<HHII", 4, 5, 3, lon_at) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", ifd0_at) + ifd0 + gps + make
    tiff += rational(lat) + rational(lon)
    assert ifd0_at + len(ifd0) == gps_at
    app1 = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1


def _jpeg_with_gps(lon: float, lat: float) -> bytes:
    """A tiny JPEG (not decodable: the server never decodes) with EXIF and a comment."""
    sof = b"\xff\xc0\x00\x0b\x08\x00\x10\x00\x20\x01\x01\x11\x00"
    return (
        b"\xff\xd8"
        + exif_segment(lon, lat)
        + b"\xff\xfe\x00\x0aOwner:Li"
        + sof
        + b"\xff\xda\x00\x02PIXELS\xff\xd9"
    )


def test_a_reply_with_a_photo_keeps_its_place_and_drops_the_rest(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    order = _dispatched(live)
    oid, lead = order["id"], people["lead"]
    _act(lead, oid, "accept")
    photo = _jpeg_with_gps(103.7665, 29.5521)
    jpeg = {"Content-Type": "image/jpeg"}
    # Not a JPEG; another unit's order; too big.
    r = lead.post(f"/api/v1/orders/{oid}/photos", content=b"GIF89a...", headers=jpeg)
    assert r.status_code == 422 and "photo" in r.json()["error"]["fields"]
    r = people["co_b"].post(f"/api/v1/orders/{oid}/photos", content=photo, headers=jpeg)
    assert r.status_code == 404
    big = photo[:-2] + b"\x00" * 1_100_000 + b"\xff\xd9"
    assert lead.post(f"/api/v1/orders/{oid}/photos", content=big, headers=jpeg).status_code == 413
    r = lead.post(f"/api/v1/orders/{oid}/photos", content=photo, headers=jpeg)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert (saved["width"], saved["height"]) == (32, 16)
    assert saved["lon"] == pytest.approx(103.7665, abs=1e-4)
    assert saved["lat"] == pytest.approx(29.5521, abs=1e-4)
    stored = people["dispatcher"].get(saved["url"])
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert b"SecretPhone" not in stored.content and b"Owner" not in stored.content
    assert b"Exif" not in stored.content and stored.content.endswith(b"PIXELS\xff\xd9")
    assert people["stranger"].get(saved["url"]).status_code == 404
    # The reply names the photo; its place becomes the reply's.
    r = _act(lead, oid, "reply", note="已清理，见照片", outcome="solved", photo_ids=["999999"])
    assert r.status_code == 422 and "photo_ids" in r.json()["error"]["fields"]
    r = _act(lead, oid, "reply", note="已清理，见照片", outcome="solved", photo_ids=[saved["id"]])
    assert r.status_code == 200, r.text
    tl = people["dispatcher"].get(f"/api/v1/orders/{oid}").json()["timeline"]
    assert tl[-1]["data"]["photos"][0]["id"] == saved["id"]
    assert tl[-1]["data"]["place"]["lon"] == pytest.approx(103.7665, abs=1e-4)
