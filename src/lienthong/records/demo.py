"""The living demo's work files: the Government Office's file list for this year, its sent and
received documents filed by type (a filing rule, as a clerk would set one), two files closed
and one of them transferred to the office's archive with its receipt. Through the service,
idempotent (a second run finds the file list and does nothing)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from lienthong.agencies.model import local_date
from lienthong.errors import LienthongError
from lienthong.exchange.store import Document, Recipient
from lienthong.records.model import FileState, PlanEntry, Retention
from lienthong.records.service import RecordService

GOV_OFFICE = "000.00.00.G22"
CLERK = "vanthu.vpcp"
PER_FILE = 12  # documents filed into each demo file (enough to read, quick to seed)

# (file list code, title, retention, the document type filed into it)
PLAN: tuple[tuple[str, str, Retention, str | None], ...] = (
    (
        "01.01",
        "Tập quyết định của Văn phòng Chính phủ và văn bản liên quan",
        Retention(None),
        "Quyết định",
    ),
    (
        "01.02",
        "Hồ sơ công văn trao đổi về kết nối, liên thông văn bản điện tử",
        Retention(10),
        "Công văn",
    ),
    (
        "01.03",
        "Hồ sơ thông báo kết luận, chỉ đạo của Lãnh đạo Chính phủ",
        Retention(20),
        "Thông báo",
    ),
    ("02.01", "Hồ sơ kế hoạch công tác năm", Retention(10), "Kế hoạch"),
    ("02.02", "Hồ sơ báo cáo định kỳ, đột xuất", Retention(20), "Báo cáo"),
    ("03.01", "Hồ sơ hội nghị trực tuyến Chính phủ với địa phương", Retention(10), None),
)
RESPONSIBLE = "Trần Thị Hoa (Phòng Hành chính - Văn thư)"
TOTAL = len(PLAN)


def seed_demo_records(
    records: RecordService, now: datetime, *, advance: Callable[[], Any] = lambda: None
) -> dict[str, int]:
    year = local_date(now).year
    agency = GOV_OFFICE
    if records.plan(agency, year):
        return {"files": len(records.files(agency, year=year)), "filed": 0}
    records.import_plan(
        agency,
        year,
        [PlanEntry(code, title, retention, RESPONSIBLE) for code, title, retention, _t in PLAN],
        actor=CLERK,
    )
    with records.db.read() as session:
        mine = session.execute(
            select(Document.id, Document.type_name)
            .outerjoin(
                Recipient,
                (Recipient.document_id == Document.id) & (Recipient.recipient_code == agency),
            )
            .where(or_(Document.sender_code == agency, Recipient.recipient_code.is_not(None)))
            .order_by(Document.created_at)
        ).all()
    filed = 0
    closed: list[int] = []
    for code, _title, _retention, type_name in PLAN:
        work = records.open_file(agency, year, code, actor=CLERK)
        wanted = [d for d, t in mine if type_name is not None and t == type_name][:PER_FILE]
        for document_id in wanted:
            try:
                records.file_document(agency, work.row.id, document_id, actor=CLERK)
                filed += 1
            except LienthongError:  # a document the demo recalled or removed: left out
                continue
        if wanted and code in {"01.01", "02.02"}:
            try:
                records.close(agency, work.row.id, actor=CLERK)
                closed.append(work.row.id)
            except LienthongError:  # incomplete metadata: the file stays open, as it would
                pass
        advance()
    transferred = 0
    if closed:
        with tempfile.TemporaryDirectory(prefix="demo-records-") as tmp:
            package = Path(tmp) / "nop-luu.zip"
            records.export_package(agency, closed[0], package, actor=CLERK)
            receipt = records.receive_package(agency, package, actor="luutru.vpcp")
            done = records.confirm_transfer(agency, closed[0], receipt, actor=CLERK)
            transferred = int(done.row.state == FileState.TRANSFERRED)
    return {"files": len(PLAN), "filed": filed, "closed": len(closed), "transferred": transferred}
