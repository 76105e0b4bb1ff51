"""The OpenAPI document declares, for every /api/v1 operation, a response model for its
success and the error envelope for each 4xx it can answer: a new handler without them
fails here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from dispatch_center.app import create_app
from dispatch_center.settings import Settings

ENVELOPE = "#/components/schemas/ErrorBody"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(demo=True))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    doc: dict[str, Any] = app.openapi()
    return doc


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path, item in document["paths"].items():
        if path.startswith("/api/v1"):
            out += [(f"{m.upper()} {path}", item[m]) for m in METHODS if m in item]
    return out


def test_there_are_operations_to_check(document: dict[str, Any]) -> None:
    names = {name for name, _ in operations(document)}
    assert {"POST /api/v1/orders", "GET /api/v1/orders/{order_id}", "GET /api/v1/mode"} <= names
    assert len(names) > 80


def test_every_success_has_a_response_model(document: dict[str, Any]) -> None:
    missing = []
    for name, op in operations(document):
        ok = [s for s in op["responses"] if s.startswith("2")]
        if not ok:
            missing.append(f"{name}: no 2xx response")
        for status in ok:
            content = op["responses"][status].get("content") or {}
            json_schema = (content.get("application/json") or {}).get("schema")
            if json_schema is not None:
                if "$ref" not in json_schema:
                    missing.append(f"{name} {status}: JSON without a named model: {json_schema}")
            elif not any(c.get("schema") for c in content.values()):
                missing.append(f"{name} {status}: no schema for {sorted(content)}")
    assert missing == [], "\n".join(missing)


def test_every_4xx_is_the_error_envelope(document: dict[str, Any]) -> None:
    wrong = []
    for name, op in operations(document):
        for status, response in op["responses"].items():
            if status.startswith("4"):
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": ENVELOPE}:
                    wrong.append(f"{name} {status}: {schema}")
    assert wrong == [], "\n".join(wrong)


def test_input_and_sign_in_errors_are_declared(document: dict[str, Any]) -> None:
    missing = []
    for name, op in operations(document):
        statuses = set(op["responses"])
        if (op.get("parameters") or op.get("requestBody")) and "422" not in statuses:
            missing.append(f"{name}: takes input but declares no 422")
        if op.get("security") and "401" not in statuses:
            missing.append(f"{name}: needs a token but declares no 401")
    assert missing == [], "\n".join(missing)


def test_conflicts_are_declared_where_the_contract_names_them(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "409" in paths["/api/v1/orders/{order_id}/actions/{action}"]["post"]["responses"]
    for action in ("join", "leave", "instructions", "close"):
        op = paths[f"/api/v1/supervision/sessions/{{session_id}}/{action}"]["post"]
        assert "409" in op["responses"], action
    assert "429" in paths["/api/v1/feeds/{system}/events"]["post"]["responses"]


def test_models_answer_only_the_keys_the_view_has(app: FastAPI) -> None:
    # A response model's optional field the view leaves out must stay out of the JSON
    # (not come back as null): every /api/v1 route serialises with exclude_unset.
    loose = [
        f"{sorted(r.methods)} {r.path}"
        for r in app.routes
        if isinstance(r, APIRoute)
        and r.path.startswith("/api/v1")
        and r.response_model is not None
        and not r.response_model_exclude_unset
    ]
    assert loose == []
