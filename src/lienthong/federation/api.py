"""HTTP routes of the federation (``/federation/v1``): thin, over :class:`FederationService`.

* ``POST /forward``: another hub forwards a package (body: the package bytes; header
  ``X-Lienthong-Hub-Signature``: the hub's signed claims, see :mod:`.signing`), over mutual
  TLS with the forwarding hub's certificate (``federation_mtls``).
* ``GET /directory?since=``: the routing directory (served by the national hub; ETag). Public
  read, no hub certificate asked: it lists hubs, their URLs and public certificates, and the
  agencies they serve, what every hub and agency software needs before any trust exists
  (docs/federation.md, "The routing directory"). Nothing secret is in it.
* ``GET /outbox``: the operator's view of the backlog and the dead letters, for the hub
  operator's agency (``hub_code``) authenticated like any agency call (client certificate or
  HTTP Basic): AUTH_FAILED without credentials, FORBIDDEN for another agency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lienthong.blobs.staging import StagingArea
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.api import PackageTooLargeError, spool_body
from lienthong.federation.service import FederationService
from lienthong.web.auth import container_of, current_agency
from lienthong.web.tls import client_certificate

router = APIRouter(prefix="/federation/v1", tags=["federation"])


class FederationOffError(LienthongError):
    default_code = ErrorCode.FORBIDDEN


def _service(request: Request) -> FederationService:
    service: FederationService | None = getattr(container_of(request), "federation", None)
    if service is None:
        raise FederationOffError("Federation is not enabled on this hub (hub_id unset).")
    return service


@router.post("/forward", status_code=201, summary="A package forwarded by another hub")
async def forward(
    request: Request,
    x_lienthong_hub_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    service = _service(request)
    container = container_of(request)
    limit = container.settings.max_package_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PackageTooLargeError(detail={"limit_bytes": limit})
    peer = client_certificate(request.scope)
    claims = await run_in_threadpool(service.check_forwarder, x_lienthong_hub_signature, peer)
    with StagingArea(container.settings.staging_dir) as staging:
        staged = await spool_body(request.stream(), staging, limit)
        result = await run_in_threadpool(
            service.accept_forward,
            x_lienthong_hub_signature,
            staged,
            staging,
            peer,
            claims=claims,
        )
    return JSONResponse(result.as_dict(), status_code=200 if result.replay else 201)


@router.get("/directory", summary="The routing directory: agencies, their hubs, the hubs")
async def directory(
    request: Request,
    since: datetime | None = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    etag, changes = await run_in_threadpool(_service(request).directory, since, if_none_match)
    if changes is None:
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(changes, headers={"ETag": etag})


@router.get("/outbox", summary="Outbox: counts per state, latest items, dead letters")
async def outbox(
    request: Request,
    agency: Annotated[str, Depends(current_agency)],
    state: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """For the hub's operator: the agency ``hub_code``, authenticated like any agency call.
    Never by the client's address (behind a reverse proxy every client is loopback)."""
    if agency != container_of(request).settings.hub_code:
        raise FederationOffError("Only the hub operator's agency reads the outbox.")
    result: dict[str, Any] = await run_in_threadpool(_service(request).outbox, state, limit)
    return result
