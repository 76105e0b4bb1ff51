"""Jinja2 templates of the reports (HTML; the PDF is drawn from the same data)."""
