"""Refusals of the agency registry.

Every refusal is an :class:`AgencyError` whose ``code`` says which rule was broken:
``AGENCY_CODE_INVALID``, ``AGENCY_INVALID``, ``AGENCY_UNKNOWN``, ``AGENCY_EXISTS`` for the
registry itself; ``AUTH_FAILED`` for credentials; ``RECIPIENT_UNKNOWN``,
``RECIPIENT_NOT_VALID``, ``RECIPIENT_MERGED`` when the exchange checks a package's recipients.
"""

from __future__ import annotations

from lienthong.errors import ErrorCode, LienthongError

__all__ = ["AgencyError"]


class AgencyError(LienthongError):
    """A registry refusal; ``code`` is one of the registry's error codes (see module doc)."""

    default_code = ErrorCode.AGENCY_INVALID
