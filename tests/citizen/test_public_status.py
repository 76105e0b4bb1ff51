"""The citizen's status lookup (issue 21 §5): the order's number and the phone's last four
digits, no token; one 404 for a wrong number and wrong digits; throttled per address and
per number with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from dispatch_center.citizen.status import ADDRESS_FREE, NOT_FOUND, NUMBER_FREE
from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile

KEYS = {"number", "status", "status_label", "received_at", "reply_by", "unit"}


def clear_throttle(sms: SmsCenter) -> None:
    with psycopg.connect(sms.live.center.settings.database_url) as conn:
        conn.execute("DELETE FROM login_throttle WHERE key LIKE 'status-%%'")


@pytest.fixture
def public(sms_center: SmsCenter) -> Iterator[httpx.Client]:
    """A client with no token; the lookup's throttle starts clean and is left clean."""
    clear_throttle(sms_center)
    with httpx.Client(base_url=sms_center.live.base_url, timeout=10) as c:
        yield c
    clear_throttle(sms_center)


def test_lookup_answers_in_plain_words(sms_center: SmsCenter, public: httpx.Client) -> None:
    phone = unique_mobile()
    order = post_order(sms_center.live, order_body(phone))
    r = public.get(
        "/api/v1/public/status", params={"number": order["number"], "phone4": phone[-4:]}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= KEYS and set(body) - KEYS <= {"reply"}
    assert body["number"] == order["number"] and body["status"] == "received"
    assert body["status_label"] == "已受理，正在派单"
    assert phone not in r.text and "张" not in r.text  # nothing personal


def test_same_answer_for_no_order_and_wrong_digits(
    sms_center: SmsCenter, public: httpx.Client
) -> None:
    phone = unique_mobile()
    order = post_order(sms_center.live, order_body(phone))
    wrong = str((int(phone[-4:]) + 1) % 10000).zfill(4)
    bad_digits = public.get(
        "/api/v1/public/status", params={"number": order["number"], "phone4": wrong}
    )
    no_order = public.get(
        "/api/v1/public/status", params={"number": "LS2099010199999", "phone4": phone[-4:]}
    )
    assert bad_digits.status_code == no_order.status_code == 404
    assert bad_digits.json() == no_order.json()
    assert bad_digits.json()["error"]["message"] == NOT_FOUND
    assert (
        public.get(
            "/api/v1/public/status", params={"number": "x' or 1=1", "phone4": "1234"}
        ).status_code
        == 422
    )


def test_guessing_digits_is_throttled_per_number(
    sms_center: SmsCenter, public: httpx.Client
) -> None:
    phone = unique_mobile()
    order = post_order(sms_center.live, order_body(phone))
    codes = []
    for guess in range(NUMBER_FREE + 1):
        r = public.get(
            "/api/v1/public/status",
            params={"number": order["number"], "phone4": str(guess).zfill(4)},
        )
        codes.append(r.status_code)
    assert codes[:NUMBER_FREE] == [404] * NUMBER_FREE and codes[-1] == 429
    assert int(r.headers["Retry-After"]) >= 1
    # Locked: even the right digits wait.
    right = public.get(
        "/api/v1/public/status", params={"number": order["number"], "phone4": phone[-4:]}
    )
    assert right.status_code == 429


def test_walking_numbers_is_throttled_per_address(
    sms_center: SmsCenter, public: httpx.Client
) -> None:
    codes = [
        public.get(
            "/api/v1/public/status", params={"number": f"LS20990101{n:05d}", "phone4": "1234"}
        ).status_code
        for n in range(ADDRESS_FREE + 1)
    ]
    assert codes[:ADDRESS_FREE] == [404] * ADDRESS_FREE and codes[-1] == 429


def test_pages_speak_english_on_request_and_the_desk_is_for_its_seats(
    sms_center: SmsCenter, public: httpx.Client
) -> None:
    en = public.get("/status", params={"lang": "en"})
    assert en.status_code == 200 and "Where is my request?" in en.text
    zh = public.get("/status")
    assert "诉求办理进度查询" in zh.text and "<script" not in zh.text
    assert public.get("/callbacks").status_code == 401
    with sms_center.live.client("h_511102") as handler:
        assert handler.get("/api/v1/callback-desk").status_code == 403
        assert handler.get("/api/v1/outbox").status_code == 403
