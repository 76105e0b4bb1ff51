"""Reports and the quarterly ranking through HTTP, on a center of its own with a backfilled year."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch_center.demo import backfill
from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live


@pytest.fixture(scope="module")
def history(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A live center whose database holds about a year of backfilled orders."""
    url = make_database()
    data_dir: Path = tmp_path_factory.mktemp("reports-center")
    settings = Settings(database_url=url, demo=True, data_dir=data_dir, demo_story=False)
    server, thread, app = start_live(settings, free_port())
    center = app.state.center
    plan = backfill.plan_for(4000, center.today(), years=1.1, batch_size=2000, seed=3)
    backfill.run_backfill(
        url,
        plan,
        today=center.today(),
        geography=center.geography,
        calendar=center.reference.calendar,
    )
    yield LiveCenter(f"http://127.0.0.1:{server.config.port}", app, {})
    server.should_exit = True
    thread.join(10)


def test_daily_report_json_and_documents(history: LiveCenter) -> None:
    day = (history.center.today() - timedelta(days=2)).isoformat()
    with history.client("duty") as c:
        r = c.get("/api/v1/reports/daily", params={"date": day})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["kind"] == "daily" and d["period"]["start"] == day
        assert d["volume"]["received"] == sum(t["received"] for t in d["trend"]) > 0
        assert len(d["trend"]) == 24 and {c["code"] for c in d["counties"]} <= {
            "511102",
            "511111",
            "511112",
            "511113",
            "511123",
            "511124",
            "511126",
            "511129",
            "511132",
            "511133",
            "511181",
        }
        assert 0 <= d["rates"]["satisfaction_rate"] <= 1

        # A GET reads; the documents are made first (issue 15: a GET never makes a report).
        made = c.post("/api/v1/reports/daily", json={"date": day})
        assert made.status_code == 201, made.text
        assert made.json()["formats"] == ["csv", "html", "pdf", "xlsx"]
        html = c.get("/api/v1/reports/daily", params={"date": day}, headers={"Accept": "text/html"})
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert html.text.count("<svg") >= 5 and "日报" in html.text

        pdf = c.get("/api/v1/reports/daily", params={"date": day, "format": "pdf"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf.content))
        text = "".join(page.extract_text() for page in reader.pages)
        assert "乐山12345心连心服务热线日报" in text and "区域分布" in text
        assert sum(len(page.images) for page in reader.pages) >= 5  # the charts

        xlsx = c.get("/api/v1/reports/daily", params={"date": day, "format": "xlsx"})
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(xlsx.content))
        assert {"概况", "趋势", "渠道", "区县", "超期", "重复"} <= set(wb.sheetnames)
        assert wb["概况"]["B2"].value == d["volume"]["received"]

        csv_doc = c.get("/api/v1/reports/daily", params={"date": day, "format": "csv"})
        assert csv_doc.headers["content-type"].startswith("text/csv")
        assert f"概况,受理量,{d['volume']['received']}" in csv_doc.content.decode("utf-8-sig")

        kept = c.get("/api/v1/reports", params={"kind": "daily"}).json()["reports"]
        assert {"html", "pdf", "xlsx", "csv"} <= {f for r in kept for f in r["formats"]}
        one = next(r for r in kept if "pdf" in r["formats"])
        again = c.get(one["links"]["pdf"])
        assert again.status_code == 200 and again.content.startswith(b"%PDF")
        assert c.get("/api/v1/reports/archive/999999").status_code == 404


@pytest.mark.parametrize("kind", ["weekly", "monthly", "quarterly", "annual"])
def test_period_reports(history: LiveCenter, kind: str) -> None:
    with history.client("leader") as c:
        r = c.get(f"/api/v1/reports/{kind}", params={"date": "2026-08-15"})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["kind"] == kind and d["volume"]["received"] > 0
        assert d["volume"]["vs_previous"]["reference"] >= 0


