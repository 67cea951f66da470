"""The monitoring centre's screens (/giam-sat), for hub operators."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User
from lienthong.accounts.web import require_roles
from lienthong.stats.export import to_csv, to_xlsx
from lienthong.stats.queries import LEVEL_LABELS, Period
from lienthong.stats.service import StatsService
from lienthong.web.pages import render

router = APIRouter(include_in_schema=False)
Operator = Annotated[User, Depends(require_roles(Role.OPERATOR))]
PRESETS = {"7": "7 ngày", "30": "30 ngày", "90": "90 ngày", "365": "12 tháng"}


def stats_of(request: Request) -> StatsService:
    service: StatsService | None = request.app.state.container.stats
    assert service is not None
    return service


def _period(request: Request, service: StatsService) -> Period:
    q = request.query_params
    today = service.today()
    try:
        start = date.fromisoformat(q["tu"]) if q.get("tu") else None
        end = date.fromisoformat(q["den"]) if q.get("den") else None
    except ValueError:
        start = end = None
    if start and end and start <= end:
        return Period(start, end)
    days = int(q.get("ky", "30")) if q.get("ky", "30") in PRESETS else 30
    return Period(today - timedelta(days=days - 1), today)


def _nav(request: Request, active: str) -> None:
    items = [
        ("/giam-sat", "Tổng quan"),
        ("/giam-sat/tuan-thu", "Tuân thủ"),
        ("/giam-sat/don-vi", "Xếp hạng đơn vị"),
        ("/giam-sat/van-chuyen", "Tình trạng truyền nhận"),
    ]
    request.state.nav = [{"href": h, "label": label, "active": h == active} for h, label in items]


def _context(request: Request, period: Period, **more: Any) -> dict[str, Any]:
    return {"period": period, "presets": PRESETS, "q": request.query_params, **more}


@router.get("/giam-sat")
async def dashboard(request: Request, user: Operator) -> Response:
    service = stats_of(request)
    period = _period(request, service)
    data = await run_in_threadpool(service.dashboard, period)
    _nav(request, "/giam-sat")
    return render(request, "stats/dashboard.html", _context(request, period, **data))


@router.get("/giam-sat/tuan-thu")
async def compliance(request: Request, user: Operator) -> Response:
    service = stats_of(request)
    period = _period(request, service)
    data = await run_in_threadpool(service.compliance, period)
    _nav(request, "/giam-sat/tuan-thu")
    return render(request, "stats/compliance.html", _context(request, period, **data))


AGENCY_HEADERS = (
    "Mã định danh",
    "Tên cơ quan",
    "Cấp",
    "Văn bản gửi",
    "Văn bản nhận",
    "Gửi có ký số",
    "Chữ ký hợp lệ",
    "Nhận, báo đã đến trong ngày",
    "Nhận, chưa báo đã đến trong ngày",
)


def _agency_row(a: dict[str, Any]) -> list[Any]:
    return [
        a["code"],
        a["name"],
        a["level"],
        a["sent"],
        a["received"],
        a["signed"],
        a["valid"],
        a["arrived_same_day"],
        a["late"],
    ]


@router.get("/giam-sat/don-vi")
async def agencies(request: Request, user: Operator) -> Response:
    service = stats_of(request)
    period = _period(request, service)
    order = request.query_params.get("xep", "sent")
    rows = await run_in_threadpool(service.agencies, period, order)
    fmt = request.query_params.get("dinh_dang")
    name = f"giam-sat-don-vi-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if fmt == "csv":
        return Response(
            to_csv(AGENCY_HEADERS, [_agency_row(a) for a in rows]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx("Đơn vị", AGENCY_HEADERS, [_agency_row(a) for a in rows]),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    _nav(request, "/giam-sat/don-vi")
    return render(
        request,
        "stats/agencies.html",
        _context(request, period, rows=rows, order=order, levels=LEVEL_LABELS),
    )


@router.get("/giam-sat/don-vi/{code}")
async def agency(request: Request, code: str, user: Operator) -> Response:
    service = stats_of(request)
    period = _period(request, service)
    docs = await run_in_threadpool(service.agency, code, period)
    _nav(request, "/giam-sat/don-vi")
    return render(request, "stats/agency.html", _context(request, period, code=code, docs=docs))


@router.get("/giam-sat/van-chuyen")
async def health(request: Request, user: Operator) -> Response:
    service = stats_of(request)
    data = await run_in_threadpool(service.health)
    checks = request.app.state.container.health  # readiness of this process (lienthong.health)
    readiness = await run_in_threadpool(checks.readiness) if checks is not None else None
    _nav(request, "/giam-sat/van-chuyen")
    return render(
        request,
        "stats/health.html",
        {"h": data, "readiness": readiness, "check_labels": CHECK_LABELS},
    )


# The readiness checks as the monitoring centre names them.
CHECK_LABELS = {
    "database": "Cơ sở dữ liệu (ghi được)",
    "blob_store": "Kho lưu trữ tệp",
    "staging": "Thư mục tạm nhận gói tin",
}
