"""The documents of a report: HTML (charts inline as SVG), PDF (A4, charts as PNG), and
the data as XLSX (a sheet per section) or CSV, where no text cell can start a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from dispatch_center.reporting.charts import chart_figures, charts_svg, figure_bytes
from dispatch_center.reporting.fonts import pdf_font

FORMATS = ("html", "pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV
# injection"): =HYPERLINK to leak a sheet, or DDE to run a program on the reader's machine.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet cell may hold it: text that would start a formula gets a
    leading ``'`` and is shown as the text it is; numbers and other text are left alone.

    Examples
    --------
    >>> cell("=1+1"), cell("@SUM(A1)"), cell("-2+3"), cell(-12.5), cell("市中区")
    ("'=1+1", "'@SUM(A1)", "'-2+3", -12.5, '市中区')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.2f}%"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1f}%"


def human_time(iso: str | None) -> str:
    """An ISO 8601 time as a report writes it, to the minute in its own offset.

    Examples
    --------
    >>> human_time("2026-12-06T02:48:31.5+08:00")
    '2026年12月6日 02:48'
    >>> human_time(None)
    '—'
    """
    if not iso:
        return "—"
    t = datetime.fromisoformat(iso)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def special_lines(d: Mapping[str, Any]) -> list[str]:
    """What a special report (专报) says under its title: the incident it cites and the
    area it looks at.

    Examples
    --------
    >>> special_lines({"special": {"incident": {"title": "沙湾暴雨"}, "area_names": ["沙湾区"],
    ...                            "focus": {"received": 3, "overdue": []}}})
    ['关联事件：沙湾暴雨', '关注区域：沙湾区，本期受理 3 件，超期未办结 0 件。']
    """
    special = d.get("special") or {}
    out = []
    inc = special.get("incident")
    if inc:
        out.append(
            f"关联事件：{inc.get('title')}" + (f"。{inc['summary']}" if inc.get("summary") else "")
        )
    if special.get("area_names"):
        focus = special.get("focus") or {}
        names = "、".join(special["area_names"])
        late = len(focus.get("overdue") or [])
        out.append(
            f"关注区域：{names}，本期受理 {focus.get('received', 0)} 件，超期未办结 {late} 件。"
        )
    return out


def _hours(v: float) -> str:
    # Whole hours read as a report reads them; under a day also the minutes' tenth.
    return f"{v:.1f}" if v < 24 else f"{round(v)}"


def render_html(d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> str:
    """The report as one self-contained HTML page (charts inline as SVG)."""
    text = (resources.files("dispatch_center") / "templates" / "reports" / "report.html").read_text(
        "utf-8"
    )
    env = jinja2.Environment(autoescape=True)
    last = (date.fromisoformat(d["period"]["end"]) - timedelta(days=1)).isoformat()
    return env.from_string(text).render(
        d={**d, "period_last": last},
        charts=charts_svg(d, counties),
        rate=_rate,
        pct=_pct,
        when=human_time,
        special=special_lines(d),
        generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )


def render_pdf(d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> bytes:
    """The report as PDF (A4): figures, charts as PNG, lists as tables."""
    # Heavy: imported on first use, in the process that renders (the render pool's).
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = pdf_font()
    h1 = ParagraphStyle(
        "h1", fontName=font, fontSize=16, leading=22, spaceAfter=8, textColor=colors.darkred
    )
    h2 = ParagraphStyle(
        "h2", fontName=font, fontSize=12, leading=18, spaceBefore=8, textColor=colors.darkred
    )
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=13)

    def table(rows: Sequence[Sequence[Any]]) -> Table:
        t = Table([[str(c) for c in r] for r in rows], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        return t

    def image(fig: Any, width_cm: float) -> Image:
        png = figure_bytes(fig, "png")
        img = Image(io.BytesIO(png))
        ratio = img.imageHeight / img.imageWidth
        img.drawWidth, img.drawHeight = width_cm * cm, width_cm * cm * ratio
        return img

    figs = chart_figures(d, counties)
    r, v = d["rates"], d["volume"]

    def section(title: str, *content: Any) -> Any:
        # A heading never ends a page alone: it goes with what follows it (at least
        # the first block of it when the section is longer than a page).
        first, rest = (content[0], content[1:]) if content else (Spacer(1, 1), ())
        return [KeepTogether([Paragraph(title, h2), first]), *rest]

    cited = [Paragraph(line, body) for line in special_lines(d)]
    hot = d["hotspots"]
    story: list[Any] = [
        Paragraph(d["title"], h1),
        Paragraph(
            f"统计周期：{d['label']}　数据截至：{human_time(d['as_of'])}",
            body,
        ),
        *cited,
        *section(
            "一、总体情况",
            Paragraph(
                f"本期受理诉求 {v['received']} 件，环比 {_pct(v['vs_previous']['pct'])}，"
                f"同比 {_pct(v['vs_last_year']['pct'])}。"
                f"响应率 {_rate(r['response_rate'])}，办结率 {_rate(r['resolution_rate'])}，"
                f"按时办结率 {_rate(r['on_time_rate'])}，满意率 {_rate(r['satisfaction_rate'])}，"
                f"退单率 {_rate(r['return_rate'])}，重办率 {_rate(r['reopen_rate'])}。"
                + _evaluation_sources(d.get("evaluations")),
                body,
            ),
        ),
        *section("二、受理趋势", image(figs["trend"], 16)),
        *section(
            "三、渠道分布与诉求类别",
            image(figs["channels"], 9),
            image(figs["categories"], 14),
            Paragraph(
                "热词："
                + ("、".join(f"{t['term']}（{t['count']}）" for t in d["hot_words"]) or "无"),
                body,
            ),
        ),
        *section(
            "四、区域分布",
            image(figs["map"], 11),
            table(
                [["区县", "受理量", "按时办结率", "满意率"]]
                + [
                    [
                        c["name"],
                        c["received"],
                        _rate(c["on_time_rate"]),
                        _rate(c["satisfaction_rate"]),
                    ]
                    for c in d["counties"]
                ]
            ),
        ),
        *section(
            "五、诉求热点",
            image(figs["hotspots"], 11),
            table(
                [["序号", "乡镇/街道", "区县", "诉求量"]]
                + [
                    [i, h.get("place", ""), h.get("county", ""), h["count"]]
                    for i, h in enumerate(hot, 1)
                ]
            )
            if hot
            else Paragraph("本期无集中热点。", body),
        ),
        *section(
            "六、超期工单",
            Paragraph(
                f"当前超期未办结 {d['overdue']['open_count']} 件；"
                f"本期超时办结 {d['overdue']['late_replies']} 件。",
                body,
            ),
            table(
                [["工单号", "类别", "承办单位", "超期（小时）"]]
                + [
                    [o["number"], o["category"], o["unit"], _hours(o["hours_overdue"])]
                    for o in d["overdue"]["orders"][:15]
                ]
            ),
        ),
        *section(
            "七、重复反映",
            Paragraph(
                f"{int(d['repeated']['rule']['metres'])} 米内、{d['repeated']['rule']['days']} 天内"
                f"同类诉求 {d['repeated']['count']} 件。",
                body,
            ),
            table(
                [["工单号", "首次反映工单", "类别", "相距（米）"]]
                + [
                    [
                        x.get("number", x["order_id"]),
                        x.get("first_number", x["first_id"]),
                        x["category"],
                        round(x["distance_m"]),
                    ]
                    for x in d["repeated"]["links"][:15]
                ]
            ),
        ),
        *section(
            "八、难点领域",
            table(
                [["单位", "超期", "退单", "重办"]]
                + [[h["name"], h["overdue"], h["returned"], h["reopened"]] for h in d["hard_areas"]]
            ),
        ),
        Spacer(1, 12),
        Paragraph("乐山市心连心服务中心", body),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=d["title"],
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
    ).build(story)
    return buf.getvalue()


def _table_rows(d: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    v, r = d["volume"], d["rates"]
    return {
        "概况": [
            ["指标", "数值"],
            ["受理量", v["received"]],
            ["环比%", v["vs_previous"]["pct"]],
            ["同比%", v["vs_last_year"]["pct"]],
        ]
        + [[k, val] for k, val in r.items()],
        "趋势": [["时间", "受理量"]] + [[t["bucket"], t["received"]] for t in d["trend"]],
        "渠道": [["渠道", "受理量", "占比"]]
        + [[c["label"], c["received"], c["share"]] for c in d["channels"]],
        "类别": [["类别", "代码", "本期", "上期"]]
        + [[c["name"], c["code"], c["received"], c["previous"]] for c in d["categories"]],
        "区县": [
            [
                "区县",
                "代码",
                "受理量",
                "响应率",
                "办结率",
                "按时办结率",
                "满意率",
                "退单率",
                "重办率",
            ]
        ]
        + [
            [
                c["name"],
                c["code"],
                c["received"],
                c["response_rate"],
                c["resolution_rate"],
                c["on_time_rate"],
                c["satisfaction_rate"],
                c["return_rate"],
                c["reopen_rate"],
            ]
            for c in d["counties"]
        ],
        "热点": [["乡镇/街道", "区县", "诉求量", "经度", "纬度"]]
        + [
            [h.get("place", ""), h.get("county", ""), h["count"], h["lon"], h["lat"]]
            for h in d["hotspots"]
        ],
        "超期": [["工单号", "类别", "承办单位", "区县", "办结时限", "超期小时"]]
        + [
            [o["number"], o["category"], o["unit"], o["county"], o["reply_by"], o["hours_overdue"]]
            for o in d["overdue"]["orders"]
        ],
        "重复": [["工单号", "首次反映工单", "类别", "相距米", "间隔天"]]
        + [
            [
                x.get("number", x["order_id"]),
                x.get("first_number", x["first_id"]),
                x["category"],
                round(x["distance_m"]),
                x["days_apart"],
            ]
            for x in d["repeated"]["links"]
        ],
        "难点": [["单位", "超期", "退单", "重办"]]
        + [[h["name"], h["overdue"], h["returned"], h["reopened"]] for h in d["hard_areas"]],
    }


def render_xlsx(d: Mapping[str, Any]) -> bytes:
    """The report's data as a workbook, one sheet per section."""
    # Heavy: imported on first use, in the process that renders (the render pool's).
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in _table_rows(d).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([cell(v) for v in row])
        # The header row stays in view while the reader scrolls; columns wide enough
        # for Chinese text.
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(40, 4 + 2 * width)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_csv(d: Mapping[str, Any]) -> bytes:
    """The report's data as one CSV: the section, then its columns (UTF-8 with BOM for Excel)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    for title, rows in _table_rows(d).items():
        for i, row in enumerate(rows):
            w.writerow([title if i else f"#{title}", *(cell(v) for v in row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def render(fmt: str, d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> bytes:
    """Render one document format."""
    if fmt == "html":
        return render_html(d, counties).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(d, counties)
    if fmt == "xlsx":
        return render_xlsx(d)
    if fmt == "csv":
        return render_csv(d)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def render_files(
    folder: Path,
    key: str,
    report_id: int,
    data: Mapping[str, Any],
    shapes: Any,
    formats: Sequence[str],
) -> dict[str, str]:
    """Render ``formats`` of a report into ``folder`` (``<key>-<id>.<fmt>``); format → path.

    Runs in the render process (in a thread if that died): it needs only its arguments.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in formats:
        path = folder / f"{key}-{report_id}.{fmt}"
        path.write_bytes(render(fmt, data, shapes))
        out[fmt] = str(path)
    return out


def _evaluation_sources(e: dict[str, int] | None) -> str:
    """The sentence on where evaluations came from (reports kept before it: none).

    Examples
    --------
    >>> _evaluation_sources({"sms": 3, "phone": 2, "none": 1})
    '回访评价来自短信 3 件、电话 2 件，未评价 1 件。'
    >>> _evaluation_sources(None)
    ''
    """
    if not e:
        return ""
    return f"回访评价来自短信 {e['sms']} 件、电话 {e['phone']} 件，未评价 {e['none']} 件。"
