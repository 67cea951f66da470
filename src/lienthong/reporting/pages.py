"""The reporting screens (/bao-cao) for signed-in reporting officers: the unit's periods due
and its report form (web, XLSX, sign and submit, history), the receiver's inbox (accept /
return), the reporting centre (figures, timeliness, drill-down, exports) and report requests.
The user's agency is its reporting unit. Reads and writes go through the services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User
from lienthong.accounts.web import csrf_check, require_roles
from lienthong.errors import ErrorCode, LienthongError
from lienthong.messages import vietnamese
from lienthong.reporting.adx import parse_adx
from lienthong.reporting.consolidation import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    STATE_LABELS,
    TIMELINESS_LABELS,
)
from lienthong.reporting.dhis2 import parse_data_value_sets
from lienthong.reporting.dues import due_of, dues_of
from lienthong.reporting.export import SUMMARY_LABELS, consolidated_pdf, consolidated_xlsx
from lienthong.reporting.model import Period, local_day
from lienthong.reporting.requests import KIND_LABELS, REQUEST_STATE_LABELS
from lienthong.reporting.rules import ReportContent, parse_number
from lienthong.reporting.submissions import refuse
from lienthong.reporting.wiring import GEO, Reporting
from lienthong.reporting.xlsx import XlsxLimits
from lienthong.web.pages import render
from lienthong.web.params import RowId

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(require_roles(Role.REPORTING_OFFICER))]
CSRF = [Depends(csrf_check)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def reporting_page(request: Request) -> Reporting:
    reporting: Reporting | None = request.app.state.container.reporting
    assert reporting is not None, "the container wires reporting"
    await run_in_threadpool(reporting.ensure_units)
    return reporting


Rep = Annotated[Reporting, Depends(reporting_page)]


def _nav(request: Request, active: str) -> None:
    items = [
        ("/bao-cao", "Kỳ báo cáo"),
        ("/bao-cao/tiep-nhan", "Tiếp nhận"),
        ("/bao-cao/trung-tam", "Trung tâm báo cáo"),
        ("/bao-cao/yeu-cau", "Yêu cầu đột xuất, chuyên đề"),
    ]
    request.state.nav = [{"href": h, "label": label, "active": h == active} for h, label in items]


def _message(exc: LienthongError) -> str:
    """A refusal in Vietnamese for a page: the code's sentence (``messages.py``) and, when the
    refusal says where, the cell or sheet, or the broken rules (whose sentences are Vietnamese).
    Never the code or the API's English sentence."""
    sentence = vietnamese(exc.code)
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    problems = _problems(exc)
    if problems:
        return " ".join([sentence, *(_sentence(text) for _where, text in problems)])
    if detail.get("cell"):
        value = detail.get("value")
        shown = f" (“{value}”)" if value not in (None, "") else ""
        sheet, _, ref = str(detail["cell"]).rpartition("!")
        where = f"Ô {ref} của trang tính “{sheet}”" if sheet else f"Ô {ref}"
        return f"{where}{shown}: {sentence}"
    if detail.get("sheet"):
        return f"{sentence} (trang tính “{detail['sheet']}”)"
    return sentence


