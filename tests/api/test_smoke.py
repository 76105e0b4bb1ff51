from tests.api.conftest import LiveCenter, new_order


def test_health_and_create(live: LiveCenter) -> None:
    with live.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order())
        assert r.status_code == 201, r.text
        o = r.json()
        assert o["status"] == "received"
        assert o["number"].startswith("LS")
        r = c.get(f"/api/v1/orders/{o['id']}")
        assert r.status_code == 200
        assert r.json()["timeline"][0]["action"] == "receive"
