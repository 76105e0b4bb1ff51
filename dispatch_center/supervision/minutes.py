"""Minutes (纪要) of a video supervision session as HTML and PDF.

The minutes are frozen when the session closes; amendments follow them. HTML comes
from ``templates/minutes.html`` (Jinja2, autoescaped). The PDF is drawn with reportlab
in a TrueType CJK font embedded in the file (Debian ``fonts-wqy-zenhei`` or
``fonts-arphic-uming``; ``DISPATCH_PDF_FONT`` names another). Without one, reportlab's
built-in ``STSong-Light`` CID font is used: not embedded, shown by any viewer with
Chinese fonts.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.links import is_web_link
from dispatch_center.core.roles import ROLE_LABELS_ZH, Role

log = logging.getLogger(__name__)

# TrueType CJK fonts Debian ships, first found wins: (path, index inside a .ttc).
CJK_TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
)
CID_FALLBACK = "STSong-Light"

MODE_LABELS = {"normal": "常规", "holiday": "假日", "emergency": "应急"}
EMERGENCY_LABELS = {
    "flood": "防汛（洪涝）",
    "geohazard": "地质灾害",
    "public_health": "公共卫生事件",
    "major_accident": "重大事故",
    "other": "其他突发事件",
}
ATTACHMENT_LABELS = {"recording": "会议录像", "document": "文件", "link": "链接"}


def _when(value: Any) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return to_shanghai(moment).strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["when"] = _when
    # ``{% if url is web_link %}``: only http(s) links become an href (old rows included).
    env.tests["web_link"] = is_web_link
    return env


def _role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS_ZH[Role(role)] if role else "外部参会"
    except ValueError:
        return role or "外部参会"


def prepared(
    minutes: Mapping[str, Any], area_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The minutes with labels the documents show (mode, roles, area, absentees).

    Examples
    --------
    >>> m = prepared({"mode": "emergency", "participants": [], "invited": [{"name": "李"}],
    ...               "affected_area": ["511102"], "attachments": []}, {"511102": "市中区"})
    >>> m["mode_label"], m["area_label"], m["absent"]
    ('应急', '市中区', ['李'])
    """
    m = dict(minutes)
    names = area_names or {}
    m["mode_label"] = MODE_LABELS.get(str(m.get("mode")), str(m.get("mode") or "—"))
    m["emergency_label"] = EMERGENCY_LABELS.get(str(m.get("emergency")), m.get("emergency") or "—")
    m["area_label"] = "、".join(names.get(c, c) for c in m.get("affected_area") or [])
    people = []
    for p in m.get("participants") or []:
        people.append({**p, "role_label": _role_label(p.get("role"))})
    m["participants"] = people
    present = {p.get("participant") for p in people} | {p.get("name") for p in people}
    m["absent"] = [
        str(i.get("name") or i.get("user"))
        for i in m.get("invited") or []
        if isinstance(i, Mapping) and not ({i.get("user"), i.get("name")} & present)
    ]
    m["attachments"] = [
        {**a, "kind_label": ATTACHMENT_LABELS.get(a.get("kind", ""), a.get("kind", ""))}
        for a in m.get("attachments") or []
    ]
    m.setdefault("amendments", [])
    return m


def render_html(minutes: Mapping[str, Any], area_names: Mapping[str, str] | None = None) -> str:
    """The minutes as a standalone zh-CN HTML page (no outside assets)."""
    text = (resources.files("dispatch_center.templates") / "minutes.html").read_text("utf-8")
    return _env().from_string(text).render(m=prepared(minutes, area_names))


