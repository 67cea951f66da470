"""The exchange intake's write hook that tells an agency's clerks a document arrived: it runs
in the transaction that stores the document's rows (``exchange.intake.WRITE_HOOKS``), so the
notice exists exactly when the document does, whoever sent it (API, gateway, federation, the
clerk application). Registered by the container (:func:`install`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.accounts.model import Role
from lienthong.agencies.store import agencies_by_codes
from lienthong.exchange import intake
from lienthong.exchange.store import Document
from lienthong.notifications import store
from lienthong.notifications.model import NotificationKind, shorten


def document_arrived(session: Session, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """One "Văn bản đến" notice per clerk of each agency that became a recipient (a new
    document, a replacement, or a recipient added by an update)."""
    added = rows.get("document_recipients")
    if not added:
        return
    clerks = store.users_with_role(session, {r["recipient_code"] for r in added}, Role.CLERK)
    if not clerks:
        return  # no web user there (an agency with its own software, or on another hub)
    docs: dict[str, dict[str, Any]] = {d["id"]: d for d in rows.get("documents", [])}
    missing = {r["document_id"] for r in added} - set(docs)
    if missing:
        for d in session.scalars(select(Document).where(Document.id.in_(sorted(missing)))):
            docs[d.id] = {
                "id": d.id,
                "sender_code": d.sender_code,
                "code_number": d.code_number,
                "code_notation": d.code_notation,
                "subject": d.subject,
            }
    names = {
        code: agency.name
        for code, agency in agencies_by_codes(
            session, sorted({d["sender_code"] for d in docs.values()})
        ).items()
    }
    for r in added:
        users = clerks.get(r["recipient_code"])
        doc = docs.get(r["document_id"])
        if not users or doc is None:
            continue
        sender = names.get(doc["sender_code"], doc["sender_code"])
        text = (
            f"{sender} gửi văn bản số {doc['code_number']}/{doc['code_notation']}: "
            f"{shorten(doc.get('subject'))}"
        )
        store.add(
            session,
            users,
            NotificationKind.DOCUMENT_ARRIVED,
            text,
            f"/van-thu/van-ban/{doc['id']}",
            at=r["added_at"],
        )


def install() -> None:
    """Register :func:`document_arrived` with the intake (idempotent)."""
    if document_arrived not in intake.WRITE_HOOKS:
        intake.WRITE_HOOKS.append(document_arrived)