def _sentence(text: str) -> str:
    """A problem's sentence names its indicator or cell itself; it ends with one full stop."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _problems(exc: LienthongError) -> list[tuple[str, str]]:
    """The rules a report broke (``detail["problems"]``: cell or section, Vietnamese sentence)."""
    found = exc.detail.get("problems") if isinstance(exc.detail, dict) else None
    if not isinstance(found, list):
        return []
    return [
        (str(p["where"]), str(p["message"]))
        for p in found
        if isinstance(p, dict) and "where" in p and "message" in p
    ]


def _back(url: str, *, ok: str | None = None, error: str | None = None) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    if ok:
        url += f"{sep}tb={quote(ok)}"
    elif error:
        url += f"{sep}loi={quote(error)}"
    return RedirectResponse(url, status_code=303)


def _flash(request: Request) -> list[tuple[str, str]]:
    q = request.query_params
    out = []
    if q.get("tb"):
        out.append(("ok", q["tb"]))
    if q.get("loi"):
        out.append(("error", q["loi"]))
    return out


def _current_period(rep: Reporting, regime: str) -> str:
    service = rep.service
    today = local_day(service.clock.now())  # Vietnam's date, not the UTC one
    version = service.catalogue.get(regime, today)
    if version is None:
        raise refuse(ErrorCode.REGIME_UNKNOWN, regime=regime)
    periods = [
        p
        for year in (today.year - 1, today.year)
        for p in version.expected_periods(year)
        if version.windows.window(p).end < today
    ]
    periods.sort(key=lambda p: (version.windows.window(p).end, p.type.value))
    return periods[-1].code if periods else f"{today.year}-Y"


# --- the reporting unit ------------------------------------------------------------------


@router.get("/bao-cao")
async def home(request: Request, user: Officer, rep: Rep) -> Response:
    dues = await run_in_threadpool(dues_of, rep.service, user.agency_code)
    asked = await run_in_threadpool(rep.requests.for_unit, user.agency_code)
    _nav(request, "/bao-cao")
    return render(
        request,
        "reporting/home.html",
        {
            "dues": dues,
            "requests": [r for r in asked if r.issuer_code != user.agency_code],
            "kind_labels": KIND_LABELS,
            "state_labels": REQUEST_STATE_LABELS,
            "timeliness_labels": TIMELINESS_LABELS,
            "level_labels": LEVEL_LABELS,
            "flash": _flash(request),
        },
    )


@router.get("/bao-cao/ky/{regime}/{period}")
async def report_form(
    regime: str, period: str, request: Request, user: Officer, rep: Rep
) -> Response:
    return await _form_page(request, user, rep, regime, period)


async def _form_page(
    request: Request,
    user: User,
    rep: Reporting,
    regime: str,
    period: str,
    *,
    typed: dict[str, str] | None = None,
    errors: list[str] | None = None,
    bad: set[str] | None = None,
    status: int = 200,
) -> Response:
    """The report form; after a refused save, with what was typed (``typed``: field name to
    text as sent), the Vietnamese sentences and the cells or sections at fault (``bad``)."""
    unit = user.agency_code

    def load() -> dict[str, Any]:
        version, p, window = rep.service.resolve(regime, period)
        due = due_of(rep.service, unit, regime, period)
        history = rep.queries.history(regime, period, unit)
        current = rep.service.submission(history[-1].id) if history else None
        return {
            "regime": version,
            "period": p,
            "window": window,
            "due": due,
            "history": history,
            "current": current,
            "editable": current is None or current.state in ("draft", "returned"),
        }

    context = await run_in_threadpool(load)
    notices = getattr(request.app.state.container, "notifications", None)
    if notices is not None:  # the notices about this report (returned) are read now
        await run_in_threadpool(notices.seen, user, f"/bao-cao/ky/{regime}/{period}")
    flash = [("error", text) for text in errors] if errors else _flash(request)
    _nav(request, "/bao-cao")
    return render(
        request,
        "reporting/form.html",
        {
            **context,
            "state_labels": STATE_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "flash": flash,
            "typed": typed,
            "bad": bad or set(),
        },
        status=status,
    )


@router.post("/bao-cao/ky/{regime}/{period}", dependencies=CSRF)
async def save_form(
    regime: str, period: str, request: Request, user: Officer, rep: Rep
) -> Response:
    form = await request.form()
    here = f"/bao-cao/ky/{regime}/{period}"
    typed = {str(k): v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    values: dict[str, float] = {}
    sections: dict[str, str] = {}
    not_numbers: list[str] = []
    version = (await run_in_threadpool(rep.service.resolve, regime, period))[0]
    for cell in version.form.cells:
        raw = form.get(f"o_{cell}")
        if isinstance(raw, str) and raw.strip():
            try:
                values[cell] = parse_number(raw)
            except ValueError:
                not_numbers.append(cell)
    for section in version.form.outline:
        text = form.get(f"muc_{section.code}")
        if isinstance(text, str) and text.strip():
            sections[section.code] = text
    if not_numbers:
        errors = [
            f"Ô {cell}: “{typed.get(f'o_{cell}', '')}” không phải là số (dấu chấm phân cách "
            "hàng nghìn, dấu phẩy cho phần thập phân, ví dụ 1.234,5); chưa lưu bản nháp."
            for cell in not_numbers
        ]
        return await _form_page(
            request,
            user,
            rep,
            regime,
            period,
            typed=typed,
            errors=errors,
            bad=set(not_numbers),
            status=422,
        )
    try:
        await run_in_threadpool(
            lambda: rep.service.save(
                user.agency_code,
                regime,
                period,
                ReportContent(values, sections),
                channel="web",
                actor=user.username,
            )
        )
    except LienthongError as exc:
        problems = _problems(exc)
        errors = [f"{where}: {text}" for where, text in problems] or [_message(exc)]
        if problems:
            errors.insert(0, vietnamese(exc.code))
        return await _form_page(
            request,
            user,
            rep,
            regime,
            period,
            typed=typed,
            errors=errors,
            bad={where for where, _ in problems},
            status=exc.http_status,
        )
    return _back(here, ok="Đã lưu bản nháp.")


@router.get("/bao-cao/ky/{regime}/{period}/mau.xlsx")
async def download(regime: str, period: str, user: Officer, rep: Rep) -> Response:
    data = await run_in_threadpool(rep.service.template, user.agency_code, regime, period)
    name = f"{regime}-{period}-{user.agency_code}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/bao-cao/ky/{regime}/{period}/tai-len", dependencies=CSRF)
async def upload(
    regime: str, period: str, user: Officer, rep: Rep, tep: Annotated[UploadFile, Form()]
) -> Response:
    here = f"/bao-cao/ky/{regime}/{period}"
    limits = XlsxLimits()
    data = await tep.read(limits.max_bytes + 1)
    try:
        await run_in_threadpool(
            lambda: rep.service.save_xlsx(
                user.agency_code, data, actor=user.username, limits=limits
            )
        )
    except LienthongError as exc:
        return _back(here, error=_message(exc))
    return _back(here, ok="Đã nhận tệp XLSX và lưu bản nháp.")


@router.post("/bao-cao/ky/{regime}/{period}/nhap-tep", dependencies=CSRF)
async def import_file(
    regime: str, period: str, user: Officer, rep: Rep, tep: Annotated[UploadFile, Form()]
) -> Response:
    """An ADX (XML) or DHIS2 dataValueSets (JSON) file of the unit's figures, saved as its
    draft like the API's import; a refusal is the code's Vietnamese sentence, with the
    offending indicators, and nothing stored."""
    here = f"/bao-cao/ky/{regime}/{period}"
    limit = rep.settings.reporting_exchange_max_bytes

    def run() -> str:
        if tep.size is not None and tep.size > limit:
            raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limit)
        source = tep.file
        head = source.read(64).lstrip()
        source.seek(0)
        channel = "dhis2" if head[:1] in (b"{", b"[") else "adx"
        groups = parse_data_value_sets(source) if channel == "dhis2" else parse_adx(source)
        rep.service.import_figures(
            user.agency_code, regime, period, groups, channel=channel, actor=user.username
        )
        return "ADX" if channel == "adx" else "DHIS2"

    try:
        kind = await run_in_threadpool(run)
    except LienthongError as exc:
        listed = [
            str(x)
            for key in ("unknown", "duplicates", "cells")
            for x in (exc.detail.get(key) or [] if isinstance(exc.detail, dict) else [])
        ]
        message = _message(exc)
        if listed:
            message = f"{message} ({', '.join(listed)})"
        return _back(here, error=message)
    return _back(here, ok=f"Đã nhận tệp {kind} và lưu bản nháp.")


@router.get("/bao-cao/nop/{submission_id}")
async def confirm_submit(
    submission_id: RowId, request: Request, user: Officer, rep: Rep
) -> Response:
    """What is about to be signed and sent (unit, regime, period, version, deadline), with
    "Xác nhận gửi" (a POST) and "Hủy": nothing is signed or sent by opening this page."""

    def load() -> dict[str, Any]:
        item = rep.service.submission(submission_id)
        if item.unit_code != user.agency_code:
            raise refuse(ErrorCode.REPORT_NOT_FOUND, id=submission_id)
        version, period, window = rep.service.resolve(item.regime, item.period)
        unit = rep.queries.unit(GEO, item.unit_code)
        parent = rep.queries.unit_names(GEO, [unit.parent_code] if unit.parent_code else [])
        return {
            "item": item,
            "regime": version,
            "period": period,
            "window": window,
            "unit": unit,
            "receiver": parent.get(unit.parent_code or "", ""),
            "due": due_of(rep.service, item.unit_code, item.regime, item.period),
        }

    try:
        context = await run_in_threadpool(load)
    except LienthongError as exc:
        return _back("/bao-cao", error=_message(exc))
    item = context["item"]
    here = f"/bao-cao/ky/{item.regime}/{item.period}"
    if item.state not in ("draft", "returned"):
        return _back(here, error="Báo cáo này đã được gửi, không gửi lại được.")
    _nav(request, "/bao-cao")
    return render(request, "reporting/confirm_submit.html", {**context, "here": here})


@router.post("/bao-cao/nop/{submission_id}", dependencies=CSRF)
async def sign_and_submit(
    submission_id: RowId, user: Officer, rep: Rep, xac_nhan: Annotated[str, Form()] = ""
) -> Response:
    """Sign and send only what the confirmation page showed: without its ``xac_nhan`` the
    answer is that page (nothing signed, nothing sent)."""
    if xac_nhan != "1":
        return RedirectResponse(f"/bao-cao/nop/{submission_id}", status_code=303)
    try:
        done = await run_in_threadpool(
            lambda: rep.service.sign_and_submit(
                user.agency_code, submission_id, actor=user.username
            )
        )
    except LienthongError as exc:
        row = await run_in_threadpool(rep.service.submission, submission_id)
        return _back(f"/bao-cao/ky/{row.regime}/{row.period}", error=_message(exc))
    return _back(
        f"/bao-cao/ky/{done.regime}/{done.period}",
        ok="Đã ký số và gửi báo cáo đến cơ quan nhận.",
    )


@router.get("/bao-cao/ban/{submission_id}")
async def submission_page(
    submission_id: RowId, request: Request, user: Officer, rep: Rep
) -> Response:
    def load() -> dict[str, Any]:
        item = rep.service.submission(submission_id)
        version = rep.service.regime_of(submission_id)  # the form it was filled in
        unit = rep.queries.unit(GEO, item.unit_code)
        if user.agency_code not in (item.unit_code, unit.parent_code) and not _above(
            rep, user.agency_code, item.unit_code
        ):
            raise refuse(ErrorCode.REPORT_NOT_FOUND, id=submission_id)
        return {"item": item, "regime": version, "unit": unit, "period": Period.parse(item.period)}

    context = await run_in_threadpool(load)
    _nav(request, "/bao-cao/tiep-nhan")
    return render(
        request,
        "reporting/submission.html",
        {**context, "state_labels": STATE_LABELS, "flash": _flash(request)},
    )


def _above(rep: Reporting, viewer: str, unit: str) -> bool:
    return viewer in rep.queries.ancestors(GEO, unit)


# --- the receiver --------------------------------------------------------------------------


@router.get("/bao-cao/tiep-nhan")
async def inbox(request: Request, user: Officer, rep: Rep) -> Response:
    regime = request.query_params.get("che_do", "KTXH")
    period = request.query_params.get("ky") or _current_period(rep, regime)
    rows = await run_in_threadpool(rep.queries.timeliness, regime, period)
    mine = [r for r in rows if r.parent_code == user.agency_code]
    _nav(request, "/bao-cao/tiep-nhan")
    return render(
        request,
        "reporting/inbox.html",
        {
            "rows": mine,
            "regime_code": regime,
            "period": Period.parse(period),
            "state_labels": STATE_LABELS,
            "timeliness_labels": TIMELINESS_LABELS,
            "flash": _flash(request),
        },
    )


@router.post("/bao-cao/tiep-nhan/{submission_id}", dependencies=CSRF)
async def decide(
    submission_id: RowId,
    user: Officer,
    rep: Rep,
    quyet_dinh: Annotated[str, Form()],
    y_kien: Annotated[str, Form()] = "",
) -> Response:
    here = f"/bao-cao/ban/{submission_id}"
    try:
        if quyet_dinh == "chap-nhan":
            done = await run_in_threadpool(
                lambda: rep.service.accept(user.agency_code, submission_id, actor=user.username)
            )
            # Straight to the consolidated figures of that period, which include it now.
            centre = (
                f"/bao-cao/trung-tam?che_do={quote(done.regime)}&ky={quote(done.period)}"
                f"&don_vi={quote(user.agency_code)}"
            )
            return _back(centre, ok="Đã chấp nhận báo cáo; số liệu đã được tổng hợp.")
        await run_in_threadpool(
            lambda: rep.service.return_report(
                user.agency_code, submission_id, y_kien, actor=user.username
            )
        )
    except LienthongError as exc:
        return _back(here, error=_message(exc))
    return _back(here, ok="Đã trả lại báo cáo kèm ý kiến.")


# --- the reporting centre ------------------------------------------------------------------


def _centre(rep: Reporting, regime: str, period: str, node: str) -> dict[str, Any]:
    unit = rep.queries.unit(GEO, node)
    figures = rep.queries.figures(regime, period, node)
    rows = rep.queries.timeliness(regime, period)
    below = rep.queries.descendants(GEO, node)
    scoped = [r for r in rows if r.unit_code in below]
    return {
        "unit": unit,
        "figures": figures,
        "summary": rep.queries.summary(scoped),
        "rows": [r for r in scoped if r.parent_code == node],
        "children": rep.queries.children(GEO, node),
        "ancestors": rep.queries.ancestors(GEO, node),
        "names": rep.queries.unit_names(GEO, rep.queries.ancestors(GEO, node)),
    }


@router.get("/bao-cao/trung-tam")
async def centre(request: Request, user: Officer, rep: Rep) -> Response:
    q = request.query_params
    regime = q.get("che_do", "KTXH")
    period = q.get("ky") or _current_period(rep, regime)
    node = q.get("don_vi") or user.agency_code
    context = await run_in_threadpool(_centre, rep, regime, period, node)
    _nav(request, "/bao-cao/trung-tam")
    return render(
        request,
        "reporting/centre.html",
        {
            **context,
            "regime_code": regime,
            "period": Period.parse(period),
            "summary_labels": SUMMARY_LABELS,
            "level_labels": LEVEL_LABELS,
            "state_labels": STATE_LABELS,
            "timeliness_labels": TIMELINESS_LABELS,
            "flash": _flash(request),
        },
    )


@router.get("/bao-cao/trung-tam/tong-hop.{fmt}")
async def export(fmt: str, request: Request, user: Officer, rep: Rep) -> Response:
    q = request.query_params
    regime = q.get("che_do", "KTXH")
    period = q.get("ky") or _current_period(rep, regime)
    node = q.get("don_vi") or user.agency_code
    data = await run_in_threadpool(_centre, rep, regime, period, node)
    p = Period.parse(period)
    title = f"Báo cáo tổng hợp {regime} {p.label}"
    subtitle = f"{data['unit'].name} ({node})"
    if fmt == "xlsx":
        body, media = consolidated_xlsx(title, subtitle, data["figures"], data["summary"]), XLSX
    else:
        body = consolidated_pdf(title, subtitle, data["figures"], data["summary"])
        media = "application/pdf"
    name = f"tong-hop-{regime}-{period}-{node}.{'xlsx' if fmt == 'xlsx' else 'pdf'}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- ad-hoc and thematic requests ------------------------------------------------------------


@router.get("/bao-cao/yeu-cau")
async def requests_page(request: Request, user: Officer, rep: Rep) -> Response:
    return await _requests_page(request, user, rep)


async def _requests_page(
    request: Request,
    user: User,
    rep: Reporting,
    *,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The requests page; after a refused new request, with what was typed (``typed``)."""
    found = await run_in_threadpool(rep.requests.for_unit, user.agency_code)
    children = await run_in_threadpool(rep.queries.children, GEO, user.agency_code)
    codes = {r.issuer_code for r in found} | {x.unit_code for r in found for x in r.recipients}
    names = await run_in_threadpool(rep.queries.unit_names, GEO, codes)
    _nav(request, "/bao-cao/yeu-cau")
    return render(
        request,
        "reporting/requests.html",
        {
            "items": found,
            "children": children,
            "names": names,
            "kind_labels": KIND_LABELS,
            "state_labels": REQUEST_STATE_LABELS,
            "flash": [("error", error)] if error else _flash(request),
            "typed": typed or {},
        },
        status=status,
    )


