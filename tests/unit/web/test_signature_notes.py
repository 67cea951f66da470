"""A warning on a signature check is explained on the page ("Cảnh báo: Thời điểm ký" alone
told a clerk nothing), for new and for stored reports."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.trust.report import CheckStatus, ValidationReport
from lienthong.web.pages import environment


def _render(report: dict[str, object]) -> str:
    template = environment().from_string(
        '{% with rep = report %}{% include "clerk/_signature.html" %}{% endwith %}'
    )
    return template.render(report=report)


def test_a_signing_time_warning_is_explained_in_vietnamese() -> None:
    report = ValidationReport(validated_at=datetime(2026, 11, 20, tzinfo=UTC), format="PAdES")
    report.set("signing_time", CheckStatus.WARNING, "2026-11-20T09:00:00+07:00, claimed")
    html = _render(report.as_dict())
    assert "Thời điểm ký" in html
    assert "dấu thời gian" in html and "do người ký khai báo" in html


def test_a_stored_report_without_notes_gets_them_too() -> None:
    stored = {
        "overall": "warning",
        "overall_vi": "Cảnh báo",
        "checks": [
            {
                "name": "revocation",
                "status": "unknown",
                "status_vi": "Không xác định",
                "label_vi": "Trạng thái thu hồi chứng thư số",
            },
        ],
    }
    assert "OCSP/CRL" in _render(stored)
