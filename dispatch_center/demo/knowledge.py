"""The demo's knowledge base: about a hundred articles on what callers ask most (社保, 医保,
户籍, 公积金, 不动产, 教育入学, 交通违法, 燃气水电, 旅游投诉, 峨眉山 and 乐山大佛), owned by
plausible Leshan units, written once per database and marked as demo content.

The articles are ``dispatch_center/data/kb_demo_articles.json``; its ``notice`` says what
they are (demo content drawn from public policy, not an answer a department has issued).
Each is written, reviewed and published through :mod:`dispatch_center.knowledge.articles`,
so its version history reads like any other's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.knowledge import articles
from dispatch_center.models import KbArticleCreate, KbStatusChange
from dispatch_center.store import knowledge as store

#: Who the demo content is written by, and who at the center reviews and publishes it.
_WRITER = Principal("demo-content", Role.admin)
_REVIEWER = Principal("duty", Role.duty_officer, "511100")


@lru_cache(maxsize=1)
def demo_articles() -> dict[str, Any]:
    """The demo content file: ``demo`` (true), ``notice`` and ``articles``."""
    text = (resources.files("dispatch_center.data") / "kb_demo_articles.json").read_text(
        encoding="utf-8"
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


async def seed_knowledge(center: Center) -> int:
    """Write the demo articles this database does not have yet; returns how many."""
    async with center.db.connection() as conn:
        have = await store.demo_keys(conn)
    made = 0
    for item in demo_articles()["articles"]:
        if (item["owner"], item["title"]) in have:
            continue
        body = KbArticleCreate.model_validate(
            {k: v for k, v in item.items() if k != "status" and v is not None}
        )
        view = await articles.create_article(center, _WRITER, body, demo=True)
        if view is None:  # another worker wrote it first
            continue
        made += 1
        steps = ["review", "publish"] + (["expire"] if item.get("status") == "expired" else [])
        for step in steps:
            await articles.change_status(center, _REVIEWER, view["id"], step, KbStatusChange())
    return made
