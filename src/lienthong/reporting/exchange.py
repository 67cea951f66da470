"""A period's figures exchanged with other systems (ADX and DHIS2 ``dataValueSets``), pure:
the shape both parsers answer, the period written the ways other systems write it, and the
reading of incoming values into the cells of a regime's form.

Shape
-----
A file holds *groups*, each one unit's values for one data set (the regime) and one period
(ADX ``<group dataSet orgUnit period>``, DHIS2 a data value set, or its values' own ``orgUnit``
/ ``period``). A value names its data element (the indicator code) and its disaggregation
(ADX: an attribute named after the form's disaggregation, ``SEX="NAM"``; DHIS2: the
``categoryOptionCombo`` code, ``default`` or none for the total).

Periods
-------
A period is written as ISO 8601 start/duration of its *nominal* span, as ADX and DHIS2 read
it: ``2026-03-01/P1M`` (March), ``2026-01-01/P3M`` (Q1), ``2026-07-01/P6M`` (H2),
``2026-01-01/P9M`` (nine months), ``2026-01-01/P1Y`` (year); DHIS2 codes are ``202603``,
``2026Q1``, ``2026S2``, ``2026`` (DHIS2 has no nine-month period: the ISO form stands in).
DHIS2 turns ``2026-02-15/P1M`` into February, so the regime's data window (``2026-02-15`` to
``2026-03-14`` under Decree 09) is never what is written; it is still *read*
(:meth:`WindowSchedule.from_iso`), as are the codes ``2026-M03``.

Reading (:func:`cells_of`), refusals in this order, each with its code and nothing stored:
a data set that is not the regime (``REGIME_UNKNOWN``), a period that cannot be read, is not a
period type of the regime or is not the period imported (``REPORT_EXCHANGE_PERIOD_INVALID``),
a data element or disaggregation not in the form (``REPORT_EXCHANGE_INDICATOR_UNKNOWN``), the
same cell twice (``REPORT_EXCHANGE_DUPLICATE_VALUE``), a value that is not a number
(``REPORT_CELL_NOT_NUMBER``, as in an XLSX). The units (``REPORT_EXCHANGE_UNIT_INVALID``) are
checked by the service against the reporting tree; the figures then go through the form's
own validation (``REPORT_VALIDATION_FAILED``) exactly like a typed form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lienthong.errors import ErrorCode
from lienthong.reporting.model import Period, PeriodError, PeriodType, WindowSchedule
from lienthong.reporting.regimes import RegimeVersion
from lienthong.reporting.rules import Form
from lienthong.reporting.submissions import refuse

ADX_NS = "urn:ihe:qrph:adx:2015"
ADX_MEDIA_TYPE = "application/adx+xml"
DHIS2_DEFAULT_COMBO = "default"
# How many offending items a refusal lists in its detail (a file may hold 100,000 values).
DETAIL_LIMIT = 20

# One incoming value: data element, its disaggregation options as (dimension, option) pairs
# (sorted, usually none or one; the dimension ``""`` when the file does not name it, as DHIS2's
# categoryOptionCombo) and the value as written.
RawValue = tuple[str, tuple[tuple[str, str], ...], str]

_DURATION = {
    PeriodType.MONTH: "P1M",
    PeriodType.QUARTER: "P3M",
    PeriodType.HALF_YEAR: "P6M",
    PeriodType.NINE_MONTHS: "P9M",
    PeriodType.YEAR: "P1Y",
}
_TYPE_OF_DURATION = {d: t for t, d in _DURATION.items()}
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/(P1M|P3M|P6M|P9M|P1Y|P12M)$")
_DHIS2_RE = re.compile(r"^(\d{4})(?:(0[1-9]|1[0-2])|Q([1-4])|S([12]))?$")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass
class Group:
    """One unit's values for one data set and period, as the file wrote them."""

    data_set: str
    org_unit: str
    period: str
    values: list[RawValue] = field(default_factory=list)


@dataclass(frozen=True)
class Outgoing:
    """One unit's (or consolidated node's) figures of a period, to be written."""

    data_set: str
    org_unit: str
    period: Period
    values: Mapping[str, float]  # form cells: ``INDICATOR`` or ``INDICATOR.OPTION``


# --- periods ------------------------------------------------------------------------------


def nominal_iso(period: Period) -> str:
    """``2026-03-01/P1M``: the period's nominal span as ISO 8601 start/duration."""
    return f"{period.year}-{period.first_month:02d}-01/{_DURATION[period.type]}"


def dhis2_period(period: Period) -> str:
    """The DHIS2 period code (``202603``, ``2026Q1``, ``2026S1``, ``2026``); nine months,
    which DHIS2 has no period type for, as its ISO form."""
    if period.type is PeriodType.MONTH:
        return f"{period.year}{period.index:02d}"
    if period.type is PeriodType.QUARTER:
        return f"{period.year}Q{period.index}"
    if period.type is PeriodType.HALF_YEAR:
        return f"{period.year}S{period.index}"
    if period.type is PeriodType.YEAR:
        return str(period.year)
    return nominal_iso(period)


