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


PIE_TOP = 5


def top_with_rest(items: list[Mapping[str, Any]], n: int = PIE_TOP) -> list[dict[str, Any]]:
    """The ``n`` largest slices and one 其他 for the rest (a pie of twenty slivers says
    nothing).

    Examples
    --------
    >>> rows = [{"label": c, "received": n} for c, n in zip("abcdefg", [9, 8, 7, 6, 5, 2, 1])]
    >>> [(r["label"], r["received"]) for r in top_with_rest(rows, 5)]
    [('a', 9), ('b', 8), ('c', 7), ('d', 6), ('e', 5), ('其他', 3)]
    """
    ordered = sorted(items, key=lambda c: -int(c["received"]))
    head = [dict(c) for c in ordered[:n]]
    rest = sum(int(c["received"]) for c in ordered[n:])
    return head + ([{"label": "其他", "received": rest}] if rest else [])


def _whole_numbers(axis: Any) -> None:
    # Counts of requests are whole: no 0.5 件 on an axis.
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


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
    ax.set_ylim(bottom=0)
    _whole_numbers(ax.yaxis)
    ax.grid(alpha=0.3)
    figs["trend"] = fig

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ch = top_with_rest(d["channels"]) or [{"label": "无数据", "received": 1}]
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
    ax.set_title(f"诉求类别前{len(cats)}位" if cats else "诉求类别")
    ax.tick_params(labelsize=8)
    _whole_numbers(ax.xaxis)
    figs["categories"] = fig

    per_county = {c["code"]: c for c in d["counties"]}
    names = d.get("county_names") or {}
    fig, ax = plt.subplots(figsize=(6, 5.5))
    top = max((c["received"] for c in d["counties"]), default=0) or 1
    cmap = plt.get_cmap("Reds")
    for code, geom in (counties or {}).items():
        n = per_county.get(code, {}).get("received", 0)
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.fill(x, y, color=cmap(0.15 + 0.8 * n / top), edgecolor="#555", linewidth=0.6)
        c = geom.representative_point()
        name = per_county.get(code, {}).get("name") or names.get(code, code)
        ax.annotate(f"{name}\n{n}", (c.x, c.y), ha="center", fontsize=7)
    ax.set_title("区县受理量分布")
    ax.set_aspect("equal")
    ax.axis("off")
    figs["map"] = fig

    fig, ax = plt.subplots(figsize=(6, 5.5))
    for code, geom in (counties or {}).items():
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.plot(x, y, color="#999", linewidth=0.5)
        c = geom.representative_point()
        ax.annotate(names.get(code, ""), (c.x, c.y), ha="center", fontsize=7, color="#555")
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
    ax.set_title("诉求热点（约1公里网格，编号见下表）")
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
