"""Refusals of the issuance service (codes in :mod:`lienthong.errors`)."""

from __future__ import annotations

from lienthong.errors import ErrorCode, LienthongError


class IssuanceError(LienthongError):
    default_code = ErrorCode.REQUEST_INVALID
