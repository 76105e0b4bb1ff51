"""Chinese fonts of the report documents: for matplotlib's charts and reportlab's PDF.

Charts use Noto Sans CJK SC (Debian ``fonts-noto-cjk``) or WenQuanYi Zen Hei; the PDF
embeds WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``) or falls back to the STSong-Light
CID font every PDF reader has.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"
PDF_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    *PDF_FONT_FILES,
)


def register_cjk_fonts() -> None:
    """Make sure matplotlib knows a Chinese font.

    matplotlib caches its font list on first use and does not notice fonts installed
    afterwards (fonts-noto-cjk added after the first start): its charts then fall back to
    DejaVu Sans and draw every Chinese character as a box. Adding the files directly
    costs nothing when they are already known.
    """
    # matplotlib is heavy: imported by the process that draws, on first use.
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
