"""Report charts draw Chinese with a CJK font, never boxes.

matplotlib falls back to DejaVu Sans with a "Glyph ... missing" warning when it does not
know a Chinese font (for instance when its font cache predates fonts-noto-cjk); the
warning is turned into a failure here.
"""

from __future__ import annotations

import warnings

from dispatch_center.reporting import charts


def test_chart_text_in_chinese_uses_a_cjk_font() -> None:
    plt = charts.pyplot()
    fig, ax = plt.subplots()
    ax.set_title("乐山市（沙湾区）受理量")
    ax.bar(["市中区", "峨眉山市"], [3, 5])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        png = charts.figure_bytes(fig, "png")
    assert png.startswith(b"\x89PNG")
    from matplotlib import font_manager

    used = font_manager.FontProperties(family=plt.rcParams["font.sans-serif"][0])
    assert "CJK" in font_manager.findfont(used, fallback_to_default=False) or "wqy" in (
        font_manager.findfont(used, fallback_to_default=False).lower()
    )