def test_report_errors(history: LiveCenter) -> None:
    with history.client("duty") as c:
        assert c.get("/api/v1/reports/hourly").status_code == 422
        assert c.get("/api/v1/reports/daily", params={"date": "2026-13-01"}).status_code == 422
        assert c.get("/api/v1/reports/daily", params={"format": "doc"}).status_code == 422
    assert httpx.get(f"{history.base_url}/api/v1/reports/daily").status_code == 401


class _At:
    """The live center seen at a chosen moment (the scheduler only asks ``now``)."""

    def __init__(self, center: Any, moment: datetime) -> None:
        self._center, self._moment = center, moment

    def now(self) -> datetime:
        return self._moment

    def __getattr__(self, name: str) -> Any:
        return getattr(self._center, name)


def test_scheduled_daily_report_made_once(history: LiveCenter) -> None:
    from dispatch_center.reporting.schedule import DailyReportScheduler

    loop = _loop_of(history)
    day = datetime(2026, 10, 16, tzinfo=ZoneInfo("Asia/Shanghai"))

    def run_at(hour: int) -> Any:
        scheduler = DailyReportScheduler(_At(history.center, day.replace(hour=hour)))
        return asyncio.run_coroutine_threadsafe(scheduler.run_once(), loop).result(120)

    # Before 08:00 there is nothing to make yet; at 09:00 yesterday's report is made,
    # with every document; a second worker (or a restart) makes nothing new.
    assert run_at(7) is None
    made = run_at(9)
    assert made is not None
    assert run_at(10) is None
    with history.client("duty") as c:
        kept = c.get("/api/v1/reports", params={"kind": "daily"}).json()["reports"]
    scheduled = [
        r for r in kept if r["trigger"] == "schedule" and r["period_start"] == "2026-10-15"
    ]
    assert len(scheduled) == 1 and scheduled[0]["formats"] == ["csv", "html", "pdf", "xlsx"]
    scheduler = DailyReportScheduler(history.center)
    assert 0 < scheduler.seconds_until_next(day.replace(hour=9)) == 23 * 3600


def _loop_of(live: LiveCenter) -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop = live.app.state.rollup_worker._task.get_loop()
    return loop


