"""The demo's knowledge base: about a hundred articles on what callers ask most (社保, 医保,
户籍, 公积金, 不动产, 教育入学, 交通违法, 燃气水电, 旅游投诉, 峨眉山 and 乐山大佛), owned by
plausible Leshan units, written once per database and marked as demo content.

The articles are ``dispatch_center/data/kb_demo_articles.json``; its ``notice`` says what
they are (demo content drawn from public policy, not an answer a department has issued).
Each is written with the versions of its writing, review and publication, so its history
reads like any other's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.knowledge.words import document_parts, tokenizer_ready
from dispatch_center.models import KbArticleCreate
from dispatch_center.store import knowledge as store

#: Who the demo content is written by, and who at the center reviews and publishes it.
_WRITER = ("demo-content", Role.admin.value)
_REVIEWER = ("duty", Role.duty_officer.value)


@lru_cache(maxsize=1)
def demo_articles() -> dict[str, Any]:
    """The demo content file: ``demo`` (true), ``notice`` and ``articles``."""
    text = (resources.files("dispatch_center.data") / "kb_demo_articles.json").read_text(
        encoding="utf-8"
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


def _history(status: str) -> list[tuple[str, str, str, str]]:
    steps = [("create", "draft", *_WRITER), ("review", "reviewed", *_REVIEWER)]
    steps.append(("publish", "published", *_REVIEWER))
    if status == "expired":
        steps.append(("expire", "expired", *_REVIEWER))
    return steps


async def seed_knowledge(center: Center) -> int:
    """Write the demo articles this database does not have yet, each with the history of
    its writing, review and publication; returns how many were written.
    """
    await tokenizer_ready()
    made = 0
    async with center.db.connection() as conn:
        have = await store.demo_keys(conn)
        for item in demo_articles()["articles"]:
            if (item["owner"], item["title"]) in have:
                continue
            if item["owner"] not in center.reference.units:
                raise ValueError(f"demo article {item['title']!r}: no unit {item['owner']!r}")
            body = KbArticleCreate.model_validate(
                {k: v for k, v in item.items() if k != "status" and v is not None}
            )
            values = {**body.model_dump(), "owner": body.owner}
            head, text = document_parts(body.title, body.questions, body.answer)
            made += await store.insert_demo_article(
                conn,
                values,
                head=head,
                body=text,
                history=_history(item.get("status", "published")),
                at=center.now(),
            )
    return made
