"""Minutes (纪要) rendered as HTML and as a PDF whose Chinese text survives."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from dispatch_center.supervision import minutes as doc

MINUTES: dict[str, Any] = {
    "session_id": "9",
    "topic": "嘉州大道下穿隧道积水视频督办",
    "room_url": "https://vc.example.invalid/room/9",
    "mode": "emergency",
    "emergency": "flood",
    "affected_area": ["511102"],
    "invited": [{"name": "分管副市长", "user": "leader"}, {"name": "市水务局局长"}],
    "created_by": "duty",
    "started_at": "2026-11-27T10:00:00+08:00",
    "closed_at": "2026-11-27T11:00:00+08:00",
    "closed_by": "duty",
    "participants": [
        {
            "participant": "leader",
            "name": "分管副市长",
            "role": "leader",
            "intervals": [
                {"joined_at": "2026-11-27T10:01:00+08:00", "left_at": "2026-11-27T10:20:00+08:00"},
                {"joined_at": "2026-11-27T10:30:00+08:00", "left_at": "2026-11-27T11:00:00+08:00"},
            ],
        },
        {
            "participant": "ext:77",
            "name": "<b>牛华镇镇长</b>",
            "role": None,
            "intervals": [{"joined_at": "2026-11-27T10:05:00+08:00", "left_at": None}],
        },
    ],
    "orders": [
        {
            "number": "LS2026112700001",
            "description": "隧道积水，车辆无法通行",
            "address": "市中区嘉州大道",
            "unit": "市中区",
            "status_label": "办理中",
        }
    ],
    "instructions": [
        {
            "text": "市住建局30分钟内调派抽排车辆",
            "owner": "市住建局",
            "due": "2026-11-27T11:00:00+08:00",
            "task": {"id": "1"},
            "order": None,
        },
        {
            "text": "交警设置绕行并发布提示",
            "owner": "市公安局交警支队",
            "due": None,
            "task": {"id": "2"},
            "order": None,
        },
    ],
    "attachments": [{"kind": "recording", "title": "会议录像", "url": "https://vc/rec/9"}],
    "amendments": [
        {"at": "2026-11-27T12:00:00+08:00", "author": "duty", "text": "补充：积水已于11:40排除。"}
    ],
}


def test_html_minutes_hold_everything_and_escape() -> None:
    html = doc.render_html(MINUTES, {"511102": "市中区"})
    for text in (
        "视频督办会议纪要",
        MINUTES["topic"],
        "市住建局30分钟内调派抽排车辆",
        "交警设置绕行并发布提示",
        "分管副市长",
        "市中区",
        "应急",
        "防汛（洪涝）",
        "补充：积水已于11:40排除。",
        "2026-11-27 10:30",
        "受邀未参会：市水务局局长",
    ):
        assert text in html, text
    assert "<b>牛华镇镇长</b>" not in html and "&lt;b&gt;牛华镇镇长" in html
    assert "http" not in html.split("<body>")[0]  # no outside assets in the head


def test_pdf_minutes_carry_chinese_text(tmp_path: Path) -> None:
    pdf = doc.render_pdf(MINUTES, {"511102": "市中区"})
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for needle in (
        "视频督办会议纪要",
        "嘉州大道下穿隧道积水视频督办",
        "市住建局30分钟内调派抽排车辆",
        "补充：积水已于11:40排除。",
    ):
        assert needle in text.replace("\n", ""), needle
    if shutil.which("pdftotext"):
        path = tmp_path / "m.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "视频督办会议纪要" in out


def test_pdf_font_is_embedded_when_a_truetype_cjk_font_exists() -> None:
    name, embedded = doc.cjk_font()
    has_ttf = any(Path(p).is_file() for p, _ in doc.CJK_TTF_CANDIDATES)
    assert embedded == has_ttf
    assert name == ("MinutesCJK" if has_ttf else doc.CID_FALLBACK)
    if has_ttf:
        pdf = doc.render_pdf(MINUTES)
        assert b"/FontFile2" in pdf  # the TrueType program travels inside the file


def test_a_bad_configured_font_falls_back(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"nope")
    name, _ = doc.cjk_font(str(bogus))
    assert name in ("MinutesCJK", doc.CID_FALLBACK)
    pdf = doc.render_pdf(MINUTES, font_path=str(bogus))
    assert "视频督办会议纪要" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.mark.parametrize("mode", ["normal", "holiday", "emergency", None])
def test_prepared_labels(mode: str | None) -> None:
    m = doc.prepared({**MINUTES, "mode": mode})
    assert m["mode_label"] == {"normal": "常规", "holiday": "假日", "emergency": "应急"}.get(
        str(mode), "—"
    )
    assert [p["role_label"] for p in m["participants"]] == ["领导", "外部参会"]
