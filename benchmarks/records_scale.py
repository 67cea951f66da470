"""Work files at an agency's scale (issue 16): ``--documents`` documents in ``--files`` files of
one agency, each document with a PDF of ``--pdf-kb`` KiB (random bytes behind a PDF header: the
content is what is measured, not its pages); then timed:

- filing through the service (``RecordService.file_document``) for a sample of documents;
- closing through the service for a sample of files (the rest are closed by SQL);
- exporting every closed file as a BagIt package, in MB/s of content;
- receiving every package on the archive's side with its fixity checked, in MB/s of content;
- searching filed documents by metadata, with and without diacritics (p50/p99 ms).

The documents and most items are inserted straight into the tables (what the intake and filing
would have written), so the run measures the export, the import and the search.

    python -m benchmarks.records_scale --db sqlite --documents 20000 --files 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.agencies.model import Level, NewAgency
from lienthong.exchange.store import Attachment, Document, Message
from lienthong.logs import configure_logging
from lienthong.migrate import upgrade
from lienthong.records.model import PlanEntry, Retention
from lienthong.records.service import RecordService, records_service
from lienthong.records.store import FileRow, ItemRow
from lienthong.text import fold
from lienthong.web.container import build_container
from tests.support import settings_for
from tests.support_pdf import draft_pdf

AGENCY = "000.00.00.G22"
WORDS = [
    "kết",
    "nối",
    "liên",
    "thông",
    "văn",
    "bản",
    "điện",
    "tử",
    "chuyển",
    "đổi",
    "số",
    "đầu",
    "tư",
    "công",
    "giải",
    "ngân",
    "cải",
    "cách",
    "hành",
    "chính",
    "thủ",
    "tục",
    "phòng",
    "chống",
    "thiên",
    "tai",
    "dữ",
    "liệu",
    "dùng",
    "chung",
    "chữ",
    "ký",
    "số",
    "báo",
    "cáo",
    "định",
    "kỳ",
]
TYPES = ("Công văn", "Quyết định", "Thông báo", "Kế hoạch", "Báo cáo")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def seed(
    records: RecordService, container: Any, args: argparse.Namespace, content: list[int]
) -> tuple[list[int], list[str]]:
    rng = random.Random(2026)
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    year = 2026
    records.import_plan(
        AGENCY,
        year,
        [
            PlanEntry(
                f"{n // 100:02d}.{n % 100:02d}", f"Hồ sơ thử số {n}", Retention(10), "Văn thư"
            )
            for n in range(args.files)
        ],
        actor="bench",
    )
    file_ids = [
        records.open_file(AGENCY, year, f"{n // 100:02d}.{n % 100:02d}", actor="bench").row.id
        for n in range(args.files)
    ]
    size = args.pdf_kb * 1024
    docs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    atts: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    package = container.blobs.put_bytes(b"<edXML>bench</edXML>")
    for i in range(args.documents):
        doc_id, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
        body = (
            draft_pdf(pages=2, text=f"Van ban {i}")  # parsed when filed by the service
            if i < args.sample
            else b"%PDF-1.4\n" + os.urandom(size)
        )
        content[0] += len(body)
        digest = container.blobs.put_bytes(body)
        subject = "V/v " + " ".join(rng.sample(WORDS, 6))
        type_name = TYPES[i % len(TYPES)]
        issued = date(2026, 1, 1) + timedelta(days=i % 330)
        msgs.append(
            {
                "id": msg_id,
                "kind": "edoc",
                "sender_code": AGENCY,
                "package_digest": package,
                "package_size": 20,
                "document_ref": None,
                "signed": True,
                "validation": {"signer": {"common_name": "Nguyễn Văn Minh", "serial": "1"}},
                "answer": {},
                "created_at": now,
            }
        )
        docs.append(
            {
                "id": doc_id,
                "sender_code": AGENCY,
                "edxml_document_id": f"{AGENCY},{issued},{i}/VPCP",
                "code_number": str(i + 1),
                "code_notation": "VPCP-TH",
                "number_key": str(i + 1),
                "notation_key": "vpcp-th",
                "year": 2026,
                "subject": subject,
                "type_name": type_name,
                "promulgation_date": issued,
                "signer_name": "Nguyễn Văn Minh",
                "state": "active",
                "origin_message_id": msg_id,
                "latest_message_id": msg_id,
                "signed": True,
                "attachment_count": 1,
                "created_at": now,
                "search_text": fold(subject),
            }
        )
        atts.append(
            {
                "message_id": msg_id,
                "document_id": doc_id,
                "content_id": "pdf",
                "name": f"van-ban-{i}.pdf",
                "content_type": "application/pdf",
                "size": len(body),
                "digest": digest,
            }
        )
        if i >= args.sample:  # the sample is filed through the service below
            meta = {
                "document_id": f"{AGENCY},{issued},{i}/VPCP",
                "number_notation": f"{i + 1}/VPCP-TH",
                "issued_on": issued.isoformat(),
                "issuer": "Văn phòng Chính phủ",
                "subject": subject,
                "type_name": type_name,
                "signer": "Nguyễn Văn Minh",
                "language": "vi",
                "signed": True,
                "signature": "Nguyễn Văn Minh; serial 1",
            }
            items.append(
                {
                    "file_id": file_ids[i % args.files],
                    "kind": "document",
                    "document_id": doc_id,
                    "name": f"van-ban-{i}.pdf",
                    "pages": 2,
                    "meta": meta,
                    "search_text": fold(f"{i + 1}/VPCP-TH {subject} {type_name}"),
                    "filed_by": "bench",
                    "filed_at": now,
                }
            )
    with container.db.unit_of_work() as session:
        for table, rows in (
            (Message, msgs),
            (Document, docs),
            (Attachment, atts),
            (ItemRow, items),
        ):
            for start in range(0, len(rows), 5000):
                session.execute(insert(table), rows[start : start + 5000])
    return file_ids, [d["id"] for d in docs[: args.sample]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--pdf-kb", type=int, default=50)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    configure_logging("WARNING", False)
    with tempfile.TemporaryDirectory(prefix="records-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        pg_name = None
        if args.db == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'hub.db'}"
        else:
            url, pg_name = fresh_pg_database()
        try:
            upgrade(url)
            container = build_container(settings_for(url, data_dir, blob_gc_interval_seconds=0))
            container.agencies.register(
                NewAgency(code=AGENCY, name="Văn phòng Chính phủ", level=Level(1))
            )
            records = records_service(container)
            started = time.perf_counter()
            content_box = [0]
            file_ids, sample = seed(records, container, args, content_box)
            seeded = time.perf_counter() - started

            filing = []
            for n, doc_id in enumerate(sample):
                t = time.perf_counter()
                records.file_document(AGENCY, file_ids[n % len(file_ids)], doc_id, actor="bench")
                filing.append((time.perf_counter() - t) * 1000)

            closing = []
            for file_id in file_ids[:50]:
                t = time.perf_counter()
                records.close(AGENCY, file_id, actor="bench")
                closing.append((time.perf_counter() - t) * 1000)
            with container.db.unit_of_work() as session:
                session.execute(
                    update(FileRow)
                    .where(FileRow.state == "open")
                    .values(state="closed", start_on=date(2026, 1, 1), end_on=date(2026, 11, 30))
                )

            content = content_box[0]
            out = Path(tmp) / "packages"
            out.mkdir()
            t = time.perf_counter()
            packages = []
            for file_id in file_ids:
                path = out / f"{file_id}.zip"
                records.export_package(AGENCY, file_id, path, actor="bench")
                packages.append(path)
            export_s = time.perf_counter() - t
            package_bytes = sum(p.stat().st_size for p in packages)

            t = time.perf_counter()
            for path in packages:
                records.receive_package("000.00.00.LT01", path, actor="bench")
            import_s = time.perf_counter() - t

            rng = random.Random(7)
            searches: list[float] = []
            for n in range(args.searches):
                words = " ".join(rng.sample(WORDS, 2)) if n % 3 else str(rng.randrange(1, 9999))
                query = fold(words) if n % 2 else words
                t = time.perf_counter()
                records.search(AGENCY, query)
                records.files(AGENCY, query=query)
                searches.append((time.perf_counter() - t) * 1000)
            container.close()
        finally:
            if pg_name:
                drop_pg_database(pg_name)
    mb = content / 1e6
    print(
        json.dumps(
            {
                "benchmark": "records_scale",
                "db": args.db,
                "documents": args.documents,
                "files": args.files,
                "content_mb": round(mb, 1),
                "package_mb": round(package_bytes / 1e6, 1),
                "seed_s": round(seeded, 1),
                "file_document_ms": {"p50": pct(filing, 0.5), "p99": pct(filing, 0.99)},
                "close_ms": {"p50": pct(closing, 0.5), "p99": pct(closing, 0.99)},
                "export_s": round(export_s, 2),
                "export_mb_per_s": round(mb / export_s, 1),
                "import_s": round(import_s, 2),
                "import_with_fixity_mb_per_s": round(mb / import_s, 1),
                "search_ms": {
                    "p50": pct(searches, 0.5),
                    "p99": pct(searches, 0.99),
                    "mean": round(statistics.fmean(searches), 2),
                },
                "machine": machine(),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