@router.post("/bao-cao/yeu-cau", dependencies=CSRF)
async def create_request(request: Request, user: Officer, rep: Rep) -> Response:
    form = await request.form()
    recipients = [str(v) for v in form.getlist("don_vi_nhan")]
    typed: dict[str, Any] = {
        name: str(form.get(name, ""))
        for name in ("loai", "tieu_de", "noi_dung", "chot_so_lieu", "han_gui")
    }
    typed["don_vi_nhan"] = set(recipients)
    try:
        cutoff = date.fromisoformat(typed["chot_so_lieu"])
        deadline = date.fromisoformat(typed["han_gui"])
    except ValueError:
        message = "Ngày chốt số liệu và hạn gửi phải là ngày hợp lệ; chưa gửi yêu cầu."
        return await _requests_page(request, user, rep, typed=typed, error=message, status=422)
    try:
        await run_in_threadpool(
            lambda: rep.requests.create(
                user.agency_code,
                kind=typed["loai"] or "ad_hoc",
                title=typed["tieu_de"],
                content=typed["noi_dung"],
                cutoff=cutoff,
                deadline=deadline,
                recipients=recipients,
                actor=user.username,
            )
        )
    except LienthongError as exc:
        return await _requests_page(
            request, user, rep, typed=typed, error=_message(exc), status=exc.http_status
        )
    return _back("/bao-cao/yeu-cau", ok="Đã gửi yêu cầu báo cáo.")


@router.post("/bao-cao/yeu-cau/{request_id}", dependencies=CSRF)
async def act_on_request(
    request_id: RowId,
    user: Officer,
    rep: Rep,
    hanh_dong: Annotated[str, Form()],
    tra_loi: Annotated[str, Form()] = "",
) -> Response:
    here = "/bao-cao/yeu-cau"
    try:
        if hanh_dong == "dong":
            await run_in_threadpool(
                lambda: rep.requests.close(request_id, user.agency_code, actor=user.username)
            )
            return _back(here, ok="Đã đóng yêu cầu.")
        await run_in_threadpool(
            lambda: rep.requests.answer(request_id, user.agency_code, tra_loi, actor=user.username)
        )
    except LienthongError as exc:
        return _back(here, error=_message(exc))
    return _back(here, ok="Đã gửi trả lời.")
