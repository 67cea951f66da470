"""Work files on a real hub (SQLite and PostgreSQL): the file list, filing the documents an
agency sent or received, closing, transfer as a BagIt package and its receipt, appraisal and
destruction; every refusal with its code and nothing written."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.agencies.model import local_date
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.edxml.model import SignerInfo
from lienthong.errors import ErrorCode, LienthongError
from lienthong.records.model import FileState, PlanEntry, Retention
from lienthong.records.service import RecordService
from lienthong.records.store import count_rows
from lienthong.web.container import Container
from tests.support import (
    FINANCE,
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    counts,
    document_bytes,
    register,
    send,
)
from tests.support_pdf import draft_pdf

YEAR = local_date(NOW).year
PDF = draft_pdf(pages=3)


@dataclass
class Hub:
    container: Container
    clock: FixedClock
    records: RecordService
    document_id: str

    def rows(self) -> dict[str, int]:
        with self.container.db.read() as session:
            return count_rows(session)


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    for code, name in (
        (GOV_OFFICE, "Văn phòng Chính phủ"),
        (NGHE_AN, "UBND tỉnh Nghệ An"),
        (FINANCE, "Bộ Tài chính"),
    ):
        register(container, code, name)
    sent = send(
        container,
        GOV_OFFICE,
        document_bytes(
            GOV_OFFICE,
            [NGHE_AN],
            subject="V/v triển khai kết nối trục liên thông văn bản",
            attachments={"cong-van.pdf": PDF},
            signer=SignerInfo(
                competence="KT. BỘ TRƯỞNG", position="Thứ trưởng", full_name="Nguyễn Văn Minh"
            ),
        ),
    )
    assert sent.document_id is not None
    records = RecordService(
        container.db,
        clock,
        container.blobs,
        names={a.code: a.name for a in container.agencies.list_all()},
    )
    yield Hub(container, clock, records, sent.document_id)


def plan(hub: Hub, agency: str = GOV_OFFICE, retention: int | None = 10) -> None:
    hub.records.import_plan(
        agency,
        YEAR,
        [
            PlanEntry(
                "01.05",
                "Hồ sơ triển khai kết nối trục liên thông",
                Retention(retention),
                "Trần Thị Hoa",
            ),
            PlanEntry("02.01", "Hồ sơ báo cáo định kỳ", Retention(None), "Lê Văn Nam"),
        ],
        actor="vanthu.vpcp",
    )


def filed(hub: Hub, agency: str = GOV_OFFICE, retention: int | None = 10) -> int:
    plan(hub, agency, retention)
    work = hub.records.open_file(agency, YEAR, "01.05", actor="vanthu")
    hub.records.file_document(agency, work.row.id, hub.document_id, actor="vanthu")
    return work.row.id


def refused(code: ErrorCode, hub: Hub, call: object, *args: object, **kw: object) -> None:
    before, blobs = hub.rows(), counts(hub.container).blobs
    with pytest.raises(LienthongError) as err:
        call(*args, **kw)  # type: ignore[operator]
    assert err.value.code is code, err.value
    assert hub.rows() == before
    assert counts(hub.container).blobs == blobs


def test_a_filed_document_carries_the_metadata_the_hub_knows(hub: Hub) -> None:
    file_id = filed(hub)
    work = hub.records.file(GOV_OFFICE, file_id)
    (item,) = work.items
    assert item.pages == 3
    assert item.meta["number_notation"] == "101/VPCP-TTĐT"
    assert item.meta["issuer"] == "Văn phòng Chính phủ"
    assert item.meta["signer"] == "Nguyễn Văn Minh"
    assert item.meta["subject"] == "V/v triển khai kết nối trục liên thông văn bản"
    assert item.meta["signed"] is True and item.meta["signature"]
    assert work.row.code == f"{GOV_OFFICE}.{YEAR}.01.05"
    assert work.problems() == []
    assert work.as_dict()["page_count"] == 3


def test_the_recipient_files_its_copy_and_another_agency_cannot(hub: Hub) -> None:
    filed(hub, NGHE_AN)
    plan(hub, FINANCE)
    other = hub.records.open_file(FINANCE, YEAR, "01.05", actor="vanthu.btc")
    refused(
        ErrorCode.RECORD_DOCUMENT_NOT_FOUND,
        hub,
        hub.records.file_document,
        FINANCE,
        other.row.id,
        hub.document_id,
        actor="vanthu.btc",
    )
    refused(
        ErrorCode.RECORD_DOCUMENT_NOT_FOUND,
        hub,
        hub.records.file_document,
        FINANCE,
        other.row.id,
        "no-such-document",
        actor="vanthu.btc",
    )


def test_a_file_of_another_agency_does_not_exist_for_it(hub: Hub) -> None:
    file_id = filed(hub)
    refused(ErrorCode.RECORD_FILE_NOT_FOUND, hub, hub.records.file, NGHE_AN, file_id)
    refused(
        ErrorCode.RECORD_FILE_NOT_FOUND,
        hub,
        hub.records.close,
        NGHE_AN,
        file_id,
        actor="vanthu.na",
    )


def test_a_file_list_with_a_wrong_line_is_refused_whole(hub: Hub) -> None:
    entries = [
        PlanEntry("01.05", "Hồ sơ kết nối", Retention(10), "Trần Thị Hoa"),
        PlanEntry("01.05", "Trùng số", Retention(5), "Trần Thị Hoa"),
    ]
    before = hub.rows()
    with pytest.raises(LienthongError) as err:
        hub.records.import_plan(GOV_OFFICE, YEAR, entries, actor="vanthu")
    assert err.value.code is ErrorCode.RECORD_PLAN_INVALID
    assert err.value.detail["problems"] == ["line 2: the file code 01.05 appears twice"]
    assert hub.rows() == before


def test_a_file_opens_once_and_only_from_its_file_list(hub: Hub) -> None:
    plan(hub)
    refused(
        ErrorCode.RECORD_PLAN_ENTRY_UNKNOWN,
        hub,
        hub.records.open_file,
        GOV_OFFICE,
        YEAR,
        "09.99",
        actor="vanthu",
    )
    hub.records.open_file(GOV_OFFICE, YEAR, "01.05", actor="vanthu")
    refused(
        ErrorCode.RECORD_FILE_EXISTS,
        hub,
        hub.records.open_file,
        GOV_OFFICE,
        YEAR,
        "01.05",
        actor="vanthu",
    )


def test_an_incomplete_file_stays_open_and_a_closed_one_is_read_only(hub: Hub) -> None:
    plan(hub)
    empty = hub.records.open_file(GOV_OFFICE, YEAR, "02.01", actor="vanthu")
    before = hub.rows()
    with pytest.raises(LienthongError) as err:
        hub.records.close(GOV_OFFICE, empty.row.id, actor="vanthu")
    assert err.value.code is ErrorCode.RECORD_FILE_INCOMPLETE
    assert "file: it holds no document" in err.value.detail["problems"]
    assert hub.rows() == before
    assert hub.records.file(GOV_OFFICE, empty.row.id).row.state == FileState.OPEN

    file_id = filed(hub)
    closed = hub.records.close(GOV_OFFICE, file_id, actor="vanthu")
    assert closed.row.state == FileState.CLOSED and closed.row.end_on is not None
    refused(
        ErrorCode.RECORD_FILE_READ_ONLY,
        hub,
        hub.records.add_material,
        GOV_OFFICE,
        file_id,
        "bien-ban.pdf",
        PDF,
        actor="vanthu",
    )
    refused(
        ErrorCode.RECORD_REASON_REQUIRED,
        hub,
        hub.records.reopen,
        GOV_OFFICE,
        file_id,
        actor="vanthu",
        reason=" ",
    )
    reopened = hub.records.reopen(GOV_OFFICE, file_id, actor="vanthu", reason="Bổ sung biên bản")
    assert reopened.row.state == FileState.OPEN
    actions = [e.action for e in hub.records.history(GOV_OFFICE, file_id)]
    assert actions == ["opened", "filed", "close", "reopen"]


def test_a_closed_file_travels_to_the_archive_and_comes_back_with_a_receipt(
    hub: Hub, tmp_path: Path
) -> None:
    file_id = filed(hub)
    hub.records.add_material(GOV_OFFICE, file_id, "../biên bản họp.pdf", PDF, actor="vanthu")
    refused(
        ErrorCode.RECORD_STATE_INVALID,
        hub,
        hub.records.export_package,
        GOV_OFFICE,
        file_id,
        tmp_path / "early.zip",
        actor="vanthu",
    )
    hub.records.close(GOV_OFFICE, file_id, actor="vanthu")
    package = tmp_path / "goi.zip"
    manifest = hub.records.export_package(GOV_OFFICE, file_id, package, actor="vanthu")
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        assert zf.read("bag/data/documents/001/original/cong-van.pdf") == PDF
        assert "bag/data/documents/001/original/package.edxml" in names
        assert "bag/data/documents/001/validation.json" in names
        assert "bag/data/materials/001-bi_n_b_n_h_p.pdf" in names or any(
            n.startswith("bag/data/materials/001-") for n in names
        )
        assert "bag/manifest-sha256.txt" in names and "bag/bag-info.txt" in names
        xml = zf.read("bag/data/metadata/file.xml").decode()
        assert "<NumberNotation>101/VPCP-TTĐT</NumberNotation>" in xml
        assert "<Retention>10 năm</Retention>" in xml

    receipt = hub.records.receive_package("000.00.00.LT01", package, actor="luutru")
    assert receipt["manifest_sha256"] == manifest
    assert receipt["file_code"] == f"{GOV_OFFICE}.{YEAR}.01.05"
    again = hub.records.receive_package("000.00.00.LT01", package, actor="luutru")
    assert again == receipt  # a package received twice is kept once
    assert len(hub.records.accessions("000.00.00.LT01")) == 1

    refused(
        ErrorCode.RECORD_RECEIPT_MISMATCH,
        hub,
        hub.records.confirm_transfer,
        GOV_OFFICE,
        file_id,
        {**receipt, "manifest_sha256": "0" * 64},
        actor="vanthu",
    )
    done = hub.records.confirm_transfer(GOV_OFFICE, file_id, receipt, actor="vanthu")
    assert done.row.state == FileState.TRANSFERRED
    assert done.row.transfer_receipt == receipt


def _rezip(package: Path, out: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in change:
                replaced = change[info.filename]
                if replaced is not None:
                    dst.writestr(info.filename, replaced)
            else:
                dst.writestr(info, src.read(info))
        for name, data in change.items():
            if name not in src.namelist() and data is not None:
                dst.writestr(name, data)
    return out


@pytest.fixture
def package(hub: Hub, tmp_path: Path) -> Path:
    file_id = filed(hub)
    hub.records.close(GOV_OFFICE, file_id, actor="vanthu")
    out = tmp_path / "goi.zip"
    hub.records.export_package(GOV_OFFICE, file_id, out, actor="vanthu")
    return out


def _bomb(out: Path) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bag/data/zeros.bin", b"\0" * (64 * 1024 * 1024))
    return out


def _without_field(package: Path, out: Path) -> Path:
    with zipfile.ZipFile(package) as zf:
        xml = zf.read("bag/data/metadata/file.xml")
    start, end = xml.index(b"<Title>"), xml.index(b"</Title>") + len(b"</Title>")
    return _rezip(package, out, {"bag/data/metadata/file.xml": xml[:start] + xml[end:]})


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered", ErrorCode.RECORD_PACKAGE_FIXITY),
        ("missing file", ErrorCode.RECORD_PACKAGE_FIXITY),
        ("traversal", ErrorCode.RECORD_PACKAGE_UNSAFE),
        ("absolute", ErrorCode.RECORD_PACKAGE_UNSAFE),
        ("zip bomb", ErrorCode.RECORD_PACKAGE_TOO_LARGE),
        ("metadata", ErrorCode.RECORD_PACKAGE_FIXITY),
        ("not a zip", ErrorCode.RECORD_PACKAGE_MALFORMED),
    ],
)
def test_a_bad_package_is_refused_by_the_archive_and_nothing_is_kept(
    hub: Hub, package: Path, tmp_path: Path, case: str, code: ErrorCode
) -> None:
    bad = tmp_path / "bad.zip"
    pdf = "bag/data/documents/001/original/cong-van.pdf"
    if case == "tampered":
        _rezip(package, bad, {pdf: PDF.replace(b"Cong van", b"Cong vam", 1)})
    elif case == "missing file":
        _rezip(package, bad, {pdf: None})
    elif case == "traversal":
        _rezip(package, bad, {"bag/../../etc/cron.d/x": b"* * * * * root true"})
    elif case == "absolute":
        _rezip(package, bad, {"/tmp/x": b"x"})
    elif case == "zip bomb":
        _bomb(bad)
    elif case == "metadata":  # the metadata changed after bagging: its checksum no longer holds
        _without_field(package, bad)
    else:
        bad.write_bytes(b"PK not really" * 10)
    refused(code, hub, hub.records.receive_package, "000.00.00.LT01", bad, actor="luutru")


def test_a_package_bagged_without_a_required_field_is_refused_for_its_metadata(
    hub: Hub, package: Path, tmp_path: Path
) -> None:
    """A sender whose bag is consistent but whose metadata lacks the title."""
    import bagit

    folder = tmp_path / "rebag"
    with zipfile.ZipFile(_without_field(package, tmp_path / "t.zip")) as zf:
        zf.extractall(folder)
    bag = bagit.Bag(str(folder / "bag"))
    bag.save(manifests=True)
    rebagged = tmp_path / "rebagged.zip"
    with zipfile.ZipFile(rebagged, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    before = hub.rows()
    with pytest.raises(LienthongError) as err:
        hub.records.receive_package("000.00.00.LT01", rebagged, actor="luutru")
    assert err.value.code is ErrorCode.RECORD_PACKAGE_METADATA
    assert "Title" in err.value.detail["problems"]
    assert hub.rows() == before


def test_a_file_is_destroyed_only_after_its_retention_and_on_a_decision(hub: Hub) -> None:
    file_id = filed(hub)
    hub.records.add_material(
        GOV_OFFICE, file_id, "ghi-chu.txt", b"ghi chu", actor="vanthu", pages=1
    )
    hub.records.close(GOV_OFFICE, file_id, actor="vanthu")
    assert hub.records.appraisal(GOV_OFFICE) == []
    refused(
        ErrorCode.RECORD_RETENTION_NOT_ENDED,
        hub,
        hub.records.destroy,
        GOV_OFFICE,
        file_id,
        actor="luutru",
        decision="Quyết định số 12/QĐ-VPCP",
    )
    hub.clock.advance(timedelta(days=365 * 12))
    assert [f.row.id for f in hub.records.appraisal(GOV_OFFICE)] == [file_id]
    refused(
        ErrorCode.RECORD_DECISION_REQUIRED,
        hub,
        hub.records.destroy,
        GOV_OFFICE,
        file_id,
        actor="luutru",
        decision="",
    )
    gone = hub.records.destroy(
        GOV_OFFICE, file_id, actor="luutru", decision="Quyết định số 12/QĐ-VPCP"
    )
    assert gone.row.state == FileState.DESTROYED
    tombstone = hub.records.file(GOV_OFFICE, file_id)
    assert tombstone.row.title == "Hồ sơ triển khai kết nối trục liên thông"
    assert tombstone.row.destruction_decision == "Quyết định số 12/QĐ-VPCP"
    assert [i.content_digest for i in tombstone.items] == [None, None]
    assert tombstone.items[0].meta["number_notation"] == "101/VPCP-TTĐT"


def test_a_permanent_file_is_never_destroyed(hub: Hub) -> None:
    file_id = filed(hub, retention=None)
    hub.records.close(GOV_OFFICE, file_id, actor="vanthu")
    hub.clock.advance(timedelta(days=365 * 80))
    assert hub.records.appraisal(GOV_OFFICE) == []
    refused(
        ErrorCode.RECORD_RETENTION_NOT_ENDED,
        hub,
        hub.records.destroy,
        GOV_OFFICE,
        file_id,
        actor="luutru",
        decision="Quyết định số 12/QĐ-VPCP",
    )


@pytest.mark.parametrize("query", ["trục liên thông", "truc lien thong", "VPCP-TTĐT", "vpcp-ttd"])
def test_filed_documents_are_found_with_or_without_diacritics(hub: Hub, query: str) -> None:
    file_id = filed(hub)
    assert [f.row.id for f in hub.records.files(GOV_OFFICE, query=query)] == [file_id]
    assert [item.document_id for item, _f in hub.records.search(GOV_OFFICE, query)] == [
        hub.document_id
    ]
    assert hub.records.search(NGHE_AN, query) == []


def test_the_package_is_a_bag_the_reference_implementation_validates(
    package: Path, tmp_path: Path
) -> None:
    import bagit

    with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as zf:
        assert {n.split("/")[0] for n in zf.namelist()} == {"bag"}
        zf.extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / "bag"))
    bag.validate()  # raises BagValidationError on any checksum, oxum or completeness fault
    assert bag.version_info == (1, 0) and bag.algorithms == ["sha256"]
    assert bag.info["External-Identifier"] == f"{GOV_OFFICE}.{YEAR}.01.05"
    assert bag.info["BagIt-Profile-Identifier"] == "lienthong-records-bagit-1"


@pytest.mark.parametrize("query", ["khẩn trương rà soát", "khan truong ra soat"])
def test_the_text_inside_a_filed_pdf_is_searched_with_or_without_diacritics(
    hub: Hub, query: str
) -> None:
    from lienthong.issuance.draft import render_draft

    pdf = render_draft(
        "Văn phòng Chính phủ",
        type_name="Công văn",
        subject="V/v phòng, chống thiên tai",
        body=["Đề nghị các bộ, ngành khẩn trương rà soát phương án ứng phó."],
    )
    sent = send(
        hub.container,
        GOV_OFFICE,
        document_bytes(
            GOV_OFFICE,
            [NGHE_AN],
            number="102",
            subject="V/v phòng, chống thiên tai",
            attachments={"cong-van-102.pdf": pdf},
        ),
    )
    plan(hub)
    work = hub.records.open_file(GOV_OFFICE, YEAR, "01.05", actor="vanthu")
    hub.records.file_document(GOV_OFFICE, work.row.id, hub.document_id, actor="vanthu")
    hub.records.file_document(GOV_OFFICE, work.row.id, str(sent.document_id), actor="vanthu")
    material = render_draft(
        "Văn phòng Chính phủ",
        type_name="Biên bản",
        subject="Biên bản họp",
        body=["Các đơn vị khẩn trương rà soát danh mục."],
    )
    hub.records.add_material(GOV_OFFICE, work.row.id, "bien-ban.pdf", material, actor="vanthu")
    found = [(item.kind, item.document_id) for item, _f in hub.records.search(GOV_OFFICE, query)]
    assert sorted(found, key=str) == sorted(
        [("document", sent.document_id), ("material", None)], key=str
    )
