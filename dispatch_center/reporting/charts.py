"""The report's charts, drawn by matplotlib: trend, channels, categories, the county map and
the hotspots (SVG inline in the HTML, PNG in the PDF).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from dispatch_center.reporting.fonts import CJK_FONT, register_cjk_fonts


@lru_cache(maxsize=1)
def pyplot() -> Any:
    """Matplotlib's pyplot, set up once per process: no display, Chinese fonts, text as paths."""
    # Heavy: imported by the process that draws, on first use.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    register_cjk_fonts()
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "WenQuanYi Zen Hei", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"  # text as outlines: no font needed in the browser
    return plt


def figure_bytes(fig: Any, fmt: str) -> bytes:
    """A figure as ``svg`` or ``png`` bytes; the figure is closed."""
    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def chart_figures(
    d: Mapping[str, Any], counties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The report's charts as matplotlib figures: trend, channels, categories, map, hotspots."""
    plt = pyplot()
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
        svg = figure_bytes(fig, "svg").decode("utf-8")
        out[name] = svg[svg.index("<svg") :]
    return out