def test_quarterly_ranking_and_bottom_followup(history: LiveCenter) -> None:
    with history.client("leader") as c:
        r = c.get("/api/v1/rankings", params={"quarter": "2026Q3", "kind": "county"})
        assert r.status_code == 200, r.text
        body = r.json()
        units = body["units"]
        assert len(units) == 11 and all(
            len(u["code"]) == 6 and u["code"].startswith("5111") for u in units
        )
        scores = [u["score"] for u in units]
        assert scores == sorted(scores, reverse=True)
        assert body["weights"]["satisfaction"] == 0.3 and body["closed"] is True
        bottom = [u for u in units if u["bottom"]]
        assert bottom and bottom[-1] == units[-1]
        follow = {f["unit_code"]: f for f in body["followups"]}
        assert set(follow) == {u["code"] for u in bottom}
        code = units[-1]["code"]
        assert follow[code]["status"] == "awaiting_explanation"

        weighted = c.get(
            "/api/v1/rankings",
            params={
                "quarter": "2026Q3",
                "kind": "county",
                "weights": "satisfaction=1,on_time=0,resolution=0,response=0,return=0,reopen=0",
            },
        ).json()
        assert all(u["score"] == round(100 * u["satisfaction_rate"], 2) for u in weighted["units"])
        assert (
            c.get(
                "/api/v1/rankings", params={"quarter": "2026Q3", "weights": "speed=1"}
            ).status_code
            == 422
        )
        assert c.get("/api/v1/rankings", params={"quarter": "2026Q9"}).status_code == 422

        depts = c.get("/api/v1/rankings", params={"quarter": "2026Q3", "kind": "department"}).json()
        assert depts["units"] and all(u["code"] for u in depts["units"])

        # The interview cannot come before the written explanation.
        path = f"/api/v1/rankings/2026Q3/county/{code}"
        assert c.post(f"{path}/interview", json={"record": "约谈记录"}).status_code == 409

    other = next(u["code"] for u in units if u["code"] != code)
    with history.client(f"h_{other}") as h:
        assert h.post(f"{path}/explanation", json={"text": "说明"}).status_code == 403
    with history.client(f"h_{code}") as h:
        assert h.post(f"{path}/explanation", json={"text": ""}).status_code == 422
        ok = h.post(
            f"{path}/explanation", json={"text": "本季度满意率偏低，原因是……整改措施如下……"}
        )
        assert ok.status_code == 200, ok.text
        assert (
            ok.json()["status"] == "awaiting_interview" and ok.json()["explained_by"] == f"h_{code}"
        )
        assert h.post(f"{path}/explanation", json={"text": "again"}).status_code == 409
        assert h.post(f"{path}/interview", json={"record": "x"}).status_code == 403
    with history.client("leader") as c:
        done = c.post(f"{path}/interview", json={"record": "分管副市长约谈区长，明确整改时限"})
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert c.post(f"{path}/interview", json={"record": "again"}).status_code == 409
        listed = c.get("/api/v1/rankings/followups", params={"quarter": "2026Q3"}).json()[
            "followups"
        ]
        assert any(f["unit_code"] == code and f["status"] == "done" for f in listed)
    # An open quarter opens no follow-ups.
    with history.client("duty") as c:
        current = f"{history.center.today().year}Q{(history.center.today().month - 1) // 3 + 1}"
        now = c.get("/api/v1/rankings", params={"quarter": current, "kind": "county"}).json()
        assert now["closed"] is False and now["followups"] == []


def test_special_report(history: LiveCenter) -> None:
    with history.client("duty") as c:
        r = c.post("/api/v1/reports/special", json={"start": "2026-07-01", "end": "2026-08-31"})
        assert r.status_code == 201, r.text
        assert r.json()["files"] == ["csv", "html", "pdf", "xlsx"] and "专报" in r.json()["title"]
        assert (
            c.post(
                "/api/v1/reports/special", json={"start": "2026-08-31", "end": "2026-07-01"}
            ).status_code
            == 422
        )


def test_special_report_with_topic_area_and_incident(history: LiveCenter) -> None:
    body = {"start": "2026-07-01", "end": "2026-07-31", "topic": "夏季防汛", "area": ["511111"]}
    # The flood HQ opened and closed the incident the 专报 cites (issue 19's incidents).
    with history.client("flood_hq") as hq:
        opened = hq.post(
            "/api/v1/incidents",
            json={"title": "大渡河沙湾段超警", "place": "沙湾区沫若广场", "counties": ["511111"]},
        )
        assert opened.status_code == 201, opened.text
        incident = opened.json()["id"]
        closed = hq.post(
            f"/api/v1/incidents/{incident}/close", json={"summary": "转移群众 320 人，无人员伤亡。"}
        )
        assert closed.status_code == 200, closed.text
    with history.client("duty") as c:
        r = c.post("/api/v1/reports/special", json={**body, "incident_id": int(incident)})
        assert r.status_code == 201, r.text
        got = r.json()
        assert (
            got["title"] == "乐山12345心连心服务热线专报：夏季防汛（沙湾区，2026年7月1日至7月31日）"
        )
        special = got["data"]["special"]
        assert special["area_names"] == ["沙湾区"] and special["focus"]["names"] == ["沙湾区"]
        assert special["incident"] == {
            "id": incident,
            "checked": True,
            "title": "大渡河沙湾段超警",
            "summary": "转移群众 320 人，无人员伤亡。",
        }
        unknown = c.post("/api/v1/reports/special", json={**body, "incident_id": 999999})
        assert unknown.status_code == 422 and "incident_id" in unknown.json()["error"]["fields"]
        listed = c.get("/api/v1/reports", params={"kind": "special"}).json()["reports"]
        assert listed[0]["id"] == got["id"] and listed[0]["title"] == got["title"]
        bad = c.post("/api/v1/reports/special", json={**body, "area": ["511100"]})
        assert bad.status_code == 422 and "area" in bad.json()["error"]["fields"]


