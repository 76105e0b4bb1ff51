"""Server-rendered templates (minutes of supervision sessions, the supervision console)."""
