"""One reporting period of the demo two-level regime (communes -> province -> Government) over
real HTTP, on SQLite and PostgreSQL: commune A fills the web form (/bao-cao, signed in as a
reporting officer), commune B downloads the XLSX template over the API, fills it and uploads it
(late), commune C saves and submits through the JSON API, is returned with a comment by the
province's officer on the web and resubmits; a commune of another province reports too. The
consolidated figures of the province and of the Government equal an independent computation
here, and the timeliness table flags on-time, late and returned units."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.reporting.wiring import Reporting
from lienthong.text import vn_figure, vn_number
from lienthong.trust.pdf_validation import current_trust
from lienthong.trust.pki import DemoPKI
from lienthong.web.app import create_app
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, container_for, register
from tests.support_pdf import pdf_text
from tests.web_server import ThreadedServer

PERIOD = "2026-M04"  # cut-off 14 Apr 2026; communes due Thu 16 Apr, provinces 25 Apr
START = datetime(2026, 4, 15, 9, 0, tzinfo=VN_TZ)
COMMUNE_A, COMMUNE_B, COMMUNE_C = "000.11.38.H41", "000.05.31.H41", "000.12.38.H41"
COMMUNE_D = "000.03.21.H14"
UNITS = {
    GOV_OFFICE: ("Văn phòng Chính phủ", 1, None),
    NGHE_AN: ("UBND tỉnh Nghệ An", 1, None),
    CAO_BANG: ("UBND tỉnh Cao Bằng", 1, None),
    COMMUNE_A: ("UBND xã Nghi Phong", 2, NGHE_AN),
    COMMUNE_B: ("UBND phường Hưng Bình", 2, NGHE_AN),
    COMMUNE_C: ("UBND xã Nghi Thái", 2, NGHE_AN),
    COMMUNE_D: ("UBND phường Hợp Giang", 2, CAO_BANG),
}
PASSWORD = "mat-khau-dai-1"
SECTIONS = {"I": "Hoàn thành các chỉ tiêu.", "III": "Tiếp tục cải cách hành chính."}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def figures(seed: int) -> dict[str, float]:
    boys, girls = 3 + seed, 2 + 2 * seed
    return {
        "POP": 1000 + 37 * seed,
        "BIRTHS": boys + girls,
        "BIRTHS.NAM": boys,
        "BIRTHS.NU": girls,
        "HOUSEHOLDS": 300 + 11 * seed,
        "POOR": 20 + 3 * seed,
        "REVENUE": 100.5 * (seed + 1),
        "SCHOOL": 90 + seed,
        "PROCEDURES": 7 * seed,
    }


def vn(value: float) -> str:
    """A number the Vietnamese way: 1.234,5."""
    shown = f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return shown.removesuffix(",0")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI.create(
        tmp_path_factory.mktemp("channels-pki"),
        agencies=[(c, n) for c, (n, _l, _p) in UNITS.items()],
        signers=[(c, f"Chủ tịch {n}", "Chủ tịch") for c, (n, _l, _p) in UNITS.items()],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )


@dataclass
class Hub:
    url: str
    clock: FixedClock
    secrets: dict[str, str]
    reporting: Reporting

    def api(self, code: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1/reporting", auth=(code, self.secrets[code]), timeout=30
        )

    def web(self, username: str) -> httpx.Client:
        """A browser-like client signed in through /dang-nhap (login CSRF cookie and field)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        page = client.get("/dang-nhap", params={"next": "/bao-cao"})
        assert page.status_code == 200, page.text
        signed = client.post(
            "/dang-nhap",
            data={
                "username": username,
                "password": PASSWORD,
                "csrf_token": token_of(page.text),
                "next": "/bao-cao",
            },
        )
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/bao-cao"
        return client


