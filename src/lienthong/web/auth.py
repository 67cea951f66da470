"""Who is calling: agencies authenticate with HTTP Basic (system id, secret)."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode, LienthongError
from lienthong.web.container import Container


class AuthError(LienthongError):
    default_code = ErrorCode.AUTH_FAILED


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def current_agency(request: Request) -> str:
    """The authenticated agency's code, from ``Authorization: Basic``; AUTH_FAILED otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise AuthError("Missing HTTP Basic credentials (system id and secret).")
    try:
        system_id, sep, secret = base64.b64decode(value).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthError("Malformed HTTP Basic credentials.") from exc
    if not sep:
        raise AuthError("Malformed HTTP Basic credentials.")
    container = container_of(request)
    code: str = await run_in_threadpool(container.agencies.authenticate, system_id, secret)
    request.state.agency = code
    return code
