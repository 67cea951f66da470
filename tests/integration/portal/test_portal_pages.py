"""The portal's screens over real HTTP: citizens look up dossiers and file feedback; operators
classify, answer and publish it (redacted); the ranking flags; the XLSX export. SQLite and PG."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lienthong.accounts.model import Role
from lienthong.clock import VN_TZ
from lienthong.db import Database
from lienthong.portal.demo import dossier_item
from lienthong.portal.feedback_store import FeedbackRow
from lienthong.portal.service import PortalService
from tests.integration.portal.server import Served, serve_portal

NGHE_AN, VINH, CB_JUSTICE = "000.00.00.H41", "000.00.31.H41", "000.00.10.H14"
RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)
PASSWORD = "mat-khau-rat-dai-2026"


@pytest.fixture
def served(db: Database, tmp_path: Path) -> Iterator[Served]:
    with serve_portal(db, tmp_path) as s:
        yield s


def portal(served: Served) -> PortalService:
    c = served.container
    return PortalService(c.db, c.clock, c.agencies)


def file_feedback(client: httpx.Client, **fields: str) -> httpx.Response:
    form = client.get("/dich-vu-cong/phan-anh/gui")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {
        "form_token": token.group(1),
        "name": "Nguyễn Văn An",
        "email": "an@gmail.com",
        "phone": "0912345678",
        "subject": "Chậm trả kết quả",
        "content": "Hồ sơ của tôi (CCCD 001203004567) quá hạn, gọi 0912345678 không ai nghe.",
        "agency_code": VINH,
        **fields,
    }
    return client.post("/dich-vu-cong/phan-anh/gui", data=data)


def sign_in(client: httpx.Client, served: Served) -> str:
    accounts = served.container.accounts
    assert accounts is not None
    accounts.create_user("vanhanh", "Phạm Thị Hoa", NGHE_AN, [Role.PORTAL_OPERATOR], PASSWORD)
    page = client.get("/dang-nhap")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/dang-nhap",
        data={
            "username": "vanhanh",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/dich-vu-cong/quan-tri",
        },
    )
    assert answer.status_code == 303, answer.text
    admin = client.get("/dich-vu-cong/quan-tri/phan-anh")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', admin.text)
    assert csrf is not None
    return csrf.group(1)


def test_a_citizen_looks_up_a_dossier_and_its_history(served: Served) -> None:
    portal(served).sync_dossiers(
        NGHE_AN, [dossier_item(f"{VINH}-261116-0001", VINH, "2.000635", received=RECEIVED)]
    )
    with httpx.Client(base_url=served.url) as client:
        page = client.get("/dich-vu-cong", params={"ma": f"{VINH}-261116-0001"})
        assert page.status_code == 200
        assert "Đã tiếp nhận" in page.text and "Đăng ký khai sinh" in page.text
        assert "Nguyễn Văn An" not in page.text and "N. V. An" in page.text
        missing = client.get("/dich-vu-cong", params={"ma": "KHONG-CO"})
        assert missing.status_code == 404 and "Không tìm thấy hồ sơ" in missing.text


def test_feedback_goes_from_filing_to_a_redacted_publication(served: Served) -> None:
    with (
        httpx.Client(base_url=served.url) as citizen,
        httpx.Client(base_url=served.url) as operator,
    ):
        filed = file_feedback(citizen)
        assert filed.status_code == 303
        code = re.search(r"ma=([A-Z0-9-]+)", filed.headers["location"]).group(1)  # type: ignore[union-attr]
        tracked = citizen.get(filed.headers["location"])
        assert code in tracked.text and "Đã tiếp nhận" in tracked.text
        csrf = sign_in(operator, served)
        base = f"/dich-vu-cong/quan-tri/phan-anh/{code}"
        assert (
            operator.post(
                f"{base}/phan-loai",
                data={"csrf_token": csrf, "classification": "VALID", "agency": VINH},
            ).status_code
            == 303
        )
        answer_text = "Đã trả kết quả cho ông Nguyễn Văn An ngày 20/11; liên hệ 0912345678."
        assert (
            operator.post(
                f"{base}/tra-loi", data={"csrf_token": csrf, "text": answer_text}
            ).status_code
            == 303
        )
        assert (
            operator.post(f"{base}/tra-loi", data={"csrf_token": "forged", "text": "x"}).status_code
            == 403
        )
        with served.container.db.read() as session:
            item = session.scalars(select(FeedbackRow)).one()
            session.expunge(item)
        hidden = citizen.get(f"/dich-vu-cong/phan-anh/cong-khai/{item.id}")
        assert hidden.status_code == 404  # answered, not yet published
        assert operator.post(f"{base}/cong-khai", data={"csrf_token": csrf}).status_code == 303
        public = citizen.get(f"/dich-vu-cong/phan-anh/cong-khai/{item.id}")
        assert public.status_code == 200
        for secret in ("Nguyễn Văn An", "0912345678", "001203004567", "an@gmail.com"):
            assert secret not in public.text
        assert "Đã trả kết quả" in public.text
        assert (
            "Đã công khai kết quả" in citizen.get(f"/dich-vu-cong/phan-anh/tra-cuu?ma={code}").text
        )
        stats = operator.get("/dich-vu-cong/quan-tri/phan-anh").text
        assert "Đã trả lời (100%)" in stats
        assert (
            operator.post(
                f"{base}/mo-lai", data={"csrf_token": csrf, "text": "Chưa thỏa đáng"}
            ).status_code
            == 303
        )
        assert citizen.get(f"/dich-vu-cong/phan-anh/cong-khai/{item.id}").status_code == 404


def test_the_operator_routes_feedback_by_agency_name_and_reads_a_vietnamese_history(
    served: Served,
) -> None:
    """A citizen who names no agency: the operator picks it from the registered agencies (by
    name), a refusal keeps the answer typed, and the history names people and steps in
    Vietnamese (no login names, no ``classify``)."""
    vinh = served.container.agencies.get(VINH).name
    with (
        httpx.Client(base_url=served.url) as citizen,
        httpx.Client(base_url=served.url) as operator,
    ):
        form = citizen.get("/dich-vu-cong/phan-anh/gui").text
        assert f'<option value="{VINH}">{vinh}</option>' in form
        filed = file_feedback(citizen, agency_code="")
        code = filed.headers["location"].split("ma=")[1].split("&")[0]
        csrf = sign_in(operator, served)
        base = f"/dich-vu-cong/quan-tri/phan-anh/{code}"
        item = operator.get(base).text
        assert f'<option value="{VINH}">{vinh}</option>' in item and "Chưa chuyển" in item
        refused = operator.post(
            f"{base}/phan-loai", data={"csrf_token": csrf, "classification": "VALID"}
        )
        assert refused.status_code == 400
        assert "hãy chọn cơ quan" in refused.text
        assert "Đã tiếp nhận" in refused.text  # nothing changed
        unknown = operator.post(
            f"{base}/phan-loai",
            data={"csrf_token": csrf, "classification": "VALID", "agency": "000.99.99.Z99"},
        )
        assert unknown.status_code >= 400 and "Cơ quan không có trong danh mục." in unknown.text
        assert 'value="000.99.99.Z99"' in unknown.text  # what was typed stays
        routed = operator.post(
            f"{base}/phan-loai",
            data={"csrf_token": csrf, "classification": "VALID", "agency": VINH},
        )
        assert routed.status_code == 303
        empty = operator.post(f"{base}/tra-loi", data={"csrf_token": csrf, "text": "   "})
        assert empty.status_code == 400
        page = operator.get(base).text
        history = page.split("<h2>Lịch sử</h2>")[1]
        assert "Người gửi · Gửi phản ánh, kiến nghị → Đã tiếp nhận" in history
        assert "Phạm Thị Hoa" in history and "Phân loại và chuyển" in history
        assert "vanhanh" not in history and "citizen" not in history and "classify" not in history
        listing = operator.get("/dich-vu-cong/quan-tri/phan-anh").text
        assert f"<td>{vinh}</td>" in listing and f"<td>{VINH}</td>" not in listing


def test_a_citizen_cannot_read_others_unpublished_feedback(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        file_feedback(client)
        with served.container.db.read() as session:
            item = session.scalars(select(FeedbackRow)).one()
            session.expunge(item)
        assert client.get(f"/dich-vu-cong/phan-anh/cong-khai/{item.id}").status_code == 404
        guess = client.get("/dich-vu-cong/phan-anh/tra-cuu", params={"ma": "PA-AAAA-AAAA-AAAA"})
        assert guess.status_code == 404 and item.content not in guess.text
        assert item.content not in client.get("/dich-vu-cong/phan-anh/cong-khai").text


def test_feedback_spam_from_one_address_is_rate_limited(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        answers = [file_feedback(client, subject=f"Phản ánh {n}").status_code for n in range(6)]
        assert answers == [303] * 5 + [429]
        incomplete = file_feedback(client, content="ngắn")
        assert incomplete.status_code == 400  # PORTAL_FEEDBACK_INVALID; nothing stored either way
    with served.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackRow)) == 5


def test_citizen_forms_without_the_form_token_are_refused(served: Served) -> None:
    answer = httpx.post(
        f"{served.url}/dich-vu-cong/phan-anh/gui", data={"name": "A", "content": "x" * 20}
    )
    assert answer.status_code == 403
    with served.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackRow)) == 0


def test_operators_see_the_dashboard_ranking_corrections_and_export(served: Served) -> None:
    service = portal(served)
    items = [
        dossier_item(f"{VINH}-261116-{n:04d}", VINH, "" if n % 2 else "2.000635", received=RECEIVED)
        for n in range(1, 11)
    ]
    service.sync_dossiers(NGHE_AN, items)
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/dich-vu-cong/quan-tri").status_code == 303  # sign in first
        csrf = sign_in(client, served)
        dashboard = client.get("/dich-vu-cong/quan-tri", params={"tu": "2026-11", "den": "2026-11"})
        assert "UBND tỉnh Nghệ An" in dashboard.text and "<svg" in dashboard.text
        ranking = client.get(
            "/dich-vu-cong/quan-tri/xep-hang", params={"tu": "2026-11", "den": "2026-11"}
        )
        assert (
            "Trên 30% hồ sơ sai mã TTHC" in ranking.text
            and "Dưới 100 hồ sơ đồng bộ" in ranking.text
        )
        queue = client.get("/dich-vu-cong/quan-tri/hieu-chinh")
        assert queue.text.count('name="dossier_code"') == 5
        fixed = client.post(
            "/dich-vu-cong/quan-tri/hieu-chinh",
            data={
                "csrf_token": csrf,
                "dossier_code": f"{VINH}-261116-0001",
                "procedure_code": "2.000635",
            },
        )
        assert fixed.status_code == 303
        refused = client.post(
            "/dich-vu-cong/quan-tri/hieu-chinh",
            data={
                "csrf_token": csrf,
                "dossier_code": f"{VINH}-261116-0003",
                "procedure_code": "1.004227",
            },
        )
        assert refused.status_code == 422
        export = client.get(
            "/dich-vu-cong/quan-tri/xuat.xlsx", params={"tu": "2026-11", "den": "2026-11"}
        )
        book = load_workbook(io.BytesIO(export.content))
        rows = list(book["Tỉnh - Bộ, ngành"].iter_rows(values_only=True))
        nghe_an = next(r for r in rows if r[0] == NGHE_AN)
        assert (nghe_an[3], nghe_an[4]) == (10, 4)
