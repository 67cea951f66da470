"""The reporting screens when something is refused, over real HTTP on SQLite and PostgreSQL:
the web form comes back with the figures and the narrative as typed and a Vietnamese sentence
(never ``REPORT_CELL_NOT_NUMBER: A figure cell holds text…``), an XLSX with a text cell says
which cell in Vietnamese, an unknown regime is a Vietnamese 404 page, not raw JSON, levels and
channels are named in Vietnamese, a refused report request keeps what was typed, and every
page is ``Cache-Control: no-store``."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from lienthong.errors import ErrorCode
from lienthong.messages import vietnamese
from tests.integration.reporting import test_reporting_channels_cycle as cycle
from tests.integration.reporting.test_reporting_channels_cycle import (
    COMMUNE_A,
    PERIOD,
    SECTIONS,
    Hub,
    figures,
    token_of,
    vn,
)
from tests.page_text import assert_reads_vietnamese

HERE = f"/bao-cao/ky/KTXH/{PERIOD}"
pki = cycle.pki  # the fixtures of the reporting cycle's hub, signed in over real HTTP
hub = cycle.hub


def _history(hub: Hub) -> list[object]:
    return list(hub.reporting.queries.history("KTXH", PERIOD, COMMUNE_A))


def _typed(values: dict[str, str]) -> dict[str, str]:
    data = {f"o_{cell}": text for cell, text in values.items()}
    return data | {f"muc_{code}": text for code, text in SECTIONS.items()}


def _value_of(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]* value="([^"]*)"', page)
    return found.group(1) if found else None


def test_a_figure_that_is_not_a_number_keeps_every_typed_value_and_stores_nothing(
    hub: Hub,
) -> None:
    web = hub.web("baocao.xa")
    form = web.get(HERE)
    typed = {cell: vn(value) for cell, value in figures(1).items()} | {"POP": "một nghìn"}
    answer = web.post(HERE, data={"csrf_token": token_of(form.text), **_typed(typed)})
    assert answer.status_code == 422
    text = assert_reads_vietnamese(answer.text)
    assert "Ô POP: “một nghìn” không phải là số (dấu chấm phân cách hàng nghìn" in text
    for cell, shown in typed.items():
        assert _value_of(answer.text, f"o_{cell}") == shown, cell
    for code, narrative in SECTIONS.items():
        assert f'name="muc_{code}"' in answer.text and f">{narrative}</textarea>" in answer.text
    assert 'name="o_POP" inputmode="decimal" size="12" value="một nghìn" aria-invalid="true"' in (
        answer.text
    )
    assert _history(hub) == []


def test_a_broken_rule_comes_back_with_the_figures_and_the_rule_in_vietnamese(hub: Hub) -> None:
    web = hub.web("baocao.xa")
    form = web.get(HERE)
    typed = {cell: vn(value) for cell, value in figures(1).items()} | {"POOR": "9.999"}
    answer = web.post(HERE, data={"csrf_token": token_of(form.text), **_typed(typed)})
    assert answer.status_code == 422
    text = assert_reads_vietnamese(answer.text)
    assert vietnamese(ErrorCode.REPORT_VALIDATION_FAILED) in text
    assert "Số hộ nghèo không vượt số hộ." in text
    alert = re.search(r'class="flash error" role="status">([^<]*)<', answer.text)
    assert alert is not None
    assert "R2" not in alert.group(1) and ".." not in alert.group(1)  # no rule code, one stop
    assert _value_of(answer.text, "o_POOR") == "9.999"
    assert _value_of(answer.text, "o_HOUSEHOLDS") == typed["HOUSEHOLDS"]
    assert _history(hub) == []


def test_an_xlsx_with_a_text_cell_is_refused_in_vietnamese_naming_the_cell(hub: Hub) -> None:
    web = hub.web("baocao.xa")
    form = web.get(HERE)
    template = web.get(f"{HERE}/mau.xlsx")
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.content))
    ws = wb["Số liệu"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(6, ws.max_row + 1)}
    ws.cell(row=rows["POP"], column=4, value="một nghìn")
    out = io.BytesIO()
    wb.save(out)
    answer = web.post(
        f"{HERE}/tai-len",
        data={"csrf_token": token_of(form.text)},
        files={"tep": ("bao-cao.xlsx", out.getvalue(), "application/octet-stream")},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    text = assert_reads_vietnamese(answer.text)
    assert vietnamese(ErrorCode.REPORT_CELL_NOT_NUMBER) in text
    assert re.search(r"Ô D\d+ của trang tính “Số liệu” \(“một nghìn”\): Có ô", text), text
    assert "A figure cell holds text" not in text
    assert _history(hub) == []


def test_an_unknown_regime_or_period_is_a_vietnamese_page_not_json(hub: Hub) -> None:
    web = hub.web("baocao.xa")
    for path, code in (
        ("/bao-cao/ky/KHONG-CO/2026-M04", ErrorCode.REGIME_UNKNOWN),
        ("/bao-cao/ky/KTXH/2026-X99", ErrorCode.REPORT_PERIOD_INVALID),
    ):
        answer = web.get(path, headers={"Accept": "text/html"})
        assert answer.status_code in (400, 404, 422), (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html")
        text = assert_reads_vietnamese(answer.text)
        assert vietnamese(code) in text, path
        assert f'data-error-code="{code}"' in answer.text


def test_levels_and_channels_are_named_in_vietnamese_and_pages_are_not_stored(hub: Hub) -> None:
    web = hub.web("baocao.xa")
    form = web.get(HERE)
    data = {"csrf_token": token_of(form.text)} | _typed(
        {cell: vn(value) for cell, value in figures(1).items()}
    )
    saved = web.post(HERE, data=data)
    assert saved.status_code == 303
    home = web.get("/bao-cao")
    assert "Cấp báo cáo của đơn vị: Xã" in assert_reads_vietnamese(home.text)
    assert "commune" not in home.text
    form = web.get(HERE)
    assert "Trên trang web" in form.text and "<td>web</td>" not in form.text
    centre = hub.web("baocao.tinh").get("/bao-cao/trung-tam", params={"ky": PERIOD})
    assert centre.status_code == 200
    assert "<td>Xã</td>" in centre.text and "<td>commune</td>" not in centre.text
    for page in (home, form, centre):
        assert page.headers["cache-control"] == "no-store"


def test_a_refused_report_request_keeps_what_was_typed(hub: Hub) -> None:
    officer = hub.web("baocao.tinh")
    page = officer.get("/bao-cao/yeu-cau")
    typed = {
        "loai": "thematic",
        "tieu_de": "Báo cáo chuyên đề về chuyển đổi số",
        "noi_dung": "Đề nghị các xã báo cáo kết quả chuyển đổi số quý I.",
        "chot_so_lieu": "2026-04-20",
        "han_gui": "2026-04-20",  # no working day after the cut-off
    }
    answer = officer.post(
        "/bao-cao/yeu-cau",
        data={"csrf_token": token_of(page.text), **typed, "don_vi_nhan": [COMMUNE_A]},
    )
    assert answer.status_code == 422
    text = assert_reads_vietnamese(answer.text)
    assert vietnamese(ErrorCode.REPORT_REQUEST_INVALID) in text
    assert f'value="{typed["tieu_de"]}"' in answer.text
    assert f">{typed['noi_dung']}</textarea>" in answer.text
    assert 'value="2026-04-20"' in answer.text
    assert '<option value="thematic" selected>' in answer.text
    assert f'value="{COMMUNE_A}" checked' in answer.text
    assert hub.reporting.requests.for_unit(COMMUNE_A) == []
