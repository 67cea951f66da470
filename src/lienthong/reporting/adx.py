"""ADX (IHE QRPH Aggregate Data Exchange, namespace ``urn:ihe:qrph:adx:2015``), pure: write a
period's figures, read a file streaming into :class:`~lienthong.reporting.exchange.Group`.

A message::

    <adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-04-20T09:00:00+07:00">
      <group dataSet="KTXH" orgUnit="000.11.38.H41" period="2026-04-01/P1M">
        <dataValue dataElement="POP" value="1037"/>
        <dataValue dataElement="BIRTHS" SEX="NAM" value="4"/>
      </group>
    </adx>

``dataSet`` is the regime's code, ``orgUnit`` the reporting unit's code, ``period`` the
nominal ISO 8601 start/duration (:func:`~lienthong.reporting.exchange.nominal_iso`), the
disaggregation an attribute named after the form's disaggregation code. Reading is streaming
(``iterparse``, each value cleared once read) with a parser that resolves no entity, loads no
DTD and fetches nothing from the network; a file with a DOCTYPE or an entity declaration is
refused whole (``REPORT_EXCHANGE_MALFORMED``), as is one that is not well-formed or not ADX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any, cast

from lxml import etree

from lienthong.errors import ErrorCode
from lienthong.reporting.exchange import (
    ADX_NS,
    Group,
    Outgoing,
    RawValue,
    nominal_iso,
    number_text,
    split_cell,
    written_values,
)
from lienthong.reporting.rules import Form
from lienthong.reporting.submissions import refuse

_GROUP = f"{{{ADX_NS}}}group"
_VALUE = f"{{{ADX_NS}}}dataValue"
_ROOT = f"{{{ADX_NS}}}adx"
# Attributes of a group that are not dimensions (ADX and DHIS2's ADX).
_GROUP_ATTRIBUTES = {"dataSet", "orgUnit", "period", "completeDate", "comment", "exported"}
_PROLOG_BYTES = 4096
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


def write_adx(form: Form, groups: Iterable[Outgoing], *, exported: datetime | None = None) -> bytes:
    """The ADX message of ``groups`` (UTF-8, with its XML declaration)."""
    dimension = form.disaggregation.code if form.disaggregation else None
    root = etree.Element(_ROOT, nsmap=cast(Any, {None: ADX_NS}))  # the default namespace
    if exported is not None:
        root.set("exported", exported.isoformat(timespec="seconds"))
    for out in groups:
        group = etree.SubElement(root, _GROUP)
        group.set("dataSet", out.data_set)
        group.set("orgUnit", out.org_unit)
        group.set("period", nominal_iso(out.period))
        for cell, value in written_values(form, out.values):
            element, option = split_cell(cell)
            item = etree.SubElement(group, _VALUE)
            item.set("dataElement", element)
            if option and dimension is not None:
                item.set(dimension, option)
            item.set("value", number_text(value))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _malformed(message: str) -> Exception:
    return refuse(ErrorCode.REPORT_EXCHANGE_MALFORMED, message)


def parse_adx(source: IO[bytes]) -> list[Group]:
    """Read an ADX message from ``source`` (a file positioned at its start), streaming."""
    head = source.read(_PROLOG_BYTES)
    root_at = head.find(b"<adx") if b"<adx" in head else head.find(b":adx")
    prolog = head if root_at < 0 else head[:root_at]
    if _DECLARATION.search(prolog):
        raise _malformed("An ADX file may not declare a DOCTYPE or entities.")
    source.seek(0)
    context = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    groups: list[Group] = []
    current: Group | None = None
    values: list[RawValue] = []
    depth = 0
    try:
        for event, elem in context:
            tag = elem.tag
            if event == "start":
                depth += 1
                if depth == 1:
                    if tag != _ROOT:
                        raise _malformed(f"The root element is not ADX's <adx> ({ADX_NS}).")
                    docinfo = elem.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise _malformed("An ADX file may not declare a DOCTYPE or entities.")
                elif depth == 2 and tag == _GROUP:
                    current = _group(elem.attrib)
                    values = current.values
                elif depth == 2:
                    raise _malformed(f"Unexpected element {tag} in <adx>.")
                continue
            depth -= 1
            if depth == 2 and tag == _VALUE:
                values.append(_value(elem.items(), current))
                elem.clear()
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
            elif depth == 1 and current is not None:
                groups.append(current)
                current = None
                elem.clear()
            elif depth == 2 and tag != f"{{{ADX_NS}}}annotation":
                raise _malformed(f"Unexpected element {tag} in <group>.")
    except etree.XMLSyntaxError as exc:
        raise _malformed(f"The file is not well-formed XML: {exc.msg}.") from None
    return groups


def _group(attrib: etree._Attrib) -> Group:
    missing = [name for name in ("dataSet", "orgUnit", "period") if not attrib.get(name)]
    if missing:
        raise _malformed(f"A <group> lacks {', '.join(missing)}.")
    extra = [k for k in attrib if k not in _GROUP_ATTRIBUTES and not str(k).startswith("{")]
    if extra:
        raise refuse(
            ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN,
            "A group-level disaggregation is not read; write it on each dataValue.",
            unknown=[str(k) for k in extra],
        )
    return Group(str(attrib["dataSet"]), str(attrib["orgUnit"]), str(attrib["period"]))


def _value(items: list[tuple[str, str]], group: Group | None) -> RawValue:
    if group is None:
        raise _malformed("A <dataValue> outside a <group>.")
    element = value = None
    dims: list[tuple[str, str]] = []
    for key, text in items:
        if key == "dataElement":
            element = text
        elif key == "value":
            value = text
        elif key[0] != "{":  # a namespaced attribute (xsi:...) is no dimension
            dims.append((key, text))
    if not element or value is None:
        raise _malformed("A <dataValue> lacks dataElement or value.")
    if len(dims) > 1:
        dims.sort()
    return (element, tuple(dims), value)