def test_ranking_weights_in_force_come_from_the_settings(
    history: LiveCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Last in the module: a closed quarter opens follow-ups for the bottom these weights pick.
    day = history.center.today() - timedelta(days=2)
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    only_satisfaction = "satisfaction=1,on_time=0,resolution=0,response=0,return=0,reopen=0"
    monkeypatch.setattr(history.center.settings, "ranking_weights", only_satisfaction)
    with history.client("leader") as c:
        body = c.get("/api/v1/rankings", params={"quarter": quarter}).json()
        assert body["weights"]["satisfaction"] == 1 and body["weights"]["on_time"] == 0
        assert body["units"]
        assert all(u["score"] == round(100 * u["satisfaction_rate"], 2) for u in body["units"])
        # A request's own weights replace the ones in force (unnamed ones: the defaults).
        own = c.get("/api/v1/rankings", params={"quarter": quarter, "weights": "on_time=1"})
        assert own.json()["weights"]["satisfaction"] == 0.3
        monkeypatch.setattr(history.center.settings, "ranking_weights", "speed=1")
        bad = c.get("/api/v1/rankings", params={"quarter": quarter})
        assert bad.status_code == 422 and "weights" in bad.json()["error"]["fields"]


def test_a_report_get_makes_nothing_and_a_post_makes_one(history: LiveCenter) -> None:
    """``GET`` reads (computes the JSON, serves a kept document); ``POST`` makes (issue 15)."""
    day = (history.center.today() - timedelta(days=3)).isoformat()
    with history.client("duty") as c:
        before = c.get("/api/v1/reports", params={"limit": 500}).json()["reports"]
        csv_doc = c.get("/api/v1/reports/daily", params={"date": day, "format": "csv"})
        assert csv_doc.status_code == 404, "a GET made a report"
        assert "POST" in csv_doc.json()["error"]["message"]
        assert c.get("/api/v1/reports/daily", params={"date": day}).status_code == 200
        assert c.get("/api/v1/reports", params={"limit": 500}).json()["reports"] == before

        made = c.post("/api/v1/reports/daily", json={"date": day, "formats": ["csv"]})
        assert made.status_code == 201, made.text
        kept = made.json()
        assert kept["kind"] == "daily" and kept["formats"] == ["csv"]
        assert kept["period"]["start"] == day
        listed = c.get("/api/v1/reports", params={"limit": 500}).json()["reports"]
        assert len(listed) == len(before) + 1
        assert {"id", "kind", "period", "formats"} <= set(listed[0])
        got = c.get("/api/v1/reports/daily", params={"date": day, "format": "csv"})
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        assert c.get("/api/v1/reports", params={"limit": 500}).json()["reports"] == listed
        assert c.post("/api/v1/reports/daily", json={"formats": ["doc"]}).status_code == 422


def test_reports_are_the_centers_and_rankings_everyones(history: LiveCenter) -> None:
    """A handler reads the quarterly ranking it is assessed by, not the center's reports."""
    with history.client("h_511102") as h:
        assert h.get("/api/v1/reports/daily").status_code == 403
        assert h.get("/api/v1/reports").status_code == 403
        assert h.post("/api/v1/reports/daily", json={}).status_code == 403
        r = h.get("/api/v1/rankings", params={"quarter": "2026Q3"})
        assert r.status_code == 200
        follow = h.get("/api/v1/rankings/followups").json()["followups"]
        assert {f["unit_code"] for f in follow} <= {"511102"}
