"""Why an edXML package cannot be read.

Every refusal of the parser is an :class:`EdxmlError` carrying one of the ``PACKAGE_*``,
``ATTACHMENT_ENCODING_INVALID`` or ``MANIFEST_MISMATCH`` codes of :mod:`lienthong.errors`; the
``detail`` names the element at fault as a path below ``MessageHeader``
(``{"field": "From/OrganId"}``) so that an answer to the sender can say exactly what to fix.
"""

from __future__ import annotations

from typing import Any

from lienthong.errors import ErrorCode, LienthongError


class EdxmlError(LienthongError):
    """The package is refused; nothing the parser handed to an attachment sink may be kept."""

    default_code = ErrorCode.PACKAGE_MALFORMED


def field_missing(field: str, message: str | None = None) -> EdxmlError:
    """A required element is absent (or empty where emptiness means absence)."""
    return EdxmlError(
        message or f"The required element {field} is missing.",
        code=ErrorCode.PACKAGE_FIELD_MISSING,
        detail={"field": field},
    )


def field_invalid(field: str, value: str, why: str) -> EdxmlError:
    """An element is present but its value is not of the form the standard requires."""
    return EdxmlError(
        f"The element {field} is invalid: {why}.",
        code=ErrorCode.PACKAGE_FIELD_INVALID,
        detail={"field": field, "value": value[:100]},
    )


def too_large(what: str, limit: int) -> EdxmlError:
    return EdxmlError(
        f"The package exceeds the limit on {what} ({limit}).",
        code=ErrorCode.PACKAGE_TOO_LARGE,
        detail={"limit": what, "value": limit},
    )


def forbidden(construct: str) -> EdxmlError:
    return EdxmlError(
        f"The package uses a forbidden XML construct: {construct}.",
        code=ErrorCode.PACKAGE_FORBIDDEN_XML,
        detail={"construct": construct},
    )


def manifest_mismatch(message: str, **detail: Any) -> EdxmlError:
    return EdxmlError(message, code=ErrorCode.MANIFEST_MISMATCH, detail=detail)
