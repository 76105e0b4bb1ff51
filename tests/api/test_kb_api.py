"""The knowledge base (知识库) through HTTP: writing, review, publication and expiry, who
may do which, the version history, the desk's search and the link of an order answered at
intake to its article.

Articles made here carry a word of their own (a made-up place name) so that the searches
find them and nothing else, whatever else the shared center holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

OWNER = "511102-RSJ"  # 市中区人力资源和社会保障局, a unit of county 511102
HANDLER = "h_511102"  # the county's handler: the unit is within its scope
OTHER_HANDLER = "h_511111"


def _tag() -> str:
    # A made-up word: jieba keeps a run of letters and digits whole, in articles and queries.
    return "kb" + uuid.uuid4().hex[:8]


def article(tag: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner": OWNER,
        "title": f"{tag}镇灵活就业人员参加养老保险",
        "questions": [f"{tag}灵活就业怎么交养老保险", "个体户能不能交社保"],
        "answer": f"{tag}镇的灵活就业人员可携带身份证到社保经办窗口办理参保登记。",
        "policy_source": "《社会保险法》第十条",
        "valid_until": (date.today() + timedelta(days=365)).isoformat(),
    }
    body.update(over)
    return body


def publish(c: httpx.Client, article_id: str) -> dict[str, Any]:
    for action in ("review", "publish"):
        r = c.post(f"/api/v1/kb/articles/{article_id}/{action}")
        assert r.status_code == 200, r.text
    return dict(r.json())


def ids(found: httpx.Response) -> list[str]:
    assert found.status_code == 200, found.text
    return [i["id"] for i in found.json()["items"]]


@pytest.fixture
def duty(as_user: Callable[[str], httpx.Client]) -> httpx.Client:
    return as_user("duty")


def test_an_article_goes_from_draft_to_published_and_only_then_is_found(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    owner = as_user(HANDLER)
    r = owner.post("/api/v1/kb/articles", json=article(tag))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "draft" and made["version"] == 1 and made["owner"] == OWNER
    assert made["owner_name"] == "市中区人力资源和社会保障局"
    assert not made["shown_at_desk"]
    desk = as_user("agent01")
    assert ids(desk.get("/api/v1/kb/search", params={"q": tag})) == []
    # A call-taker does not read a draft; the center and the owner do.
    assert desk.get(f"/api/v1/kb/articles/{made['id']}").status_code == 404
    assert duty.get(f"/api/v1/kb/articles/{made['id']}").status_code == 200

    assert duty.post(f"/api/v1/kb/articles/{made['id']}/publish").status_code == 409
    published = publish(duty, made["id"])
    assert published["status"] == "published" and published["version"] == 3
    assert ids(desk.get("/api/v1/kb/search", params={"q": tag})) == [made["id"]]
    found = desk.get("/api/v1/kb/search", params={"q": f"{tag}灵活就业交社保"})
    assert ids(found)[0] == made["id"]
    item = found.json()["items"][0]
    assert {"id", "title", "answer", "owner", "valid_until"} <= set(item)
    assert item["valid_until"] == article(tag)["valid_until"]
    assert item["source"] == "《社会保险法》第十条"


def test_expired_articles_never_show(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    desk = as_user("agent01")
    by_hand = duty.post("/api/v1/kb/articles", json=article(tag)).json()
    publish(duty, by_hand["id"])
    lapsed = duty.post(
        "/api/v1/kb/articles",
        json=article(
            tag,
            title=f"{tag}镇旧政策",
            valid_from=(date.today() - timedelta(days=30)).isoformat(),
            valid_until=(date.today() - timedelta(days=1)).isoformat(),
        ),
    ).json()
    publish(duty, lapsed["id"])
    future = duty.post(
        "/api/v1/kb/articles",
        json=article(
            tag, title=f"{tag}镇新政策", valid_from=(date.today() + timedelta(days=3)).isoformat()
        ),
    ).json()
    publish(duty, future["id"])
    # Past valid_until or not yet valid: published, but never at the desk.
    assert ids(desk.get("/api/v1/kb/search", params={"q": tag})) == [by_hand["id"]]
    assert not desk.get(f"/api/v1/kb/articles/{lapsed['id']}").json()["shown_at_desk"]
    r = duty.post(f"/api/v1/kb/articles/{by_hand['id']}/expire", json={"note": "政策废止"})
    assert r.status_code == 200 and r.json()["status"] == "expired"
    assert ids(desk.get("/api/v1/kb/search", params={"q": tag})) == []
    assert duty.post(f"/api/v1/kb/articles/{by_hand['id']}/publish").status_code == 409


def test_roles_who_writes_reviews_and_reads(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    other = as_user(OTHER_HANDLER)
    r = other.post("/api/v1/kb/articles", json=article(tag))
    assert r.status_code == 403, r.text
    for role_user in ("agent01", "dispatcher", "leader"):
        assert as_user(role_user).post("/api/v1/kb/articles", json=article(tag)).status_code == 403
    owner = as_user(HANDLER)
    # A handler's own unit is the default owner.
    mine = owner.post("/api/v1/kb/articles", json=article(tag, owner=None)).json()
    assert mine["owner"] == "511102"
    made = owner.post("/api/v1/kb/articles", json=article(tag)).json()
    # The owner may not review or publish its own article; another unit may not touch it.
    assert owner.post(f"/api/v1/kb/articles/{made['id']}/review").status_code == 403
    assert other.get(f"/api/v1/kb/articles/{made['id']}").status_code == 404
    assert other.patch(f"/api/v1/kb/articles/{made['id']}", json={"title": "x"}).status_code == 404
    publish(duty, made["id"])
    assert other.get(f"/api/v1/kb/articles/{made['id']}").status_code == 200
    assert other.patch(f"/api/v1/kb/articles/{made['id']}", json={"title": "x"}).status_code == 403
    # The owner may withdraw it.
    assert owner.post(f"/api/v1/kb/articles/{made['id']}/expire").json()["status"] == "expired"


def test_every_edit_keeps_the_previous_version(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    owner = as_user(HANDLER)
    made = owner.post("/api/v1/kb/articles", json=article(tag)).json()
    publish(duty, made["id"])
    r = owner.patch(
        f"/api/v1/kb/articles/{made['id']}",
        json={"answer": f"{tag}新的答复：请到政务服务中心办理。", "version": 3, "note": "窗口搬迁"},
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    # An edit goes back to review: the desk reads only reviewed words.
    assert edited["status"] == "draft" and edited["version"] == 4
    stale = owner.patch(f"/api/v1/kb/articles/{made['id']}", json={"title": "y", "version": 3})
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 4
    versions = owner.get(f"/api/v1/kb/articles/{made['id']}/versions").json()["items"]
    assert [(v["version"], v["action"], v["status"]) for v in versions] == [
        (4, "edit", "draft"),
        (3, "publish", "published"),
        (2, "review", "reviewed"),
        (1, "create", "draft"),
    ]
    assert versions[0]["by"] == HANDLER and versions[0]["note"] == "窗口搬迁"
    assert versions[1]["by"] == "duty" and versions[1]["role"] == "duty_officer"
    assert versions[1]["answer"] == article(tag)["answer"]
    assert versions[0]["answer"].startswith(f"{tag}新的答复")
    assert all(v["at"].endswith("+08:00") for v in versions)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"answer": None}, "answer"),
        ({"owner": "no-such-unit"}, "owner"),
        ({"category_code": "nope"}, "category_code"),
        ({"valid_from": "2026-05-01", "valid_until": "2026-04-01"}, "valid_until"),
        ({"valid_until": "9999-01-01"}, "valid_until"),
        ({"questions": ["x" * 201]}, "questions.0"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_articles_name_the_field(duty: httpx.Client, body: dict[str, Any], field: str) -> None:
    r = duty.post("/api/v1/kb/articles", json=article(_tag(), **body))
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()


def test_bad_requests_are_4xx(duty: httpx.Client) -> None:
    assert duty.get("/api/v1/kb/search", params={"q": "  "}).json()["error"]["fields"] == {
        "q": "required"
    }
    assert duty.get("/api/v1/kb/search", params={"q": "x" * 201}).status_code == 422
    assert duty.get("/api/v1/kb/search").status_code == 422
    assert duty.get("/api/v1/kb/articles/abc").status_code == 404
    assert duty.get("/api/v1/kb/articles/99999999999999999999").status_code == 404
    assert duty.post("/api/v1/kb/articles/1/approve").status_code in (404,)
    r = duty.get("/api/v1/kb/search", params={"q": "公积金", "order_id": 999999999})
    assert r.status_code == 422 and "order_id" in r.json()["error"]["fields"]
    assert duty.get("/api/v1/kb/search", params={"q": "!!! ？？"}).json()["items"] == []
    r = duty.get("/api/v1/kb/articles", params={"status": "bogus"})
    assert r.status_code == 422 and "status" in r.json()["error"]["fields"]
    r = duty.get("/api/v1/kb/search", params={"q": "公积金", "session": "a b"})
    assert r.status_code == 422 and "session" in str(r.json()["error"]["fields"])
    assert duty.post("/api/v1/kb/synonyms", json={"words": ["社保"]}).status_code == 422
    assert duty.post("/api/v1/kb/synonyms", json={"words": ["a b", "c"]}).status_code == 422


def test_center_synonyms_widen_the_search(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    made = duty.post(
        "/api/v1/kb/articles", json=article(tag, title=f"{tag}镇电动自行车上牌")
    ).json()
    publish(duty, made["id"])
    desk = as_user("agent01")
    alias = _tag()
    assert made["id"] not in ids(desk.get("/api/v1/kb/search", params={"q": alias}))
    assert (
        as_user("agent01").post("/api/v1/kb/synonyms", json={"words": [alias, tag]}).status_code
        == 403
    )
    r = duty.post("/api/v1/kb/synonyms", json={"words": [alias, tag]})
    assert r.status_code == 201, r.text
    assert made["id"] in ids(desk.get("/api/v1/kb/search", params={"q": alias}))
    assert [alias, tag] in desk.get("/api/v1/kb/synonyms").json()["center"]


def test_resolve_at_intake_links_the_order_to_its_article(
    live: LiveCenter, as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag = _tag()
    made = duty.post("/api/v1/kb/articles", json=article(tag)).json()
    draft = duty.post("/api/v1/kb/articles", json=article(tag, title=f"{tag}草稿")).json()
    publish(duty, made["id"])
    desk = as_user("agent01")
    session = f"call-{uuid.uuid4().hex[:8]}"
    found = desk.get("/api/v1/kb/search", params={"q": f"{tag}灵活就业", "session": session})
    assert found.json()["search_id"]
    order = desk.post(
        "/api/v1/orders",
        json=new_order(urgency="consultation", category={"type": "consultation", "code": "social"}),
    ).json()
    act = f"/api/v1/orders/{order['id']}/actions/resolve_at_intake"
    for bad in ("999999999", draft["id"]):
        r = desk.post(act, json={"kb_article_id": bad})
        assert r.status_code == 422 and "kb_article_id" in r.json()["error"]["fields"], r.text
    assert desk.post(act, json={"kb_article_id": "x1"}).status_code == 422
    # Only resolving at intake links an article.
    r = desk.post(
        f"/api/v1/orders/{order['id']}/actions/dispatch", json={"kb_article_id": made["id"]}
    )
    assert r.status_code in (403, 422)
    r = desk.post(act, json={"kb_article_id": made["id"], "kb_session": session})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "replied" and r.json()["kb_article_id"] == made["id"]
    timeline = desk.get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    last = timeline[-1]
    assert last["action"] == "resolve_at_intake" and last["actor"] == "agent01"
    assert last["data"]["kb_article_id"] == made["id"]
    assert last["data"]["kb_article_title"] == made["title"]
    # The call's search was answered: no gap.
    gaps = duty.get("/api/v1/kb/gaps").json()["items"]
    assert not any(f"{tag}灵活就业" in g["examples"] for g in gaps)


def test_gaps_are_the_calls_answered_from_no_article(
    as_user: Callable[[str], httpx.Client], duty: httpx.Client
) -> None:
    tag, unknown = _tag(), _tag()
    made = duty.post("/api/v1/kb/articles", json=article(tag)).json()
    publish(duty, made["id"])
    desk = as_user("agent01")

    def call(q: str) -> str:
        session = f"call-{uuid.uuid4().hex[:8]}"
        # The agent types: each keystroke's search is recorded with the call's session.
        for end in range(len(q) - 2, len(q) + 1):
            r = desk.get("/api/v1/kb/search", params={"q": q[:end], "session": session})
            assert r.status_code == 200, r.text
        return str(r.json()["search_id"])

    call(f"{unknown}充电桩")  # nothing found
    call(f"{unknown}充电桩")  # asked again on another call
    call(f"{tag}养老")  # found but not used
    used = call(f"{tag}灵活就业")
    r = desk.post(f"/api/v1/kb/searches/{used}/used", json={"article_id": made["id"]})
    assert r.status_code == 200 and r.json()["marked"] == 3, r.text
    # Someone else's search is not the desk's to mark; a draft is no answer.
    assert (
        as_user("agent02")
        .post(f"/api/v1/kb/searches/{used}/used", json={"article_id": made["id"]})
        .status_code
        == 404
    )
    draft = duty.post("/api/v1/kb/articles", json=article(tag, title=f"{tag}草稿")).json()
    r = desk.post(f"/api/v1/kb/searches/{used}/used", json={"article_id": draft["id"]})
    assert r.status_code == 422 and "article_id" in r.json()["error"]["fields"]

    by_query = {g["query"]: g for g in duty.get("/api/v1/kb/gaps").json()["items"]}
    nothing = by_query[f"{unknown}充电桩"]
    # Two calls, each counted once with its fullest query.
    assert nothing["calls"] == 2 and not nothing["found_articles"]
    assert by_query[f"{tag}养老"]["found_articles"]
    assert by_query[f"{tag}养老"]["owners"] == [OWNER]
    assert f"{tag}灵活就业" not in by_query
    assert not any(q.startswith(f"{tag}灵活") for q in by_query)

    # The owner sees the gaps about its articles; another unit does not; nor the desk.
    own = {g["query"] for g in as_user(HANDLER).get("/api/v1/kb/gaps").json()["items"]}
    assert f"{tag}养老" in own and f"{unknown}充电桩" not in own
    other = {g["query"] for g in as_user(OTHER_HANDLER).get("/api/v1/kb/gaps").json()["items"]}
    assert f"{tag}养老" not in other
    assert desk.get("/api/v1/kb/gaps").status_code == 403