@lru_cache(maxsize=4)
def cjk_font(configured: str | None = None) -> tuple[str, bool]:
    """Register and name the font for Chinese text; True when it is embedded (TrueType).

    Examples
    --------
    >>> name, embedded = cjk_font()
    >>> name in ("MinutesCJK", "STSong-Light")
    True
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    tried: list[tuple[str, int]] = [(configured, 0)] if configured else []
    tried += list(CJK_TTF_CANDIDATES)
    for path, index in tried:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont("MinutesCJK", path, subfontIndex=index))
            return "MinutesCJK", True
        except Exception as exc:  # an OTF/CFF or broken file: try the next
            log.warning("PDF font %s not usable: %s", path, exc)
    log.warning("no TrueType CJK font found; PDF minutes use %s (not embedded)", CID_FALLBACK)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK, False


def render_pdf(
    minutes: Mapping[str, Any],
    area_names: Mapping[str, str] | None = None,
    font_path: str | None = None,
) -> bytes:
    """The minutes as an A4 PDF with the Chinese text in a CJK font."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, _ = cjk_font(font_path)
    m = prepared(minutes, area_names)
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1)
    sub = ParagraphStyle("sub", parent=base, fontSize=9, textColor=colors.grey, alignment=1)
    head = ParagraphStyle(
        "head", parent=base, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4
    )
    cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=12)

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text if text not in (None, "") else "—")), style)

    def table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
        t = Table([[p(c, cell) for c in r] for r in rows], colWidths=[w * mm for w in widths])
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.lightgrey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story: list[Any] = [
        p("视频督办会议纪要", title),
        p(
            f"会议编号 #{m.get('session_id')} · "
            f"{_when(m.get('started_at'))} — {_when(m.get('closed_at'))}",
            sub,
        ),
        Spacer(1, 6 * mm),
        p("一、会议主题", head),
        p(m.get("topic")),
        table(
            [
                ["调度模式", m["mode_label"], "突发事件", m["emergency_label"]],
                ["影响区域", m["area_label"] or "—", "召集人", m.get("created_by")],
            ],
            [25, 60, 25, 60],
        ),
        p("二、督办工单", head),
    ]
    orders = m.get("orders") or []
    story.append(
        table(
            [["工单号", "诉求", "地点", "承办单位", "状态"]]
            + [
                [o["number"], o["description"], o.get("address"), o.get("unit"), o["status_label"]]
                for o in orders
            ],
            [37, 57, 36, 24, 16],
        )
        if orders
        else p("无关联工单。")
    )
    story.append(p("三、参会人员", head))
    story.append(
        table(
            [["参会人", "身份", "加入", "离开"]]
            + [
                [x["name"], x["role_label"], _when(i["joined_at"]), _when(i["left_at"])]
                for x in m["participants"]
                for i in x.get("intervals") or []
            ],
            [50, 40, 40, 40],
        )
    )
    if m["absent"]:
        story.append(p("受邀未参会：" + "、".join(m["absent"])))
    story.append(p("四、领导指示与会议决定", head))
    instructions = m.get("instructions") or []
    story.append(
        table(
            [["序号", "内容", "责任人/单位", "完成时限", "落实方式"]]
            + [
                [
                    n,
                    i["text"],
                    i["owner"],
                    _when(i.get("due")),
                    f"新工单 {i['order']['number']}"
                    if i.get("order")
                    else (f"督办任务 #{i['task']['id']}" if i.get("task") else "—"),
                ]
                for n, i in enumerate(instructions, 1)
            ],
            [12, 70, 32, 28, 28],
        )
        if instructions
        else p("无。")
    )
    story.append(p("五、附件", head))
    for a in m["attachments"] or [{"kind_label": "无", "title": "", "url": ""}]:
        story.append(p(f"{a['kind_label']}：{a.get('title', '')} {a.get('url', '')}".strip()))
    if m["amendments"]:
        story.append(p("六、更正与补充", head))
        for a in m["amendments"]:
            story.append(p(f"{_when(a['at'])} {a['author']}：{a['text']}"))
    story += [
        Spacer(1, 8 * mm),
        p(
            "本纪要于会议结束时生成，会议记录不可修改，更正以补充形式附后。乐山市12345心连心服务中心",
            sub,
        ),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"视频督办会议纪要 {m.get('topic', '')}",
        author="12345心连心服务中心",
    )
    doc.build(story)
    return buf.getvalue()
