"""JSON API of the reporting system (``/api/v1/reporting``), thin routes over the services.

The caller is an agency authenticated like the exchange API (client certificate or HTTP Basic
system credentials); its agency code is its reporting-unit code. Refusals answer
``{"error": {"code", "message", "detail"}}`` with the codes of docs/errors.md.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode
from lienthong.reporting.dues import dues_of
from lienthong.reporting.model import Period, local_day
from lienthong.reporting.requests import ReportRequest
from lienthong.reporting.rules import ReportContent
from lienthong.reporting.submissions import Submission, refuse
from lienthong.reporting.wiring import Reporting
from lienthong.reporting.xlsx import XlsxLimits
from lienthong.web.auth import current_agency
from lienthong.web.params import RowId

router = APIRouter(prefix="/api/v1/reporting", tags=["reporting"])
Agency = Annotated[str, Depends(current_agency)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def reporting_of(request: Request) -> Reporting:
    reporting: Reporting | None = request.app.state.container.reporting
    if reporting is None:
        raise refuse(ErrorCode.REGIME_UNKNOWN, "Reporting is not configured on this hub.")
    await run_in_threadpool(reporting.ensure_units)
    return reporting


Rep = Annotated[Reporting, Depends(reporting_of)]


def submission_json(s: Submission) -> dict[str, Any]:
    out = asdict(s)
    for key in ("created_at", "submitted_at", "decided_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def request_json(r: ReportRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "title": r.title,
        "content": r.content,
        "issuer": r.issuer_code,
        "cutoff": r.cutoff.isoformat(),
        "deadline": r.deadline.isoformat(),
        "state": r.state,
        "created_at": r.created_at.isoformat(),
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
        "recipients": [
            {
                "unit": x.unit_code,
                "answered_at": x.answered_at.isoformat() if x.answered_at else None,
                "answer": x.answer,
                "on_time": x.on_time,
            }
            for x in r.recipients
        ],
    }


class ReportBody(BaseModel):
    values: dict[str, float] = Field(default_factory=dict)
    sections: dict[str, str] = Field(default_factory=dict)
    unit: str | None = Field(None, description="The reporting unit the body is for (checked)")


class ReturnBody(BaseModel):
    comment: str = Field(..., max_length=4000)


class RequestBody(BaseModel):
    kind: str = Field(..., description="ad_hoc | thematic")
    title: str = Field(..., max_length=255)
    content: str = Field(..., max_length=20000)
    cutoff: date
    deadline: date
    recipients: list[str] = Field(..., max_length=20000)


class AnswerBody(BaseModel):
    answer: str = Field(..., max_length=20000)


@router.get("/regimes", summary="Regimes I report under, with my periods due and deadlines")
async def regimes(agency: Agency, rep: Rep) -> JSONResponse:
    found = await run_in_threadpool(dues_of, rep.service, agency)
    return JSONResponse({"unit": agency, "regimes": [r.as_dict() for r in found]})


@router.get("/periods", summary="The periods of a regime that contain a date, and those due")
async def periods(
    agency: Agency,
    rep: Rep,
    regime: str = Query(...),
    on: Annotated[date | None, Query(alias="date", description="YYYY-MM-DD (VN)")] = None,
) -> JSONResponse:
    """``containing``: the periods whose data window contains the date (a replaced month
    included, marked ``replaced``); ``due``: the periods due on that date (window begun,
    deadline not passed, never a replaced month) at the caller's level (the regime's last
    level when the caller is not one of its reporters). Dates are Vietnam's."""

    def load() -> dict[str, Any]:
        service = rep.service
        day = on or local_day(service.clock.now())
        if not service.catalogue.versions(regime):
            raise refuse(ErrorCode.REGIME_UNKNOWN, regime=regime)
        version = service.catalogue.get(regime, day) or service.catalogue.get(regime)
        assert version is not None
        unit = rep.queries.unit_level(version.flow, agency)
        level = unit if unit in version.level_codes else None

        def item(p: Period) -> dict[str, Any]:
            window = version.windows.window(p)
            return {
                "period": p.code,
                "label": p.label,
                "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
                "iso": window.iso(p.type),
                "replaced": not version.is_expected(p),
                "deadlines": {
                    lv: service.deadline(version, p, lv).isoformat() for lv in version.level_codes
                },
            }

        return {
            "regime": version.code,
            "version": version.version,
            "date": day.isoformat(),
            "level": level,
            "containing": [item(p) for p in version.periods_containing(day)],
            "due": [item(p) for p in version.periods_due(day, service.calendar, level)],
        }

    return JSONResponse(await run_in_threadpool(load))


@router.get("/{regime}/{period}/template.xlsx", summary="The XLSX template (pre-filled draft)")
async def template(regime: str, period: str, agency: Agency, rep: Rep) -> Response:
    data = await run_in_threadpool(rep.service.template, agency, regime, period)
    name = f"{regime}-{period}-{agency}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.put("/{regime}/{period}", summary="Save my report's figures and text (a draft)")
async def save(
    regime: str, period: str, body: ReportBody, agency: Agency, rep: Rep
) -> JSONResponse:
    content = ReportContent(dict(body.values), dict(body.sections))
    saved = await run_in_threadpool(
        lambda: rep.service.save(
            agency, regime, period, content, channel="api", actor=agency, for_unit=body.unit
        )
    )
    return JSONResponse(submission_json(saved))


