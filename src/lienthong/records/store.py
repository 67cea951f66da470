"""Tables of work files and the archive; the caller owns the transaction.

``record_plan`` is each agency's yearly file list; ``record_files`` a work file's current
picture; ``record_items`` what a file holds (a document of the exchange, by reference, or an
uploaded material, by blob); ``record_events`` its append-only history. ``record_accessions``
are packages an archive received, kept whole as a blob.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base
from lienthong.exchange.store import Document, Recipient
from lienthong.text import fold, like_pattern

BigId = BigInteger().with_variant(Integer, "sqlite")


class PlanRow(Base):
    """One line of an agency's yearly file list (danh mục hồ sơ)."""

    __tablename__ = "record_plan"
    __table_args__ = (UniqueConstraint("agency_code", "year", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    retention_years: Mapped[int | None] = mapped_column(Integer)  # None: permanent
    responsible: Mapped[str] = mapped_column(String(255))
    section: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FileRow(Base):
    """A work file (hồ sơ) and where it stands."""

    __tablename__ = "record_files"
    __table_args__ = (UniqueConstraint("agency_code", "year", "plan_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(35), index=True)
    year: Mapped[int] = mapped_column(Integer)
    plan_code: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(100))  # mã hồ sơ
    title: Mapped[str] = mapped_column(String(500))
    retention_years: Mapped[int | None] = mapped_column(Integer)
    access: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    responsible: Mapped[str] = mapped_column(String(255))
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    material_pages: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    exported_manifest: Mapped[str | None] = mapped_column(String(64))
    transferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transfer_receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destruction_decision: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ItemRow(Base):
    """A document (by reference to the exchange) or a material (an upload) in a file."""

    __tablename__ = "record_items"
    __table_args__ = (UniqueConstraint("file_id", "document_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # document | material
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str | None] = mapped_column(String(255))
    content_digest: Mapped[str | None] = mapped_column(String(64), info={"blob": True})
    size: Mapped[int | None] = mapped_column(BigInteger)
    pages: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FileEventRow(Base):
    __tablename__ = "record_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessionRow(Base):
    """A transfer package an archive received and checked (its receipt's subject)."""

    __tablename__ = "record_accessions"
    __table_args__ = (UniqueConstraint("archive_code", "manifest_sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    archive_code: Mapped[str] = mapped_column(String(35), index=True)
    source_code: Mapped[str] = mapped_column(String(35))
    file_code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64), info={"blob": False})
    package_digest: Mapped[str] = mapped_column(String(64), info={"blob": True})
    package_size: Mapped[int] = mapped_column(BigInteger)
    files: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def plan(session: Session, agency: str, year: int) -> Sequence[PlanRow]:
    return session.scalars(
        select(PlanRow)
        .where(PlanRow.agency_code == agency, PlanRow.year == year)
        .order_by(PlanRow.code)
    ).all()


def plan_entry(session: Session, agency: str, year: int, code: str) -> PlanRow | None:
    return session.scalars(
        select(PlanRow).where(
            PlanRow.agency_code == agency, PlanRow.year == year, PlanRow.code == code
        )
    ).first()


def file_of(session: Session, agency: str, file_id: int, *, lock: bool = False) -> FileRow | None:
    query = select(FileRow).where(FileRow.id == file_id, FileRow.agency_code == agency)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def file_by_plan(session: Session, agency: str, year: int, plan_code: str) -> FileRow | None:
    return session.scalars(
        select(FileRow).where(
            FileRow.agency_code == agency, FileRow.year == year, FileRow.plan_code == plan_code
        )
    ).first()


def files(
    session: Session,
    agency: str,
    *,
    year: int | None = None,
    states: Sequence[str] = (),
    query: str = "",
    limit: int = 200,
) -> Sequence[FileRow]:
    """An agency's files, narrowed; ``query`` matches a file's metadata or any item's
    metadata and text, with or without diacritics."""
    stmt = select(FileRow).where(FileRow.agency_code == agency)
    if year is not None:
        stmt = stmt.where(FileRow.year == year)
    if states:
        stmt = stmt.where(FileRow.state.in_(states))
    term = fold(query)
    if term:
        pattern = like_pattern(term)
        in_items = select(ItemRow.file_id).where(ItemRow.search_text.like(pattern, escape="\\"))
        stmt = stmt.where(
            or_(FileRow.search_text.like(pattern, escape="\\"), FileRow.id.in_(in_items))
        )
    return session.scalars(stmt.order_by(FileRow.year.desc(), FileRow.code).limit(limit)).all()


def items(session: Session, file_id: int) -> Sequence[ItemRow]:
    return session.scalars(
        select(ItemRow).where(ItemRow.file_id == file_id).order_by(ItemRow.id)
    ).all()


def item_search(
    session: Session, agency: str, query: str, *, limit: int = 50
) -> Sequence[tuple[ItemRow, FileRow]]:
    """Filed documents and materials of ``agency`` whose metadata or text holds ``query``."""
    term = fold(query)
    if not term:
        return []
    rows = session.execute(
        select(ItemRow, FileRow)
        .join(FileRow, FileRow.id == ItemRow.file_id)
        .where(
            FileRow.agency_code == agency,
            ItemRow.search_text.like(like_pattern(term), escape="\\"),
        )
        .order_by(ItemRow.filed_at.desc(), ItemRow.id.desc())
        .limit(limit)
    ).all()
    return [(item, file) for item, file in rows]


def events(session: Session, file_id: int) -> Sequence[FileEventRow]:
    return session.scalars(
        select(FileEventRow).where(FileEventRow.file_id == file_id).order_by(FileEventRow.id)
    ).all()


def add_event(
    session: Session,
    file_id: int,
    action: str,
    actor: str,
    at: datetime,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        FileEventRow(
            file_id=file_id, action=action, actor=actor, reason=reason, detail=detail or {}, at=at
        )
    )


def own_document(session: Session, agency: str, document_id: str) -> Document | None:
    """The document when ``agency`` sent it or holds a copy of it, else None (the same answer
    for a document of another agency and for none: ids cannot be probed)."""
    doc = session.get(Document, document_id)
    if doc is None:
        return None
    if doc.sender_code == agency:
        return doc
    copy = session.get(Recipient, (document_id, agency))
    return doc if copy is not None and not copy.removed else None


def count_rows(session: Session) -> dict[str, int]:
    """Rows per records table (tests assert a refusal wrote none)."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (PlanRow, FileRow, ItemRow, FileEventRow, AccessionRow)
    }
