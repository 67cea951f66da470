"""Refusals of the hub (codes in :mod:`lienthong.errors`)."""

from __future__ import annotations

from lienthong.errors import ErrorCode, LienthongError


class ExchangeError(LienthongError):
    default_code = ErrorCode.REQUEST_INVALID
