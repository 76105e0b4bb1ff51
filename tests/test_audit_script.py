"""scripts/audit_deps.py judges pip-audit's report as CI should (issue 15)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit() -> Any:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module
    spec.loader.exec_module(module)
    return module


REPORT = {
    "dependencies": [
        {"name": "fastapi", "version": "0.1", "vulns": []},
        {
            "name": "jinja2",
            "version": "2.0",
            "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.6"], "aliases": []}],
        },
        {"name": "offline-pkg", "version": "1.0", "skip_reason": "Dependency not found"},
    ]
}


def test_judge_counts_found_unchecked_and_checked(audit: Any) -> None:
    found, unchecked, checked = audit.judge(REPORT)
    assert found == ["jinja2 2.0: GHSA-xxxx (fixed in 3.1.6)"]
    assert unchecked == ["offline-pkg 1.0"]
    assert checked == 2


@pytest.mark.parametrize(
    ("report", "required", "status", "says"),
    [
        (REPORT, False, 1, "VULNERABLE jinja2"),
        ({"dependencies": [REPORT["dependencies"][2]]}, False, 0, "AUDIT INCOMPLETE"),
        ({"dependencies": [REPORT["dependencies"][2]]}, True, 1, "0 of 1 packages checked"),
        ({"dependencies": [REPORT["dependencies"][0]]}, True, 0, "1 of 1 packages checked"),
        (None, False, 0, "DID NOT RUN"),
        (None, True, 1, "DID NOT RUN"),
    ],
)
def test_main_fails_on_vulnerabilities_and_on_an_incomplete_audit_only_when_required(
    audit: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    report: Any,
    required: bool,
    status: int,
    says: str,
) -> None:
    # The outside system (the vulnerability service behind pip-audit) is what is faked.
    monkeypatch.setattr(audit, "run_audit", lambda service: (report, "service unreachable"))
    monkeypatch.setenv("DISPATCH_AUDIT_REQUIRED", "1" if required else "0")
    assert audit.main() == status
    assert says in capsys.readouterr().out
