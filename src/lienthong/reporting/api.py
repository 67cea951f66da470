"""JSON API of the reporting system (``/api/v1/reporting``), thin routes over the services.

The caller is an agency authenticated like the exchange API (client certificate or HTTP Basic
system credentials); its agency code is its reporting-unit code. Refusals answer
``{"error": {"code", "message", "detail"}}`` with the codes of docs/errors.md.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode
from lienthong.reporting.adx import parse_adx, write_adx
from lienthong.reporting.dhis2 import parse_data_value_sets, write_data_value_sets
from lienthong.reporting.dues import dues_of
from lienthong.reporting.exchange import ADX_MEDIA_TYPE, Group, Outgoing
from lienthong.reporting.model import Period, local_day
from lienthong.reporting.regime_service import RegimeView
from lienthong.reporting.regimes import RegimeInvalidError, RegimeProblem
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
MAX_DOCUMENT = 5 * 1024 * 1024  # a regime document (1,000+ indicators fit easily)
SPOOL_IN_MEMORY = 1024 * 1024  # an import body larger than this is spooled to a temporary file
EXCHANGE_FORMATS = {"adx": "adx", "dataValueSets": "dhis2"}  # path segment -> channel


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


@router.get("/regimes", summary="Regimes I report under (periods due), and the regimes defined")
async def regimes(agency: Agency, rep: Rep) -> JSONResponse:
    """``regimes``: those the caller reports under, with its periods due and deadlines;
    ``defined``: the stored regimes (published and retired ones, and the caller's own drafts),
    each with its versions (no definitions: ``GET /regimes/{code}``)."""

    def load() -> dict[str, Any]:
        found = dues_of(rep.service, agency)
        defined = [
            r.as_dict(definitions=False)
            for r in rep.definitions.list_regimes()
            if _visible(r, agency)
        ]
        return {"unit": agency, "regimes": [r.as_dict() for r in found], "defined": defined}

    return JSONResponse(await run_in_threadpool(load))


def _visible(regime: RegimeView, agency: str) -> bool:
    return regime.status != "draft" or regime.issuer == agency


async def _document(request: Request) -> Any:
    """The request's JSON body (at most :data:`MAX_DOCUMENT` bytes)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_DOCUMENT:
        raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=MAX_DOCUMENT)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_DOCUMENT:
            raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=MAX_DOCUMENT)
    try:
        return json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegimeInvalidError(
            [RegimeProblem("document", "", "", f"not a JSON document: {exc}")]
        ) from exc


@router.post("/regimes", status_code=201, summary="Define a regime (a draft, by its issuer)")
async def create_regime(request: Request, agency: Agency, rep: Rep) -> JSONResponse:
    """Body: ``{"code", "name", "legal_basis", "issuer"?, "version": {...}}`` with the version
    as in docs/schemas/regime.schema.json (``VersionDoc``). Refused, storing nothing:
    ``REGIME_INVALID`` (422, ``detail.problems``), ``REGIME_NOT_ISSUER``,
    ``REGIME_OUT_OF_AUTHORITY``, ``REGIME_INDICATOR_CONFLICT``, ``REGIME_EXISTS``."""
    data = await _document(request)
    made = await run_in_threadpool(rep.definitions.create, agency, data)
    return JSONResponse(made.as_dict(), status_code=201)


@router.post("/regimes/import", summary="Import a whole regime document (by its issuer)")
async def import_regime(request: Request, agency: Agency, rep: Rep) -> JSONResponse:
    data = await _document(request)
    done = await run_in_threadpool(rep.definitions.import_document, agency, data)
    return JSONResponse(done.as_dict())


@router.get("/regimes/{code}", summary="A regime with its versions and their definitions")
async def regime(code: str, agency: Agency, rep: Rep) -> JSONResponse:
    found = await run_in_threadpool(rep.definitions.get, code)
    if not _visible(found, agency):
        raise refuse(ErrorCode.REGIME_UNKNOWN, regime=code)
    return JSONResponse(found.as_dict())


@router.get("/regimes/{code}/export", summary="The whole regime as one JSON document")
async def export_regime(code: str, agency: Agency, rep: Rep) -> JSONResponse:
    found = await run_in_threadpool(rep.definitions.get, code)
    if not _visible(found, agency):
        raise refuse(ErrorCode.REGIME_UNKNOWN, regime=code)
    return JSONResponse(
        found.document(),
        headers={"Content-Disposition": f'attachment; filename="regime-{found.code}.json"'},
    )


@router.put("/regimes/{code}/versions/{number}", summary="Edit a version without reports")
async def edit_regime_version(
    code: str, number: int, request: Request, agency: Agency, rep: Rep
) -> JSONResponse:
    """A draft version, or a published one no report was submitted under; otherwise
    ``REGIME_VERSION_IN_USE`` (409): define a new version effective from a date."""
    data = await _document(request)
    done = await run_in_threadpool(rep.definitions.edit_version, agency, code, number, data)
    return JSONResponse(done.as_dict())


@router.post("/regimes/{code}/versions", status_code=201, summary="A new version from a date")
async def add_regime_version(code: str, request: Request, agency: Agency, rep: Rep) -> JSONResponse:
    data = await _document(request)
    done = await run_in_threadpool(rep.definitions.add_version, agency, code, data)
    return JSONResponse(done.as_dict(), status_code=201)


