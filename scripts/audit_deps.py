"""Dependency audit of the installed environment (issue 15): pip-audit, judged for CI.

    .venv/bin/python scripts/audit_deps.py

Exit status:
- 1 when a known vulnerability is found in an installed package (the run fails);
- 0 when none is found among the packages the service could check;
- when the service could not check some or all packages (unreachable, or it does not know
  the version) the script says so in a banner that names how many went unchecked, and
  exits 0: a closed network must not block every change. Set
  ``DISPATCH_AUDIT_REQUIRED=1`` where an audit must really run (a CI with the internet,
  a release build): then an incomplete audit fails too.

``DISPATCH_AUDIT_SERVICE`` picks pip-audit's service (``pypi``, the default, or ``osv``).
The project itself (installed editable) is not on any index and is left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TIMEOUT_S = 300


def run_audit(service: str) -> tuple[dict[str, Any] | None, str]:
    """pip-audit's JSON report, or ``None`` and the reason it gave none."""
    exe = Path(sys.executable).with_name("pip-audit")
    cmd = [str(exe), "--skip-editable", "-s", service, "-f", "json", "--progress-spinner", "off"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except FileNotFoundError:
        return None, f"{exe} is not installed (pip install -e '.[test]')"
    except subprocess.TimeoutExpired:
        return None, f"pip-audit did not finish in {TIMEOUT_S} s (service unreachable?)"
    try:
        return json.loads(proc.stdout), ""
    except ValueError:
        last = ((proc.stderr or proc.stdout).strip().splitlines() or ["no output"])[-1]
        return None, f"pip-audit exited {proc.returncode}: {last[:160]}"


def judge(report: dict[str, Any]) -> tuple[list[str], list[str], int]:
    """(vulnerabilities found, packages left unchecked, packages checked)."""
    found: list[str] = []
    unchecked: list[str] = []
    checked = 0
    for dep in report.get("dependencies", []):
        name = f"{dep['name']} {dep.get('version', '?')}"
        if "skip_reason" in dep:
            unchecked.append(name)
            continue
        checked += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            found.append(f"{name}: {vuln['id']} (fixed in {fixes})")
    return found, unchecked, checked


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("!" * width)
    for line in lines:
        print(f"! {line}")
    print("!" * width)


def main() -> int:
    service = os.environ.get("DISPATCH_AUDIT_SERVICE", "pypi")
    required = os.environ.get("DISPATCH_AUDIT_REQUIRED", "") not in ("", "0", "false")
    report, why = run_audit(service)
    if report is None:
        banner([f"DEPENDENCY AUDIT DID NOT RUN ({service}): {why}"])
        return 1 if required else 0
    found, unchecked, checked = judge(report)
    total = checked + len(unchecked)
    for line in found:
        print(f"VULNERABLE {line}")
    if unchecked:
        banner(
            [
                f"DEPENDENCY AUDIT INCOMPLETE ({service}): {len(unchecked)} of {total}"
                " installed packages could not be checked",
                "(the vulnerability service is unreachable from here or does not know"
                " the version).",
                "A clean result below covers only the packages that were checked.",
            ]
        )
    print(
        f"dependency audit ({service}): {checked} of {total} packages checked,"
        f" {len(found)} known vulnerabilities"
    )
    if found:
        return 1
    if unchecked and required:
        print("DISPATCH_AUDIT_REQUIRED is set: an incomplete audit fails", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
