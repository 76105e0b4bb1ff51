"""A bounded property-based fuzz of the whole OpenAPI document (issue 15): zero 5xx.

Schemathesis reads the app's own OpenAPI document and sends every operation of it, on a
live center of its own (real PostgreSQL, demo data, no simulator), a bounded number of
generated requests: first ones that fit the document, then ones that break it; as an
admin and as a county handler. Any 5xx fails, and so does a status, content type or body
the document does not declare: a client meets a declared 4xx naming the field, never a
crash.

Bounded and repeatable: Hypothesis's ``derandomize`` and :data:`EXAMPLES` per operation,
mode and caller keep the run near a minute and a half and the same requests every run.
``DISPATCH_FUZZ_EXAMPLES=50`` makes a longer hunt on a workstation. One pytest test per
operation through schemathesis's Python API (``as_strategy``): its pytest plugin does not
run under pytest 9.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch_center.settings import Settings
from tests.api.conftest import sign_in_as_new_users, start_live

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("DISPATCH_FUZZ_EXAMPLES", "10"))
SEED = 15

#: Operations not fuzzed, and why. Each is an operation on the fuzzer's own credentials:
#: fuzzing it revokes the token the rest of the run signs its requests with.
NOT_FUZZED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/logout"): "revokes the fuzzer's own token",
    ("POST", "/api/v1/auth/password"): "a right guess would change the fuzzer's password",
}

#: The callers: an admin reaches every operation's body; a county handler meets the
#: scope checks on the way.
CALLERS = {"admin": ("admin", None), "county": ("handler", "511102")}


@pytest.fixture(scope="module")
def fuzz_center(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """A center of its own (the fuzz writes rows) and one signed-in token per caller."""
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("fuzz"),
        simulator=False,
        demo_story=False,
        # Configured, so the webhook checks signatures instead of answering 503.
        video_webhook_secret="fuzz-video-webhook-secret-0123456789",
    )
    port = free_port()
    server, thread, _app = start_live(settings, port)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as c:
        _admin, tokens = sign_in_as_new_users(c, CALLERS, "fuzz")
    yield {"base": base, "tokens": tokens}
    server.should_exit = True
    thread.join(15)


def _schema() -> Any:
    # The document is the app's own, read without a database (as tests/api/test_openapi.py
    # does) so that each operation is a test of its own, named by method and path.
    from dispatch_center.app import create_app

    document = create_app(Settings(demo=True)).openapi()
    config = schemathesis.Config.from_dict({"seed": SEED})
    return schemathesis.openapi.from_dict(document, config=config)


def _operations() -> list[Any]:
    out = []
    for result in _schema().get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in NOT_FUZZED:
            out.append(operation)
    return out


OPERATIONS = _operations()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def test_every_operation_is_fuzzed() -> None:
    """The document was read and only :data:`NOT_FUZZED` is left out."""
    assert len(OPERATIONS) > 100
    labels = {(op.method.upper(), op.path) for op in OPERATIONS}
    assert {("POST", "/api/v1/orders"), ("GET", "/open311/v2/requests/{name}")} <= labels
    assert not labels & set(NOT_FUZZED)


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_operation_answers_5xx(operation: Any, caller: str, fuzz_center: dict[str, Any]) -> None:
    """Requests that fit the document, then requests that break it, as ``caller``."""
    headers = {"Authorization": f"Bearer {fuzz_center['tokens'][caller]}"}
    base_url = fuzz_center["base"]

    def run(mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @BOUNDED
        def fuzz(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS, headers=headers)

        fuzz()

    run(GenerationMode.POSITIVE)
    # Unsatisfiable: nothing in the operation can be made invalid (no parameters, or only
    # free strings and no body), so the positive run above was the whole test.
    with contextlib.suppress(Unsatisfiable):
        run(GenerationMode.NEGATIVE)