@router.post("/upload", summary="Upload a filled XLSX template (saved as a draft)")
async def upload(request: Request, agency: Agency, rep: Rep) -> JSONResponse:
    limits = XlsxLimits()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limits.max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.max_bytes:
            raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limits.max_bytes)
    saved = await run_in_threadpool(
        lambda: rep.service.save_xlsx(agency, bytes(body), actor=agency, limits=limits)
    )
    return JSONResponse(submission_json(saved))


@router.get("/submissions", summary="My versions of a report (history)")
async def mine(
    agency: Agency, rep: Rep, regime: str = Query(...), period: str = Query(...)
) -> JSONResponse:
    def load() -> list[dict[str, Any]]:
        rows = rep.queries.history(regime, period, agency)
        return [submission_json(rep.service.submission(r.id)) for r in rows]

    return JSONResponse(await run_in_threadpool(load))


@router.get("/submissions/{submission_id}/pdf", summary="The rendering my head signs (PAdES)")
async def rendering(submission_id: RowId, agency: Agency, rep: Rep) -> Response:
    pdf = await run_in_threadpool(rep.service.prepare_pdf, agency, submission_id)
    return Response(pdf, media_type="application/pdf")


@router.post("/submissions/{submission_id}/submit", summary="Submit a signed report")
async def submit(submission_id: RowId, request: Request, agency: Agency, rep: Rep) -> JSONResponse:
    """With ``Content-Type: application/pdf`` the body is the rendering from ``/pdf`` signed
    (PAdES) by the unit's head; without a body, the head's key held by the hub's signing
    service signs it (where configured)."""
    if request.headers.get("content-type", "").startswith("application/pdf"):
        signed = await request.body()
        if len(signed) > 20 * 1024 * 1024:
            raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=20 * 1024 * 1024)
        done = await run_in_threadpool(
            lambda: rep.service.submit(agency, submission_id, signed, actor=agency)
        )
    else:
        done = await run_in_threadpool(
            lambda: rep.service.sign_and_submit(agency, submission_id, actor=agency)
        )
    return JSONResponse(submission_json(done))


@router.get("/inbox", summary="Reports sent to me by the units below, for one period")
async def inbox(
    agency: Agency, rep: Rep, regime: str = Query(...), period: str = Query(...)
) -> JSONResponse:
    rows = await run_in_threadpool(rep.queries.timeliness, regime, period)
    mine = [r for r in rows if r.parent_code == agency]
    return JSONResponse(
        [
            {
                "unit": r.unit_code,
                "name": r.unit_name,
                "deadline": r.deadline.isoformat(),
                "state": r.state,
                "submission_id": r.submission_id,
                "first_submitted_at": (
                    r.first_submitted_at.isoformat() if r.first_submitted_at else None
                ),
                "timeliness": r.timeliness.value,
            }
            for r in mine
        ]
    )


@router.post("/submissions/{submission_id}/accept", summary="Accept a report sent to me")
async def accept(submission_id: RowId, agency: Agency, rep: Rep) -> JSONResponse:
    done = await run_in_threadpool(lambda: rep.service.accept(agency, submission_id, actor=agency))
    return JSONResponse(submission_json(done))


@router.post("/submissions/{submission_id}/return", summary="Return a report with comments")
async def return_report(
    submission_id: RowId, body: ReturnBody, agency: Agency, rep: Rep
) -> JSONResponse:
    done = await run_in_threadpool(
        lambda: rep.service.return_report(agency, submission_id, body.comment, actor=agency)
    )
    return JSONResponse(submission_json(done))


@router.get("/figures", summary="Consolidated figures of a unit's subtree")
async def figures(
    agency: Agency,
    rep: Rep,
    regime: str = Query(...),
    period: str = Query(...),
    node: str | None = Query(None),
) -> JSONResponse:
    """``figures``: the consolidated cells of the period; ``indicators``: per indicator the
    period figure (kỳ báo cáo), the cumulative one from 15 Dec (lũy kế) and both for the same
    period last year (cùng kỳ năm trước), side by side."""
    where = node or agency

    def load() -> dict[str, Any]:
        cells = rep.queries.consolidated(regime, period, where)
        rows = rep.queries.figures(regime, period, where)
        return {
            "node": where,
            "period": period,
            "figures": cells,
            "indicators": [f.as_dict() for f in rows],
        }

    return JSONResponse(await run_in_threadpool(load))


@router.get("/requests", summary="Ad-hoc and thematic requests I issued or received")
async def requests(agency: Agency, rep: Rep) -> JSONResponse:
    found = await run_in_threadpool(rep.requests.for_unit, agency)
    return JSONResponse([request_json(r) for r in found])


@router.post("/requests", status_code=201, summary="Issue an ad-hoc or thematic request")
async def create_request(body: RequestBody, agency: Agency, rep: Rep) -> JSONResponse:
    made = await run_in_threadpool(
        lambda: rep.requests.create(
            agency,
            kind=body.kind,
            title=body.title,
            content=body.content,
            cutoff=body.cutoff,
            deadline=body.deadline,
            recipients=body.recipients,
            actor=agency,
        )
    )
    return JSONResponse(request_json(made), status_code=201)


@router.post("/requests/{request_id}/answer", summary="Answer a request addressed to me")
async def answer(request_id: RowId, body: AnswerBody, agency: Agency, rep: Rep) -> JSONResponse:
    done = await run_in_threadpool(
        lambda: rep.requests.answer(request_id, agency, body.answer, actor=agency)
    )
    return JSONResponse(request_json(done))


@router.post("/requests/{request_id}/close", summary="Close a request I issued")
async def close(request_id: RowId, agency: Agency, rep: Rep) -> JSONResponse:
    done = await run_in_threadpool(lambda: rep.requests.close(request_id, agency, actor=agency))
    return JSONResponse(request_json(done))
