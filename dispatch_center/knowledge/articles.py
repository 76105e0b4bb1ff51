"""Knowledge-base articles: written by their unit, reviewed and published by the center.

Every write is a new version of the article with who, when and what was done
(:func:`versions`); a status change is one too. Which moves are legal and who may make
them is :func:`dispatch_center.core.knowledge.article_move`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import knowledge as kb
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.knowledge.words import document_parts, tokenizer_ready
from dispatch_center.models import KbArticleCreate, KbArticleUpdate, KbStatusChange
from dispatch_center.store import knowledge as store

Row = dict[str, Any]

#: The fields an edit may change (besides the status, which an edit sets to draft).
CONTENT_FIELDS = (
    "owner",
    "title",
    "questions",
    "answer",
    "policy_source",
    "category_code",
    "valid_from",
    "valid_until",
)


def parse_article_id(article_id: str, field: str | None = None) -> int:
    """An article id from the wire; anything else is not found (or, for a ``field`` of a
    body, a 422 naming it).
    """
    if article_id.isascii() and article_id.isdigit() and len(article_id) <= 18:
        value = int(article_id)
        if value >= 1:
            return value
    if field is not None:
        raise Invalid(f"{field} is not an article id", fields={field: "not an article id"})
    raise NotFound(f"no article {article_id!r}")


def owns(center: Center, who: Principal, owner: str) -> bool:
    """Whether ``who`` is a handler of the owning unit (or of a unit above it)."""
    return who.role is Role.handler and reading_scope(center, who).sees_unit(owner)


def may_read(center: Center, who: Principal, row: Row) -> bool:
    """Published articles are for everyone signed in; the others for the center's KB desk,
    auditors and the owning unit.
    """
    if row["status"] == kb.ArticleStatus.published:
        return True
    return who.role in kb.KB_DRAFT_READERS or owns(center, who, row["owner"])


def _iso_day(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _iso(t: datetime | None) -> str | None:
    return to_shanghai(t).isoformat() if t is not None else None


def article_view(center: Center, row: Row) -> Row:
    """An article as the API shows it."""
    status = kb.ArticleStatus(row["status"])
    unit = center.reference.units.get(row["owner"]) or {}
    return {
        "id": str(row["id"]),
        "title": row["title"],
        "answer": row["answer"],
        "owner": row["owner"],
        "owner_name": unit.get("name"),
        "valid_from": _iso_day(row["valid_from"]),
        "valid_until": _iso_day(row["valid_until"]),
        "questions": list(row["questions"] or []),
        "policy_source": row["policy_source"],
        "category_code": row["category_code"],
        "status": status.value,
        "status_label": kb.STATUS_LABELS_ZH[status],
        "shown_at_desk": kb.shown_at_desk(
            status, row["valid_from"], row["valid_until"], center.today()
        ),
        "demo": row["demo"],
        "version": row["version"],
        "created_by": row["created_by"],
        "created_at": _iso(row["created_at"]),
        "updated_by": row["updated_by"],
        "updated_at": _iso(row["updated_at"]),
    }


def version_view(row: Row) -> Row:
    """One version of an article: its content then, and who made it when."""
    return {
        "version": row["version"],
        "action": row["action"],
        "status": row["status"],
        "by": row["by_user"],
        "role": row["by_role"],
        "at": _iso(row["at"]),
        "note": row["note"],
        "title": row["title"],
        "questions": list(row["questions"] or []),
        "answer": row["answer"],
        "policy_source": row["policy_source"],
        "category_code": row["category_code"],
        "valid_from": _iso_day(row["valid_from"]),
        "valid_until": _iso_day(row["valid_until"]),
    }


def _check_refs(center: Center, owner: str, category_code: str | None) -> None:
    if owner not in center.reference.units:
        raise Invalid(f"unknown unit {owner!r}", fields={"owner": "not a known unit code"})
    if category_code is not None and category_code not in center.reference.categories:
        raise Invalid(
            f"unknown category code {category_code!r}",
            fields={"category_code": "not in the taxonomy (GET /api/v1/categories)"},
        )


def _words(values: Row) -> tuple[str, str]:
    return document_parts(values["title"], list(values["questions"]), values["answer"])


async def create_article(
    center: Center, who: Principal, data: KbArticleCreate, *, demo: bool = False
) -> Row | None:
    """Write a new article as a draft (owner: the caller's unit when not given).

    ``demo`` marks shipped demo content, which is written once (None when it already is).
    """
    owner = data.owner or (who.unit_code if who.role is Role.handler else None)
    if not owner:
        raise Invalid("say which unit owns the article", fields={"owner": "required"})
    _check_refs(center, owner, data.category_code)
    if not demo and not kb.may_write_for(who.role, owns(center, who, owner)):
        raise Forbidden(
            f"only a handler of {owner} or the center (duty officer, admin) may write its articles"
        )
    values = data.model_dump(exclude={"owner"})
    values["owner"] = owner
    await tokenizer_ready()
    values["status"] = kb.ArticleStatus.draft.value
    head, body = _words(values)
    async with center.db.connection() as conn:
        row = await store.insert_article(
            conn,
            values,
            head=head,
            body=body,
            by=who.username,
            role=who.role.value,
            at=center.now(),
            demo=demo,
        )
    return None if row is None else article_view(center, row)


async def _readable(center: Center, who: Principal, conn: Any, article_id: str) -> Row:
    row = await store.get_article(conn, parse_article_id(article_id))
    if row is None or not may_read(center, who, row):
        raise NotFound(f"no article {article_id!r}")
    return row


async def get_article(center: Center, who: Principal, article_id: str) -> Row:
    """One article as ``who`` may read it."""
    async with center.db.connection() as conn:
        return article_view(center, await _readable(center, who, conn, article_id))


async def list_articles(
    center: Center,
    who: Principal,
    *,
    statuses: list[str],
    owner: str | None,
    limit: int,
    before_id: int | None,
) -> list[Row]:
    """Articles newest first: every one for the KB desk and auditors, a unit's own for its
    handlers, the published ones for everyone else.
    """
    for s in statuses:
        if s not in kb.ArticleStatus.__members__:
            raise Invalid(f"unknown status {s!r}", fields={"status": ", ".join(kb.ArticleStatus)})
    owners: list[str] | None = None
    if who.role is Role.handler:
        units = reading_scope(center, who).units
        owners = sorted(units) if units is not None else None
    elif who.role not in kb.KB_DRAFT_READERS:
        statuses = [kb.ArticleStatus.published.value]
    async with center.db.connection() as conn:
        rows = await store.list_articles(
            conn, owners=owners, statuses=statuses, owner=owner, limit=limit, before_id=before_id
        )
    return [article_view(center, r) for r in rows]


def _stale(row: Row, version: int | None) -> None:
    if version is not None and version != row["version"]:
        raise Conflict(
            f"article {row['id']} is at version {row['version']} (changed by"
            f" {row['updated_by']}); you edited version {version}",
            current_version=row["version"],
            changed_by=row["updated_by"],
        )


def _move(center: Center, who: Principal, row: Row, action: kb.ArticleAction) -> str:
    try:
        return kb.article_move(
            row["status"], action, who.role, owns=owns(center, who, row["owner"])
        ).value
    except kb.ArticleForbidden as exc:
        raise Forbidden(str(exc)) from exc
    except kb.ArticleStateError as exc:
        raise Conflict(str(exc), current_status=exc.status.value) from exc


async def edit_article(
    center: Center, who: Principal, article_id: str, data: KbArticleUpdate
) -> Row:
    """A new version of the article's content; it goes back to draft for review."""
    given = data.model_dump(exclude_unset=True, exclude={"version", "note"})
    await tokenizer_ready()
    async with center.db.connection() as conn:
        row = await _readable(center, who, conn, article_id)
        status = _move(center, who, row, kb.ArticleAction.edit)
        _stale(row, data.version)
        values = {f: row[f] for f in CONTENT_FIELDS}
        for field, value in given.items():
            if value is None and field in ("owner", "title", "answer", "questions"):
                raise Invalid(f"{field} may not be null", fields={field: "may not be null"})
            values[field] = value
        values["policy_source"] = values["policy_source"] or ""
        if values["owner"] != row["owner"]:
            # Handing an article to another unit is the center's call, or both units'.
            _check_refs(center, values["owner"], None)
            if not kb.may_write_for(who.role, owns(center, who, values["owner"])):
                raise Forbidden(f"you may not give the article to {values['owner']}")
        _check_refs(center, values["owner"], values["category_code"])
        vf, vu = values["valid_from"], values["valid_until"]
        if vf is not None and vu is not None and vu < vf:
            raise Invalid(
                "valid_until is before valid_from",
                fields={"valid_until": "must not be before valid_from"},
            )
        values["status"] = status
        head, body = _words(values)
        changed = await store.update_article(
            conn,
            row["id"],
            row["version"],
            values,
            head=head,
            body=body,
            by=who.username,
            role=who.role.value,
            at=center.now(),
            note=data.note,
        )
        if changed is None:
            fresh = await store.get_article(conn, row["id"])
            _stale(fresh or row, row["version"])
            raise Conflict(f"article {article_id} changed while it was being edited")
    return article_view(center, changed)


async def change_status(
    center: Center, who: Principal, article_id: str, action: str, data: KbStatusChange
) -> Row:
    """Review, publish or expire an article (a new version with who and when)."""
    try:
        act = kb.ArticleAction(action)
    except ValueError:
        act = None
    if act not in (kb.ArticleAction.review, kb.ArticleAction.publish, kb.ArticleAction.expire):
        raise NotFound(f"no article action {action!r}: review, publish, expire")
    async with center.db.connection() as conn:
        row = await _readable(center, who, conn, article_id)
        status = _move(center, who, row, act)
        _stale(row, data.version)
        changed = await store.set_status(
            conn,
            row["id"],
            row["version"],
            status,
            action=act.value,
            by=who.username,
            role=who.role.value,
            at=center.now(),
            note=data.note,
        )
        if changed is None:
            raise Conflict(f"article {article_id} changed first; read it again")
    return article_view(center, changed)


async def versions(center: Center, who: Principal, article_id: str) -> list[Row]:
    """Every version of an article, newest first (for those who may read the article)."""
    async with center.db.connection() as conn:
        row = await _readable(center, who, conn, article_id)
        return [version_view(v) for v in await store.versions(conn, row["id"])]
