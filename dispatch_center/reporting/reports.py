"""Reports (日报、周报、月报、季报、年报、专报): data, charts, HTML, PDF, XLSX, CSV.

Reports are kept (a row each, files in DISPATCH_DATA_DIR/reports) and listed.

Charts are drawn by matplotlib with the Noto Sans CJK SC font (SVG inline in the HTML, PNG
in the PDF); the PDF embeds WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``) or falls back
to the STSong-Light CID font every PDF reader has.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import multiprocessing as mp
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.core.analysis.periods import KIND_LABELS_ZH, Period, PeriodKind, period_for
from dispatch_center.reporting import analysis
from dispatch_center.store import analysis as store

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
CJK_FONT = "Noto Sans CJK SC"
PDF_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
SCHEDULE_HOUR = 8  # the daily report is made at 08:00 Asia/Shanghai


# --------------------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _register_cjk_fonts()
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "WenQuanYi Zen Hei", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"  # text as outlines: no font needed in the browser
    return plt


CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    *PDF_FONT_FILES,
)


def _register_cjk_fonts() -> None:
    """Make sure matplotlib knows a Chinese font.

    matplotlib caches its font list on first use and does not notice fonts installed
    afterwards (fonts-noto-cjk added after the first start): its charts then fall back to
    DejaVu Sans and draw every Chinese character as a box. Adding the files directly
    costs nothing when they are already known.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FONT in known or "WenQuanYi Zen Hei" in known:
        return
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
    known = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FONT not in known and "WenQuanYi Zen Hei" not in known:
        log.warning("no Chinese font found (install fonts-noto-cjk): report charts lose Chinese")


