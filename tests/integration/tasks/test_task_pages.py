"""The task screens over real HTTP: the Government Office's task officer assigns from a
conclusion notice on the form, the ministry receives, reports, asks an extension and proposes
completion, the office grants and confirms; the steering page shows it. Another agency's user
gets 404 and a post without the anti-forgery token changes nothing."""

from __future__ import annotations

import re

import httpx

from lienthong.accounts.model import Role
from tests.integration.tasks.conftest import MOF, NGHE_AN, VPCP, Hub

PASSWORD = "mat-khau-dai-du-16"


def signed_in(hub: Hub, username: str, agency: str, role: Role) -> tuple[httpx.Client, str]:
    accounts = hub.container.accounts
    assert accounts is not None
    accounts.create_user(username, f"Người dùng {username}", agency, [role], PASSWORD)
    client = httpx.Client(base_url=hub.url, timeout=20, follow_redirects=False)
    page = client.get("/dang-nhap")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/dang-nhap",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    listing = client.get("/nhiem-vu")
    assert listing.status_code == 200, listing.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing.text)
    assert csrf is not None
    return client, csrf.group(1)


def post(client: httpx.Client, csrf: str, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, **data})


def test_assign_report_extend_complete_and_steer_on_the_pages(hub: Hub) -> None:
    office, office_csrf = signed_in(hub, "theodoi", VPCP, Role.TASK_OFFICER)
    ministry, mof_csrf = signed_in(hub, "chuyenvien.btc", MOF, Role.SPECIALIST)

    form = office.get("/nhiem-vu/giao")
    assert "Bộ Tài chính" in form.text  # the lead is picked by name
    refused = post(office, office_csrf, "/nhiem-vu/giao", title="Không có cơ quan chủ trì")
    assert refused.status_code == 422
    assert "cơ quan chủ trì" in refused.text and "Không có cơ quan chủ trì" in refused.text
    created = post(
        office,
        office_csrf,
        "/nhiem-vu/giao",
        source_kind="Thông báo kết luận",
        notation="12/TB-VPCP",
        signer="Trần Văn Sơn",
        signed_on="2027-01-04",
        title="Sửa đổi Nghị định về hóa đơn điện tử",
        content="Bộ Tài chính chủ trì nghiên cứu, trình Chính phủ.",
        authority="prime_minister",
        lead="Bộ Tài chính",
        output="legal_draft",
        deadline_kind="date",
        due_on="2027-02-06",
    )
    assert created.status_code == 303, created.text
    path = created.headers["location"].split("?")[0]
    code = path.rsplit("/", 1)[1]
    page = office.get(created.headers["location"]).text
    assert "Đã giao nhiệm vụ." in page and "Thông báo kết luận số 12/TB-VPCP" in page
    assert "tính đến 11/02/2027" in page  # Sat 6 Feb is Tết: the deadline rolls

    # The ministry's list shows it; another agency's user does not even see it.
    assert code in ministry.get("/nhiem-vu").text
    stranger, stranger_csrf = signed_in(hub, "lanhdao.nghean", NGHE_AN, Role.LEADER)
    assert stranger.get(path).status_code == 404
    assert post(stranger, stranger_csrf, f"{path}/receive").status_code == 404
    # Without the anti-forgery token nothing changes.
    forged = ministry.post(f"{path}/receive", data={})
    assert forged.status_code == 403
    assert "Đã giao" in ministry.get(path).text

    assert post(ministry, mof_csrf, f"{path}/receive").status_code == 303
    assert (
        post(ministry, mof_csrf, f"{path}/report_progress", text="Đã lấy ý kiến").status_code == 303
    )
    extension = post(
        ministry,
        mof_csrf,
        f"{path}/request_extension",
        text="Chờ ý kiến thẩm định của Bộ Tư pháp",
        due_on="2027-03-15",
    )
    assert extension.status_code == 303
    assert (
        post(office, office_csrf, f"{path}/grant_extension", due_on="2027-03-15").status_code == 303
    )
    # Without evidence the proposal is refused and what was typed stays.
    no_proof = post(ministry, mof_csrf, f"{path}/propose_complete", text="Đã trình")
    assert no_proof.status_code == 422 and "Đã trình" in no_proof.text
    with_file = ministry.post(
        f"{path}/propose_complete",
        data={"csrf_token": mof_csrf, "text": "Đã trình Chính phủ"},
        files={"evidence": ("to-trinh.pdf", b"%PDF-1.7 to trinh", "application/pdf")},
    )
    assert with_file.status_code == 303
    confirmed = post(office, office_csrf, f"{path}/confirm_complete")
    assert confirmed.status_code == 303
    final = office.get(path).text
    assert "Đã hoàn thành" in final and "Hoàn thành đúng hạn" in final
    assert "hạn ban đầu 06/02/2027, đã gia hạn 1 lần" in final
    for step in ("Tiếp nhận", "Báo cáo tiến độ", "Đề nghị gia hạn", "Đồng ý gia hạn"):
        assert step in final

    steering = office.get("/dieu-hanh")
    assert steering.status_code == 200
    assert "Xếp hạng cơ quan chủ trì" in steering.text and "Bộ Tài chính" in steering.text
    assert "100%" in steering.text
    assert "xác nhận hoàn thành 1" in steering.text  # what changed in the last 24 hours
    stats = office.get("/nhiem-vu/thong-ke").text
    assert "Bộ Tài chính" in stats


def test_only_task_officers_assign(hub: Hub) -> None:
    ministry, csrf = signed_in(hub, "chuyenvien.btc", MOF, Role.SPECIALIST)
    assert ministry.get("/nhiem-vu/giao").status_code == 403
    answer = post(ministry, csrf, "/nhiem-vu/giao", title="x", lead="Bộ Tài chính")
    assert answer.status_code == 403
    assert hub.stored() == (0, 0)


def test_the_exports_hold_the_rows_and_keep_formulas_as_text(hub: Hub) -> None:
    import io

    from openpyxl import load_workbook

    office, csrf = signed_in(hub, "theodoi", VPCP, Role.TASK_OFFICER)
    hostile = '=HYPERLINK("http://attacker.example/","Mở")'
    created = post(
        office,
        csrf,
        "/nhiem-vu/giao",
        title=hostile,
        lead="Bộ Tài chính",
        deadline_kind="date",
        due_on="2027-02-01",
    )
    assert created.status_code == 303, created.text
    listing = office.get("/nhiem-vu/xuat.xlsx")
    assert listing.status_code == 200
    sheet = load_workbook(io.BytesIO(listing.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã nhiệm vụ" and rows[1][1] == hostile
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, never a formula
    assert rows[1][5] == "Bộ Tài chính" and rows[1][9] == "Trong hạn"
    stats = load_workbook(io.BytesIO(office.get("/nhiem-vu/thong-ke.xlsx").content)).active
    assert stats is not None
    values = list(stats.iter_rows(values_only=True))
    assert values[1][:3] == (MOF, "Bộ Tài chính", 1)
