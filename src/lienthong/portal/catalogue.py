"""The procedure catalogue's files (CSV or JSON) read into :class:`ProcedureVersion` values, and
the catalogue's gateway view (``LayThuTuc``). Pure: the store saves what this returns.

CSV columns (header row, UTF-8): ``code, version, name, field_code, field_name, agency_codes,
levels, channels, processing_days, fees, online_level, valid_from, valid_to, legal_basis``;
lists are separated by ``;``, ``fees`` is ``name:amount`` pairs separated by ``;``. JSON: a list
of objects with the same keys (lists as JSON arrays, fees as ``[{"name", "amount"}]``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import date
from typing import Any, TextIO

from lienthong.errors import ErrorCode
from lienthong.portal.model import (
    PROCEDURE_CODE_RE,
    OnlineLevel,
    PortalError,
    ProcedureVersion,
    format_portal_datetime,
)

CSV_COLUMNS = (
    "code",
    "version",
    "name",
    "field_code",
    "field_name",
    "agency_codes",
    "levels",
    "channels",
    "processing_days",
    "fees",
    "online_level",
    "valid_from",
    "valid_to",
    "legal_basis",
)
_REQUIRED = ("code", "name", "field_code", "field_name", "processing_days", "valid_from")


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _fees(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple({"name": str(f["name"]), "amount": int(f["amount"])} for f in value)
    fees = []
    for part in _list(value):
        name, _, amount = part.rpartition(":")
        fees.append({"name": name.strip(), "amount": int(amount)})
    return tuple(fees)


def _date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{name} {value!r} is not a date YYYY-MM-DD") from exc


def record_to_version(record: Mapping[str, Any]) -> ProcedureVersion:
    """One record (a CSV row or a JSON object) as a version; ValueError says what is wrong."""
    missing = [k for k in _REQUIRED if record.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    code = str(record["code"]).strip()
    if not PROCEDURE_CODE_RE.fullmatch(code):
        raise ValueError(f"code {code!r} is not a procedure code like 1.001234")
    days = int(record["processing_days"])
    if not 0 <= days <= 365:
        raise ValueError("processing_days must be 0-365 working days")
    channels = tuple(int(c) for c in _list(record.get("channels")) or ["1", "2", "3"])
    if any(c not in (1, 2, 3) for c in channels):
        raise ValueError("channels are 1 (in person), 2 (online), 3 (postal)")
    levels = tuple(int(x) for x in _list(record.get("levels")))
    if any(x not in (1, 2, 3, 4) for x in levels):
        raise ValueError("levels are 1-4")
    valid_from = _date(record["valid_from"], "valid_from")
    valid_to = _date(record.get("valid_to"), "valid_to")
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise ValueError("valid_to is before valid_from")
    return ProcedureVersion(
        code=code,
        version=int(record.get("version") or 1),
        name=str(record["name"]).strip(),
        field_code=str(record["field_code"]).strip(),
        field_name=str(record["field_name"]).strip(),
        agency_codes=tuple(_list(record.get("agency_codes"))),
        levels=levels,
        channels=channels,
        processing_days=days,
        fees=_fees(record.get("fees")),
        online_level=OnlineLevel(record.get("online_level") or OnlineLevel.PARTIAL),
        valid_from=valid_from,
        valid_to=valid_to,
        legal_basis=str(record.get("legal_basis") or ""),
    )


def _parse_records(records: list[tuple[int, Mapping[str, Any]]]) -> list[ProcedureVersion]:
    versions: list[ProcedureVersion] = []
    problems: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for row, record in records:
        try:
            version = record_to_version(record)
        except (ValueError, TypeError, KeyError) as exc:
            problems.append({"row": row, "reason": str(exc)})
            continue
        key = (version.code, version.version)
        if key in seen:
            problems.append({"row": row, "reason": f"{key[0]} version {key[1]} is repeated"})
        seen.add(key)
        versions.append(version)
    if problems:
        raise PortalError(
            f"{len(problems)} catalogue record(s) refused; nothing was imported",
            code=ErrorCode.PORTAL_PROCEDURE_INVALID,
            detail={"errors": problems},
        )
    return versions


def parse_csv(stream: TextIO) -> list[ProcedureVersion]:
    reader = csv.DictReader(stream)
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise PortalError(
            f"the CSV header lacks {', '.join(missing)}", code=ErrorCode.PORTAL_PROCEDURE_INVALID
        )
    return _parse_records([(i + 2, row) for i, row in enumerate(reader)])


def parse_json(text: str) -> list[ProcedureVersion]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PortalError(f"not JSON: {exc.msg}", code=ErrorCode.PORTAL_PROCEDURE_INVALID) from exc
    if isinstance(data, dict):
        data = data.get("procedures", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise PortalError(
            "expected a list of procedure objects", code=ErrorCode.PORTAL_PROCEDURE_INVALID
        )
    return _parse_records([(i + 1, r) for i, r in enumerate(data)])


def gateway_view(version: ProcedureVersion) -> dict[str, Any]:
    """A version in the gateway's field names (``LayThuTuc``)."""
    return {
        "MaTTHC": version.code,
        "PhienBan": version.version,
        "TenTTHC": version.name,
        "MaLinhVuc": version.field_code,
        "TenLinhVuc": version.field_name,
        "CoQuanThucHien": list(version.agency_codes),
        "CapThucHien": list(version.levels),
        "KenhThucHien": list(version.channels),
        "ThoiHanGiaiQuyet": version.processing_days,
        "DanhSachLePhi": [{"TenPhiLePhi": f["name"], "MucPhi": f["amount"]} for f in version.fees],
        "MucDo": str(version.online_level),
        "HieuLucTu": format_portal_datetime_date(version.valid_from),
        "HieuLucDen": format_portal_datetime_date(version.valid_to),
        "CanCuPhapLy": version.legal_basis,
    }


def format_portal_datetime_date(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%d") + "000000"


__all__ = [
    "CSV_COLUMNS",
    "format_portal_datetime",
    "gateway_view",
    "parse_csv",
    "parse_json",
    "record_to_version",
]
