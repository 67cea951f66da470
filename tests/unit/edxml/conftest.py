"""Helpers for the edXML tests: a small valid package to spoil, and a sink that keeps count."""

from __future__ import annotations

from datetime import date

import pytest

from lienthong.edxml import MemorySink, build_document, make_document


def small_document() -> bytes:
    """A valid one-attachment document package, built the standard way."""
    pkg, contents = make_document(
        sender="000.00.00.G22",
        recipients=["000.00.00.H41", "H01.151.01"],
        number="7816",
        notation="VPCP-TTĐT",
        promulgation_date=date(2026, 11, 2),
        subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        attachments={"công văn.pdf": b"%PDF-1.7 " + bytes(range(256)) * 10},
    )
    data = build_document(pkg, contents)
    assert data is not None
    return data


@pytest.fixture
def document_bytes() -> bytes:
    return small_document()


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()