@pytest.fixture
def hub(db: Database, tmp_path: Path, pki: DemoPKI) -> Iterator[Hub]:
    clock = FixedClock(START)
    container = container_for(db, tmp_path, clock, pki_dir=pki.out_dir)
    secrets = {
        code: register(container, code, name, level, parent_code=parent)
        for code, (name, level, parent) in UNITS.items()
    }
    accounts = AccountService(db, clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    accounts.create_user(
        "baocao.xa", "Lê Thị Báo Cáo", COMMUNE_A, [Role.REPORTING_OFFICER], PASSWORD
    )
    accounts.create_user(
        "baocao.tinh", "Trần Văn Tổng Hợp", NGHE_AN, [Role.REPORTING_OFFICER], PASSWORD
    )
    assert container.reporting is not None
    container.reporting.definitions.ensure_demo_regime()  # the demo regime lives in the store
    server = ThreadedServer(create_app(container=container)).start()
    try:
        yield Hub(server.url, clock, secrets, container.reporting)
    finally:
        server.stop()
        container.close()


EXPORT = re.compile(r'href="(/bao-cao/trung-tam/tong-hop\.(xlsx|pdf)\?[^"]+)"')


def token_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "a form with a CSRF token"
    return found.group(1)


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def flashed(answer: httpx.Response, message: str) -> None:
    """A page action redirects back with ``tb`` (done) and never ``loi`` (refused)."""
    assert answer.status_code == 303, answer.text
    location = httpx.URL(answer.headers["location"])
    assert "loi" not in location.params, location.params.get("loi")
    assert message in location.params.get("tb", ""), location


def submit_by_web_form(web: httpx.Client, values: dict[str, float]) -> int:
    here = f"/bao-cao/ky/KTXH/{PERIOD}"
    form = web.get(here)
    assert form.status_code == 200, form.text
    data = {"csrf_token": token_of(form.text)}
    data |= {f"o_{cell}": vn(value) for cell, value in values.items()}
    data |= {f"muc_{code}": text for code, text in SECTIONS.items()}
    flashed(web.post(here, data=data), "Đã lưu bản nháp.")
    form = web.get(here)
    found = re.search(r'action="/bao-cao/nop/(\d+)"', form.text)
    assert found, "the sign-and-submit button of the saved draft"
    sid = int(found.group(1))
    confirm = web.get(f"/bao-cao/nop/{sid}")
    assert confirm.status_code == 200 and "Xác nhận gửi" in confirm.text, confirm.text
    done = web.post(
        f"/bao-cao/nop/{sid}", data={"csrf_token": token_of(confirm.text), "xac_nhan": "1"}
    )
    flashed(done, "Đã ký số và gửi báo cáo")
    return sid


def filled_template(client: httpx.Client, values: dict[str, float]) -> bytes:
    got = client.get(f"/KTXH/{PERIOD}/template.xlsx")
    assert got.status_code == 200, got.text
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb["Số liệu"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(6, ws.max_row + 1)}
    for cell, value in values.items():
        code, _, option = cell.partition(".")
        column = {"": 4, "NAM": 5, "NU": 6}[option]
        ws.cell(row=rows[code], column=column, value=value)
    wb["Đề cương"]["C2"] = SECTIONS["I"]
    wb["Đề cương"]["C4"] = SECTIONS["III"]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timeliness(client: httpx.Client) -> dict[str, str]:
    rows = ok(client.get("/inbox", params={"regime": "KTXH", "period": PERIOD}))
    return {r["unit"]: r["timeliness"] for r in rows}


def expected(reports: list[dict[str, float]]) -> dict[str, float]:
    """The consolidation, computed independently: sums, the mean of the average indicator and
    the ratio recomputed from the summed numerator and denominator."""
    out = {cell: sum(r[cell] for r in reports) for cell in reports[0]}
    out["SCHOOL"] = sum(r["SCHOOL"] for r in reports) / len(reports)
    out["POOR_RATE"] = out["POOR"] / out["HOUSEHOLDS"] * 100
    return out


def test_three_channels_a_late_unit_and_a_return_consolidate_and_flag_timeliness(
    hub: Hub,
) -> None:
    a_web = hub.web("baocao.xa")
    b, c, d = hub.api(COMMUNE_B), hub.api(COMMUNE_C), hub.api(COMMUNE_D)
    province, cao_bang, gov = hub.api(NGHE_AN), hub.api(CAO_BANG), hub.api(GOV_OFFICE)
    values = {COMMUNE_A: figures(1), COMMUNE_C: figures(3), COMMUNE_D: figures(4)}

    # Wed 15 Apr: A through the web form, C and D through the JSON API
    sid_a = submit_by_web_form(a_web, values[COMMUNE_A])
    saved = ok(c.put(f"/KTXH/{PERIOD}", json={"values": values[COMMUNE_C], "sections": SECTIONS}))
    assert saved["channel"] == "api"
    sid_c = saved["id"]
    assert ok(c.post(f"/submissions/{sid_c}/submit"))["state"] == "submitted"
    sid_d = ok(d.put(f"/KTXH/{PERIOD}", json={"values": values[COMMUNE_D], "sections": SECTIONS}))[
        "id"
    ]
    assert ok(d.post(f"/submissions/{sid_d}/submit"))["state"] == "submitted"

    # the province's officer returns C's report with a comment, on the web
    officer = hub.web("baocao.tinh")
    page = officer.get(f"/bao-cao/ban/{sid_c}")
    assert page.status_code == 200, page.text
    comment = "Số hộ nghèo chưa khớp với kết quả rà soát."
    back = officer.post(
        f"/bao-cao/tiep-nhan/{sid_c}",
        data={"csrf_token": token_of(page.text), "quyet_dinh": "tra-lai", "y_kien": comment},
    )
    flashed(back, "Đã trả lại báo cáo")
    assert timeliness(province) == {
        COMMUNE_A: "on_time",
        COMMUNE_B: "pending",  # due tomorrow
        COMMUNE_C: "returned",
    }
    (returned,) = ok(c.get("/submissions", params={"regime": "KTXH", "period": PERIOD}))
    assert (returned["state"], returned["comment"]) == ("returned", comment)

    # Thu 16 Apr, afternoon: C corrects and resubmits before the deadline; decisions
    hub.clock.set(datetime(2026, 4, 16, 16, 0, tzinfo=VN_TZ))
    values[COMMUNE_C] = figures(3) | {"POOR": 31.0}
    fixed = ok(c.put(f"/KTXH/{PERIOD}", json={"values": values[COMMUNE_C], "sections": SECTIONS}))
    assert fixed["id"] == sid_c
    assert ok(c.post(f"/submissions/{sid_c}/submit"))["state"] == "submitted"
    for sid in (sid_a, sid_c):
        assert ok(province.post(f"/submissions/{sid}/accept"))["state"] == "accepted"
    assert ok(cao_bang.post(f"/submissions/{sid_d}/accept"))["state"] == "accepted"
    assert timeliness(province)[COMMUNE_B] == "pending"  # due until the end of today

    # Fri 17 Apr: B, late, downloads the template over the API, fills it and uploads it
    hub.clock.set(datetime(2026, 4, 17, 10, 0, tzinfo=VN_TZ))
    values[COMMUNE_B] = figures(2)
    assert timeliness(province)[COMMUNE_B] == "missing"
    up = ok(b.post("/upload", content=filled_template(b, values[COMMUNE_B])))
    assert up["channel"] == "xlsx" and up["values"]["REVENUE"] == values[COMMUNE_B]["REVENUE"]
    assert ok(b.post(f"/submissions/{up['id']}/submit"))["state"] == "submitted"
    # accepted on the web: the officer lands on that period's consolidated figures, with it
    officer = hub.web("baocao.tinh")  # a new day, a new session
    page = officer.get(f"/bao-cao/ban/{up['id']}")
    # the report reads as the form does: each cell named, the ratio computed
    b_values = values[COMMUNE_B]
    assert "Số trẻ em sinh ra trong kỳ – Nam (trẻ)" in page.text
    rate = 100 * b_values["POOR"] / b_values["HOUSEHOLDS"]
    assert f"<td>{vn_figure(rate)}</td>" in page.text
    answer = officer.post(
        f"/bao-cao/tiep-nhan/{up['id']}",
        data={"csrf_token": token_of(page.text), "quyet_dinh": "chap-nhan"},
    )
    flashed(answer, "số liệu đã được tổng hợp")
    location = httpx.URL(answer.headers["location"])
    assert location.path == "/bao-cao/trung-tam"
    assert (location.params["ky"], location.params["don_vi"]) == (PERIOD, NGHE_AN)
    centre = officer.get(str(location))
    assert "Đã chấp nhận báo cáo" in centre.text
    total = sum(v["POP"] for v in (values[COMMUNE_A], values[COMMUNE_B], values[COMMUNE_C]))
    assert f"<td>{vn_number(total)}</td>" in centre.text  # a head count, not "1.234,00"
    # and so do its exports, through the links on that page (issue 12, defect 1)
    links = {fmt: url for url, fmt in EXPORT.findall(centre.text)}
    assert set(links) == {"xlsx", "pdf"}
    sheet = load_workbook(io.BytesIO(officer.get(links["xlsx"].replace("&amp;", "&")).content))
    rows = {r[0]: r for r in sheet["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    # columns: code, name, unit, kỳ báo cáo, lũy kế, ...; REVENUE is reported cumulatively
    # (lũy kế), and its own April figure needs Q1's, which nobody reported here
    assert rows["POP"][3] == total and rows["REVENUE"][4] == pytest.approx(
        sum(v["REVENUE"] for v in (values[COMMUNE_A], values[COMMUNE_B], values[COMMUNE_C]))
    )
    assert rows["REVENUE"][3] is None
    pdf = officer.get(links["pdf"].replace("&amp;", "&"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert vn_number(total) in pdf_text(pdf.content)

    # the timeliness table: measured on the first send against the legal deadline
    rows = ok(province.get("/inbox", params={"regime": "KTXH", "period": PERIOD}))
    assert {r["unit"]: (r["state"], r["timeliness"]) for r in rows} == {
        COMMUNE_A: ("accepted", "on_time"),
        COMMUNE_B: ("accepted", "late"),
        COMMUNE_C: ("accepted", "on_time"),  # returned, resubmitted in time
    }
    assert {r["deadline"] for r in rows} == {"2026-04-16"}
    assert timeliness(cao_bang) == {COMMUNE_D: "on_time"}
    assert timeliness(gov) == {NGHE_AN: "pending", CAO_BANG: "pending"}  # due 25 Apr

    # consolidated figures equal the independent computation over the accepted reports
    nghe_an = expected([values[COMMUNE_A], values[COMMUNE_B], values[COMMUNE_C]])
    national = expected(list(values.values()))
    for client, node, want in ((province, NGHE_AN, nghe_an), (gov, GOV_OFFICE, national)):
        got = ok(client.get("/figures", params={"regime": "KTXH", "period": PERIOD}))
        assert got["node"] == node
        assert set(got["figures"]) == set(want)
        for cell, value in want.items():
            assert got["figures"][cell] == pytest.approx(value), (node, cell)
    assert nghe_an["POP"] != national["POP"]  # the Government's total is not one province's


def test_the_hub_renews_its_demo_revocation_list_so_signed_reports_pass_after_a_day(
    hub: Hub,
) -> None:
    source = hub.reporting.service.trust
    assert source is not None
    first = current_trust(source)
    hub.clock.advance(timedelta(hours=11))
    assert current_trust(source) is first
    hub.clock.advance(timedelta(days=2))
    assert current_trust(source) is not first
    c = hub.api(COMMUNE_C)
    saved = ok(c.put(f"/KTXH/{PERIOD}", json={"values": figures(1), "sections": SECTIONS}))
    done = ok(c.post(f"/submissions/{saved['id']}/submit"))
    assert (done["state"], done["signer"] is not None) == ("submitted", True)
