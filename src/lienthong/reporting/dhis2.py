"""DHIS2 ``dataValueSets`` JSON, pure: write a period's figures, read a file into
:class:`~lienthong.reporting.exchange.Group`.

A data value set::

    {"dataSet": "KTXH", "period": "202604", "orgUnit": "000.11.38.H41",
     "periodIso": "2026-04-01/P1M",
     "dataValues": [
       {"dataElement": "POP", "period": "202604", "orgUnit": "000.11.38.H41",
        "categoryOptionCombo": "default", "value": "1037"},
       {"dataElement": "BIRTHS", "period": "202604", "orgUnit": "000.11.38.H41",
        "categoryOptionCombo": "NAM", "value": "4"}]}

Codes are lienthong's (DHIS2's ``idScheme=CODE``): the regime as ``dataSet``, the unit as
``orgUnit``, the indicator as ``dataElement``, the disaggregation option as
``categoryOptionCombo`` (``default`` for the total, DHIS2's default combination's code). The
period is DHIS2's (``202604``, ``2026Q1``, ``2026S1``, ``2026``; nine months, which DHIS2 lacks,
as ISO); ``periodIso`` repeats it as ISO 8601 start/duration (DHIS2 ignores the field). Values
are strings, as DHIS2 writes them. Reading takes a value's own ``period`` / ``orgUnit`` over the
set's, numbers or strings as values, ignores DHIS2's other fields (``comment``, ``storedBy``,
``attributeOptionCombo``...), and refuses what is not JSON or not a data value set
(``REPORT_EXCHANGE_MALFORMED``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from lienthong.errors import ErrorCode
from lienthong.reporting.exchange import (
    DHIS2_DEFAULT_COMBO,
    Group,
    Outgoing,
    dhis2_period,
    nominal_iso,
    number_text,
    split_cell,
    written_values,
)
from lienthong.reporting.rules import Form
from lienthong.reporting.submissions import refuse


def write_data_value_sets(form: Form, groups: Iterable[Outgoing]) -> dict[str, Any]:
    """One data value set per group; a single group is the set itself (what DHIS2 posts),
    several are ``{"dataValueSets": [...]}``."""
    sets = [_set(form, out) for out in groups]
    if len(sets) == 1:
        return sets[0]
    return {"dataValueSets": sets}


def _set(form: Form, out: Outgoing) -> dict[str, Any]:
    period = dhis2_period(out.period)
    values = []
    for cell, value in written_values(form, out.values):
        element, option = split_cell(cell)
        values.append(
            {
                "dataElement": element,
                "period": period,
                "orgUnit": out.org_unit,
                "categoryOptionCombo": option or DHIS2_DEFAULT_COMBO,
                "value": number_text(value),
            }
        )
    return {
        "dataSet": out.data_set,
        "period": period,
        "periodIso": nominal_iso(out.period),
        "orgUnit": out.org_unit,
        "dataValues": values,
    }


def _malformed(message: str) -> Exception:
    return refuse(ErrorCode.REPORT_EXCHANGE_MALFORMED, message)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_data_value_sets(source: IO[bytes]) -> list[Group]:
    """Read a data value set (or ``{"dataValueSets": [...]}``) from ``source``."""
    try:
        document = json.load(source, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting
        raise _malformed(f"The file is not JSON: {exc}.") from None
    if isinstance(document, dict) and isinstance(document.get("dataValueSets"), list):
        sets = document["dataValueSets"]
    else:
        sets = [document]
    groups: dict[tuple[str, str, str], Group] = {}
    for item in sets:
        if not isinstance(item, dict) or not isinstance(item.get("dataValues"), list):
            raise _malformed("A data value set needs a dataValues list.")
        for dv in item["dataValues"]:
            if not isinstance(dv, dict):
                raise _malformed("A data value is not an object.")
            data_set = _text(dv.get("dataSet", item.get("dataSet")))
            org_unit = _text(dv.get("orgUnit", item.get("orgUnit")))
            period = _text(dv.get("period", item.get("period")))
            element = _text(dv.get("dataElement"))
            if not (data_set and org_unit and period and element):
                raise _malformed(
                    "A data value lacks its dataElement, or its set a dataSet, orgUnit or period."
                )
            value = dv.get("value")
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise refuse(ErrorCode.REPORT_CELL_NOT_NUMBER, cells=[element])
            combo = _text(dv.get("categoryOptionCombo")) or DHIS2_DEFAULT_COMBO
            dims: tuple[tuple[str, str], ...] = ()
            if combo != DHIS2_DEFAULT_COMBO:
                dims = (("", combo),)
            key = (data_set, org_unit, period)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(data_set, org_unit, period)
            group.values.append((element, dims, str(value)))
    return list(groups.values())


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
