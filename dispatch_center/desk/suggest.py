"""Category suggestions as the call-taker types: a naive Bayes model
(:mod:`dispatch_center.core.classify`) trained on the taxonomy's names, the seed phrases
shipped in ``dispatch_center/data/category_phrases.csv`` and the center's latest orders.

The model is trained on first use in each process and again when older than
:data:`RETRAIN_S`, in a thread (jieba and the counting are CPU work); until a retrain
finishes the previous model answers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.classify import NaiveBayes, train
from dispatch_center.reporting.words import tokenize
from dispatch_center.store import desk as store

RETRAIN_S = 600.0
PAST_ORDERS = 5000
PHRASES_FILE = "category_phrases.csv"
#: The taxonomy's own name counts as this many examples of its class.
NAME_WEIGHT = 3


def seed_phrases() -> list[tuple[str, str]]:
    """``(code, phrase)`` rows of the shipped seed file."""
    text = (resources.files("dispatch_center.data") / PHRASES_FILE).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(r["code"], r["phrase"]) for r in csv.DictReader(io.StringIO("\n".join(lines)))]


def build_model(
    leaves: list[dict[str, Any]], phrases: list[tuple[str, str]], past: list[dict[str, Any]]
) -> NaiveBayes:
    """Train on the leaves' names, the seed phrases and past orders, all cut by jieba;
    only codes among ``leaves`` are learnt.
    """
    codes = {r["code"] for r in leaves}
    examples: list[tuple[str, list[str]]] = []
    for r in leaves:
        examples += [(r["code"], tokenize(r["name_zh"]))] * NAME_WEIGHT
    examples += [(code, tokenize(p)) for code, p in phrases if code in codes]
    examples += [
        (r["category_code"], tokenize(r["description"]))
        for r in past
        if r["category_code"] in codes
    ]
    return train(examples)


@dataclass
class CategoryModel:
    """This process's trained model, its labels and when it was trained."""

    model: NaiveBayes
    names: dict[str, str]
    trained_at: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def _train(center: Center) -> tuple[NaiveBayes, dict[str, str]]:
    async with center.db.connection() as conn:
        leaves = await store.taxonomy_leaves(conn)
        past = await store.categorised_descriptions(conn, PAST_ORDERS)
    model = await asyncio.to_thread(build_model, leaves, seed_phrases(), past)
    return model, {r["code"]: r["name_zh"] for r in leaves}


async def category_model(center: Center) -> CategoryModel:
    """The process's model, trained now if there is none, retrained when stale."""
    held = center.runtimes.find(CategoryModel)
    if held is None:
        model, names = await _train(center)
        held = center.runtimes.find(CategoryModel) or center.runtimes.attach(
            CategoryModel(model, names, time.monotonic())
        )
    elif time.monotonic() - held.trained_at > RETRAIN_S and not held.lock.locked():
        async with held.lock:
            held.model, held.names = await _train(center)
            held.trained_at = time.monotonic()
    return held


async def suggest_categories(center: Center, text: str, k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` likeliest categories for ``text`` with scores, best first."""
    held = await category_model(center)
    words = await asyncio.to_thread(tokenize, text)
    return [
        {"code": code, "name": held.names.get(code, code), "score": s}
        for code, s in held.model.predict(words, k)
    ]