def _save(fig: Any, fmt: str) -> bytes:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def chart_figures(
    d: Mapping[str, Any], counties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The report's charts as matplotlib figures: trend, channels, categories, map, hotspots."""
    plt = _plt()
    figs: dict[str, Any] = {}

    fig, ax = plt.subplots(figsize=(8, 2.8))
    xs = [t["bucket"] for t in d["trend"]]
    ax.plot(range(len(xs)), [t["received"] for t in d["trend"]], marker="o", ms=3, color="#b22")
    step = max(1, len(xs) // 12)
    ax.set_xticks(
        range(0, len(xs), step), [x[5:] if len(x) == 10 else x for x in xs[::step]], fontsize=8
    )
    ax.set_title("受理量趋势")
    ax.set_ylabel("件")
    ax.grid(alpha=0.3)
    figs["trend"] = fig

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ch = d["channels"] or [{"label": "无数据", "received": 1}]
    ax.pie(
        [c["received"] for c in ch],
        labels=[c["label"] for c in ch],
        autopct="%1.1f%%",
        textprops={"fontsize": 8},
        startangle=90,
    )
    ax.set_title("渠道构成")
    figs["channels"] = fig

    fig, ax = plt.subplots(figsize=(7, 3.4))
    cats = list(reversed(d["categories"]))
    ax.barh([c["name"] for c in cats], [c["received"] for c in cats], color="#c44")
    ax.set_title("诉求类别前十")
    ax.tick_params(labelsize=8)
    figs["categories"] = fig

    per_county = {c["code"]: c for c in d["counties"]}
    fig, ax = plt.subplots(figsize=(6, 5.5))
    top = max((c["received"] for c in d["counties"]), default=0) or 1
    cmap = plt.get_cmap("Reds")
    for code, geom in (counties or {}).items():
        n = per_county.get(code, {}).get("received", 0)
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.fill(x, y, color=cmap(0.15 + 0.8 * n / top), edgecolor="#555", linewidth=0.6)
        c = geom.representative_point()
        name = per_county.get(code, {}).get("name", code)
        ax.annotate(f"{name}\n{n}", (c.x, c.y), ha="center", fontsize=7)
    ax.set_title("区县受理量分布")
    ax.set_aspect("equal")
    ax.axis("off")
    figs["map"] = fig

    fig, ax = plt.subplots(figsize=(6, 5.5))
    for geom in (counties or {}).values():
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.plot(x, y, color="#999", linewidth=0.5)
    hs = d["hotspots"]
    if hs:
        big = max(h["count"] for h in hs)
        ax.scatter(
            [h["lon"] for h in hs],
            [h["lat"] for h in hs],
            s=[40 + 400 * h["count"] / big for h in hs],
            color="#d22",
            alpha=0.6,
        )
        for i, h in enumerate(hs, 1):
            ax.annotate(
                str(i), (h["lon"], h["lat"]), ha="center", va="center", fontsize=7, color="white"
            )
    ax.set_title("诉求热点（1公里网格）")
    ax.set_aspect("equal")
    ax.axis("off")
    figs["hotspots"] = fig
    return figs


def charts_svg(d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Charts as inline SVG strings."""
    out = {}
    for name, fig in chart_figures(d, counties).items():
        svg = _save(fig, "svg").decode("utf-8")
        out[name] = svg[svg.index("<svg") :]
    return out


# --------------------------------------------------------------------------- documents


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.2f}%"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1f}%"


def render_html(d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> str:
    """The report as one self-contained HTML page (charts inline as SVG)."""
    import jinja2

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
        generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )


@lru_cache(maxsize=1)
def pdf_font() -> str:
    """Register a CJK font with reportlab; return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in PDF_FONT_FILES:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
                return "CJK"
            except Exception as exc:  # a broken font file: try the next one
                log.warning("font %s not usable: %s", path, exc)
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def render_pdf(d: Mapping[str, Any], counties: Mapping[str, Any] | None = None) -> bytes:
    """The report as PDF (A4): figures, charts as PNG, lists as tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
        png = _save(fig, "png")
        img = Image(io.BytesIO(png))
        ratio = img.imageHeight / img.imageWidth
        img.drawWidth, img.drawHeight = width_cm * cm, width_cm * cm * ratio
        return img

    figs = chart_figures(d, counties)
    r, v = d["rates"], d["volume"]
    story: list[Any] = [
        Paragraph(d["title"], h1),
        Paragraph(
            f"统计周期：{d['period']['start']} 至 {d['period']['end']}（不含）"
            f"　数据截至：{d['as_of'][:16]}",
            body,
        ),
        Paragraph("一、总体情况", h2),
        Paragraph(
            f"本期受理诉求 {v['received']} 件，环比 {_pct(v['vs_previous']['pct'])}，"
            f"同比 {_pct(v['vs_last_year']['pct'])}。"
            f"响应率 {_rate(r['response_rate'])}，办结率 {_rate(r['resolution_rate'])}，"
            f"按时办结率 {_rate(r['on_time_rate'])}，满意率 {_rate(r['satisfaction_rate'])}，"
            f"退单率 {_rate(r['return_rate'])}，重办率 {_rate(r['reopen_rate'])}。",
            body,
        ),
        Paragraph("二、受理趋势", h2),
        image(figs["trend"], 16),
        Paragraph("三、渠道分布与诉求类别", h2),
        image(figs["channels"], 9),
        image(figs["categories"], 14),
        Paragraph(
            "热词：" + ("、".join(f"{t['term']}（{t['count']}）" for t in d["hot_words"]) or "无"),
            body,
        ),
        Paragraph("四、区域分布", h2),
        image(figs["map"], 11),
        table(
            [["区县", "受理量", "按时办结率", "满意率"]]
            + [
                [c["name"], c["received"], _rate(c["on_time_rate"]), _rate(c["satisfaction_rate"])]
                for c in d["counties"]
            ]
        ),
        Paragraph("五、诉求热点", h2),
        image(figs["hotspots"], 11),
        Paragraph("六、超期工单", h2),
        Paragraph(
            f"当前超期未办结 {d['overdue']['open_count']} 件；"
            f"本期超时办结 {d['overdue']['late_replies']} 件。",
            body,
        ),
        table(
            [["工单号", "类别", "承办单位", "超期（小时）"]]
            + [
                [o["number"], o["category"], o["unit"], o["hours_overdue"]]
                for o in d["overdue"]["orders"][:15]
            ]
        ),
        Paragraph("七、重复反映", h2),
        Paragraph(
            f"{int(d['repeated']['rule']['metres'])} 米内、{d['repeated']['rule']['days']} 天内"
            f"同类诉求 {d['repeated']['count']} 件。",
            body,
        ),
        table(
            [["工单", "首次反映", "类别", "距离（米）"]]
            + [
                [x["order_id"], x["first_id"], x["category"], x["distance_m"]]
                for x in d["repeated"]["links"][:15]
            ]
        ),
        Paragraph("八、难点领域", h2),
        table(
            [["单位", "超期", "退单", "重办"]]
            + [[h["name"], h["overdue"], h["returned"], h["reopened"]] for h in d["hard_areas"]]
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
        "热点": [["经度", "纬度", "诉求量"]]
        + [[h["lon"], h["lat"], h["count"]] for h in d["hotspots"]],
        "超期": [["工单号", "类别", "承办单位", "区县", "办结时限", "超期小时"]]
        + [
            [o["number"], o["category"], o["unit"], o["county"], o["reply_by"], o["hours_overdue"]]
            for o in d["overdue"]["orders"]
        ],
        "重复": [["工单", "首次反映", "类别", "距离米", "间隔天"]]
        + [
            [x["order_id"], x["first_id"], x["category"], x["distance_m"], x["days_apart"]]
            for x in d["repeated"]["links"]
        ],
        "难点": [["单位", "超期", "退单", "重办"]]
        + [[h["name"], h["overdue"], h["returned"], h["reopened"]] for h in d["hard_areas"]],
    }


def render_xlsx(d: Mapping[str, Any]) -> bytes:
    """The report's data as a workbook, one sheet per section."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in _table_rows(d).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_csv(d: Mapping[str, Any]) -> bytes:
    """The report's data as one CSV: the section, then its columns (UTF-8 with BOM for Excel)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    for title, rows in _table_rows(d).items():
        for i, row in enumerate(rows):
            w.writerow([title if i else f"#{title}", *row])
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


# --------------------------------------------------------------------------- generation, keeping


def county_shapes(center: Any) -> dict[str, Any]:
    """County geometries of the center's geography (for the map charts)."""
    from geo.areas import Tier

    return {a.code: a.geometry for a in center.geography.index.areas(Tier.COUNTY)}


def reports_dir(center: Any) -> Path:
    """Where report files are kept: DISPATCH_DATA_DIR/reports."""
    return Path(center.settings.data_dir).resolve() / "reports"


async def report_for(center: Any, period: Period) -> dict[str, Any]:
    """Report data for ``period`` from the rollups, brought up to date first."""
    async with center.db.connection() as conn:
        await analysis.catch_up(conn)
        return await analysis.report_data(conn, period, center.now())


async def generate(
    center: Any, period: Period, *, trigger: str, by: str, formats: Sequence[str] = ()
) -> dict[str, Any]:
    """Make a report, keep it (row + files) and return its record with the data."""
    data = await report_for(center, period)
    async with center.db.connection() as conn:
        row = await store.save_report(
            conn,
            {
                "kind": period.kind.value,
                "period_start": period.start,
                "period_end": period.end,
                "label": period.label,
                "title": data["title"],
                "trigger": trigger,
                "generated_by": by,
                "generated_at": center.now(),
                "data": data,
            },
        )
    files = await write_files(center, row["id"], period, data, formats) if formats else {}
    return {**row, "files": files or row["files"], "data": data}


def _render_files(
    folder: Path,
    key: str,
    report_id: int,
    data: Mapping[str, Any],
    shapes: Any,
    formats: Sequence[str],
) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in formats:
        path = folder / f"{key}-{report_id}.{fmt}"
        path.write_bytes(render(fmt, data, shapes))
        out[fmt] = str(path)
    return out


_renderer: ProcessPoolExecutor | None = None


def _render_pool() -> ProcessPoolExecutor:
    # Charts and PDFs are seconds of CPU under the GIL: rendered in a process of their
    # own, the 08:00 report no longer stalls the requests this worker is serving.
    global _renderer
    if _renderer is None:
        _renderer = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
    return _renderer


def stop_renderer() -> None:
    """Stop the report-rendering process (at shutdown).

    Without this the spawned renderer outlived its worker: every server stop left a
    ~150 MB orphan behind (seen as PPID 1 processes after benchmark runs).
    """
    global _renderer
    pool, _renderer = _renderer, None
    if pool is None:
        return
    for proc in list(getattr(pool, "_processes", {}).values()):
        if proc.is_alive():  # a render in progress is abandoned; the next start redoes it
            proc.terminate()
    # The pool's own manager thread reaps the workers; waiting for it (rather than joining
    # them here too, racing it for the same exit status) leaves none behind.
    pool.shutdown(wait=True, cancel_futures=True)


async def write_files(
    center: Any, report_id: int, period: Period, data: Mapping[str, Any], formats: Sequence[str]
) -> dict[str, str]:
    """Render and keep the files of a report; returns format → path."""
    folder = reports_dir(center) / period.kind.value
    shapes = county_shapes(center)
    loop = asyncio.get_running_loop()
    try:
        files = await loop.run_in_executor(
            _render_pool(),
            _render_files,
            folder,
            period.key,
            report_id,
            dict(data),
            shapes,
            list(formats),
        )
    except BrokenProcessPool:  # the renderer died: start a new one next time, do this here
        global _renderer
        _renderer = None
        files = await asyncio.to_thread(
            _render_files, folder, period.key, report_id, data, shapes, formats
        )
    async with center.db.connection() as conn:
        await store.set_report_files(conn, report_id, files)
    return files


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` containing ``day``."""
    return period_for(PeriodKind(kind), day)


def title_of(kind: str, period: Period) -> str:
    """A report's title."""
    return f"乐山12345心连心服务热线{KIND_LABELS_ZH[PeriodKind(kind)]}（{period.label}）"


class DailyReportScheduler(BackgroundLoop):
    """Makes yesterday's daily report at 08:00 Asia/Shanghai, once per day (kept with files).

    Several workers may run it: the report is made only when none was made by the
    schedule for that day yet, checked under an advisory lock.
    """

    LOCK_KEY = 1_234_512_346

    name = "daily report schedule"
    retry_after = 3600.0  # a failed report is tried again within the hour

    def __init__(self, center: Any) -> None:
        super().__init__()
        self.center = center

    def seconds_until_next(self, now: datetime) -> float:
        """Seconds from ``now`` to the next 08:00 local time."""
        at = datetime.combine(now.date(), time(SCHEDULE_HOUR), now.tzinfo)
        if at <= now:
            at += timedelta(days=1)
        return (at - now).total_seconds()

    async def run_once(self) -> dict[str, Any] | None:
        """Make yesterday's daily report unless the schedule already made it."""
        now = self.center.now()
        if now.hour < SCHEDULE_HOUR:
            return None
        period = period_of("daily", now.date() - timedelta(days=1))
        async with self.center.db.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.LOCK_KEY,))
            if await store.has_report(conn, "daily", period.start, "schedule"):
                return None
            rec = await generate(
                self.center, period, trigger="schedule", by="schedule", formats=FORMATS
            )
        log.info("daily report %s made on schedule", period.key)
        return rec

    async def step(self) -> float:
        """Make the report if due (also catches up after a restart past 08:00)."""
        await self.run_once()
        return min(self.seconds_until_next(self.center.now()) + 1, 3600)