def read_period(text: str, windows: WindowSchedule) -> Period:
    """A period written any way a file may write it: ISO 8601 nominal (``2026-03-01/P1M``) or
    the regime's data window (``2026-02-15/P1M``), DHIS2 (``202603``, ``2026Q1``, ``2026S1``,
    ``2026``) or lienthong's code (``2026-M03``). Raises :class:`PeriodError`."""
    raw = text.strip()
    match = _ISO_RE.match(raw)
    if match is not None:
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        period_type = _TYPE_OF_DURATION.get(match.group(4), PeriodType.YEAR)
        if day == 1:
            nominal = _nominal(year, month, period_type)
            if nominal is not None:
                return nominal
        return windows.from_iso(raw.replace("/P12M", "/P1Y"))
    match = _DHIS2_RE.match(raw)
    if match is not None:
        year = int(match.group(1))
        if match.group(2):
            return Period(year, PeriodType.MONTH, int(match.group(2)))
        if match.group(3):
            return Period(year, PeriodType.QUARTER, int(match.group(3)))
        if match.group(4):
            return Period(year, PeriodType.HALF_YEAR, int(match.group(4)))
        return Period(year, PeriodType.YEAR)
    return Period.parse(raw)


def _nominal(year: int, month: int, period_type: PeriodType) -> Period | None:
    if not 1 <= month <= 12:
        return None
    if period_type is PeriodType.MONTH:
        return Period(year, period_type, month)
    if period_type is PeriodType.QUARTER and month % 3 == 1:
        return Period(year, period_type, month // 3 + 1)
    if period_type is PeriodType.HALF_YEAR and month in (1, 7):
        return Period(year, period_type, 1 if month == 1 else 2)
    if period_type in (PeriodType.NINE_MONTHS, PeriodType.YEAR) and month == 1:
        return Period(year, period_type)
    return None


# --- cells --------------------------------------------------------------------------------


def split_cell(cell: str) -> tuple[str, str]:
    """``BIRTHS.NAM`` -> (``BIRTHS``, ``NAM``); a total -> (code, ``""``)."""
    code, _, option = cell.partition(".")
    return code, option


def written_values(form: Form, values: Mapping[str, float | None]) -> list[tuple[str, float]]:
    """The cells of ``values`` that hold a figure, in the form's order."""
    out: list[tuple[str, float]] = []
    for cell in form.cells:
        value = values.get(cell)
        if value is not None and math.isfinite(value):
            out.append((cell, value))
    return out


def number_text(value: float) -> str:
    """A value as ADX (xs:decimal) and DHIS2 write it: ``1200``, ``98.5``, never ``1e+20``."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text if float(text) == value else repr(value)


def _refuse_listed(code: ErrorCode, key: str, items: list[str]) -> None:
    if items:
        detail: dict[str, Any] = {key: items[:DETAIL_LIMIT], "count": len(items)}
        raise refuse(code, None, **detail)


@dataclass(frozen=True)
class Incoming:
    """What :func:`cells_of` read: the figures by form cell and the units the file names."""

    values: dict[str, float]
    org_units: frozenset[str]
    count: int


def cells_of(groups: Iterable[Group], regime: RegimeVersion, period: Period) -> Incoming:
    """The figures of ``groups`` as cells of ``regime``'s form for ``period`` (see the module
    docstring for the refusals, in order); the units are not checked here."""
    form = regime.form
    dataset_names = {regime.code, form.code, form.template_id}
    groups = list(groups)
    if not groups or not any(g.values for g in groups):
        raise refuse(ErrorCode.REPORT_EXCHANGE_MALFORMED, "The file holds no data value.")
    for group in groups:
        if group.data_set not in dataset_names:
            raise refuse(ErrorCode.REGIME_UNKNOWN, data_set=group.data_set, regime=regime.code)
    seen_periods: dict[str, Period] = {}
    for group in groups:
        if group.period in seen_periods:
            continue
        try:
            found = read_period(group.period, regime.windows)
        except PeriodError as exc:
            raise refuse(
                ErrorCode.REPORT_EXCHANGE_PERIOD_INVALID, str(exc), period=group.period
            ) from exc
        if found.type not in regime.frequencies or found != period:
            raise refuse(
                ErrorCode.REPORT_EXCHANGE_PERIOD_INVALID,
                period=group.period,
                read_as=found.code,
                expected=period.code,
                expected_iso=nominal_iso(period),
            )
        seen_periods[group.period] = found
    dimension = form.disaggregation.code if form.disaggregation else None
    known = set(form.cells)
    values: dict[str, float] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    not_numbers: list[str] = []
    count = 0
    for group in groups:
        for element, dims, text in group.values:
            count += 1
            if not dims:
                cell = element
            elif len(dims) == 1 and dimension is not None and dims[0][0] in (dimension, ""):
                cell = f"{element}.{dims[0][1]}"
            else:
                unknown.append(element + "".join(f" {k}={v}" for k, v in dims))
                continue
            if cell not in known:
                unknown.append(cell)
                continue
            if cell in values:
                duplicates.append(cell)
                continue
            value = _number(text)
            if value is None:
                not_numbers.append(cell)
                values[cell] = math.nan
                continue
            values[cell] = value
    _refuse_listed(ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN, "unknown", unknown)
    _refuse_listed(ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE, "duplicates", duplicates)
    _refuse_listed(ErrorCode.REPORT_CELL_NOT_NUMBER, "cells", not_numbers)
    return Incoming(values, frozenset(g.org_unit for g in groups), count)


def _number(text: str) -> float | None:
    raw = text.strip()
    if not _NUMBER_RE.match(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None