@router.post("/regimes/{code}/publish", summary="Publish the regime and its draft versions")
async def publish_regime(code: str, agency: Agency, rep: Rep) -> JSONResponse:
    done = await run_in_threadpool(rep.definitions.publish, agency, code)
    return JSONResponse(done.as_dict())


class RetireBody(BaseModel):
    on: date | None = Field(None, description="The last day in force (default: today, VN)")


@router.post("/regimes/{code}/retire", summary="Retire a published regime")
async def retire_regime(
    code: str, agency: Agency, rep: Rep, body: RetireBody | None = None
) -> JSONResponse:
    on = body.on if body is not None else None
    done = await run_in_threadpool(rep.definitions.retire, agency, code, on)
    return JSONResponse(done.as_dict())


@router.get("/indicators", summary="The indicator catalogue shared by regimes")
async def indicators(agency: Agency, rep: Rep) -> JSONResponse:
    found = await run_in_threadpool(rep.definitions.indicators)
    return JSONResponse([i.as_dict() for i in found])


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


# --- exchange: ADX and DHIS2 dataValueSets ---------------------------------------------------


async def spool_limited(chunks: AsyncIterator[bytes], limit: int) -> IO[bytes]:
    """The body in a temporary file (in memory up to 1 MiB), refused with
    ``REPORT_FILE_TOO_LARGE`` as soon as more than ``limit`` bytes have come: a larger body is
    never read whole."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _exchange_format(fmt: str) -> str:
    """The channel of a format segment; another segment is no endpoint. (These routes are
    registered last, so ``/submissions/{id}/pdf`` and the other fixed routes match first.)"""
    if fmt not in EXCHANGE_FORMATS:
        raise refuse(ErrorCode.ROUTE_NOT_FOUND, formats=sorted(EXCHANGE_FORMATS))
    return EXCHANGE_FORMATS[fmt]


def _exchange_answer(channel: str, form: Any, out: Outgoing, rep: Reporting, name: str) -> Response:
    if channel == "adx":
        data = write_adx(form, [out], exported=rep.service.clock.now())
        return Response(
            data,
            media_type=ADX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.adx.xml"'},
        )
    return JSONResponse(
        write_data_value_sets(form, [out]),
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


@router.get(
    "/figures/{fmt}",
    summary="A node's consolidated figures of a period as ADX or DHIS2 dataValueSets",
    responses={200: {"content": {ADX_MEDIA_TYPE: {}, "application/json": {}}}},
)
async def figures_exchange(
    fmt: str,
    agency: Agency,
    rep: Rep,
    regime: str = Query(...),
    period: str = Query(...),
    node: str | None = Query(None),
) -> Response:
    """``fmt``: ``adx`` (``application/adx+xml``) or ``dataValueSets`` (DHIS2 JSON); the
    cells of ``GET /figures`` (the period's consolidated figures, ratios recomputed) with the
    node as ``orgUnit``."""
    channel = _exchange_format(fmt)
    where = node or agency

    def load() -> tuple[Any, Outgoing]:
        version, found, _window = rep.service.resolve(regime, period)
        cells = rep.queries.consolidated(regime, period, where)
        values = {k: v for k, v in cells.items() if v is not None}
        return version.form, Outgoing(version.code, where, found, values)

    form, out = await run_in_threadpool(load)
    return _exchange_answer(channel, form, out, rep, f"{regime}-{period}-{where}")


@router.get(
    "/{regime}/{period}/{fmt}",
    summary="A unit's accepted report of a period as ADX or DHIS2 dataValueSets",
    responses={200: {"content": {ADX_MEDIA_TYPE: {}, "application/json": {}}}},
)
async def report_exchange(
    regime: str,
    period: str,
    fmt: str,
    agency: Agency,
    rep: Rep,
    unit: str | None = Query(None, description="The reporting unit (default: the caller)"),
) -> Response:
    """The figures of the unit's latest accepted version; the unit itself and the units above
    it may read them (else ``REPORT_UNIT_MISMATCH``; none accepted: ``REPORT_NOT_FOUND``)."""
    channel = _exchange_format(fmt)
    who = unit or agency

    def load() -> tuple[Any, Outgoing]:
        version, found, values = rep.queries.accepted_values(regime, period, who, viewer=agency)
        return version.form, Outgoing(version.code, who, found, values)

    form, out = await run_in_threadpool(load)
    return _exchange_answer(channel, form, out, rep, f"{regime}-{period}-{who}")


@router.post(
    "/{regime}/{period}/{fmt}",
    summary="Import my figures of a period from an ADX or DHIS2 dataValueSets file (a draft)",
)
async def import_exchange(
    regime: str, period: str, fmt: str, request: Request, agency: Agency, rep: Rep
) -> JSONResponse:
    """The body is the file (``adx``: ``application/adx+xml``; ``dataValueSets``: JSON),
    read streaming up to ``REPORTING_EXCHANGE_MAX_BYTES``. Validated like the web form, then
    saved as the caller's open version (channel ``adx`` / ``dhis2``); every refusal stores
    nothing."""
    channel = _exchange_format(fmt)
    limit = rep.settings.reporting_exchange_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limit)
    body = await spool_limited(request.stream(), limit)

    def run() -> Submission:
        with body:
            groups: list[Group] = (
                parse_adx(body) if channel == "adx" else parse_data_value_sets(body)
            )
        return rep.service.import_figures(
            agency, regime, period, groups, channel=channel, actor=agency
        )

    saved = await run_in_threadpool(run)
    return JSONResponse(submission_json(saved))
