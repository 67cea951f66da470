"""The validation report of a signed package (Circular 41/2017/TT-BTTTT Art. 7; Decree
68/2024/NĐ-CP Arts. 30-32): every check is reported separately, stored with the message and
returned to the recipient.

Checks, in order: ``integrity`` (the digest of the signed data), ``signature`` (the signature
value verifies with the certificate's key), ``certificate_validity`` (valid at signing time),
``revocation`` (not revoked then: OCSP, falling back to CRL, then cached answers),
``path`` (chains to a trusted root), ``key_usage`` (digitalSignature / nonRepudiation),
``signing_time``, and ``signer_agency`` (the certificate belongs to the sending agency,
Decision 28/2018/QĐ-TTg). Pure values: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["CHECKS", "Check", "CheckStatus", "ValidationReport"]


class CheckStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"
    WARNING = "warning"


# name -> Vietnamese label shown on screens
CHECKS: dict[str, str] = {
    "integrity": "Toàn vẹn dữ liệu",
    "signature": "Chữ ký số",
    "certificate_validity": "Hiệu lực chứng thư số tại thời điểm ký",
    "revocation": "Trạng thái thu hồi chứng thư số",
    "path": "Chuỗi chứng thực đến CA gốc tin cậy",
    "key_usage": "Mục đích sử dụng khóa",
    "signing_time": "Thời điểm ký",
    "signer_agency": "Chứng thư số thuộc cơ quan gửi",
}
STATUS_LABELS: dict[CheckStatus, str] = {
    CheckStatus.OK: "Hợp lệ",
    CheckStatus.FAILED: "Không hợp lệ",
    CheckStatus.UNKNOWN: "Không xác định",
    CheckStatus.WARNING: "Cảnh báo",
}

# What a warning or an unknown means, in plain Vietnamese (shown under the check).
NOTES_VI: dict[tuple[str, CheckStatus], str] = {
    ("signing_time", CheckStatus.WARNING): (
        "Chữ ký không kèm dấu thời gian của tổ chức cung cấp dịch vụ cấp dấu thời gian: thời "
        "điểm ký là thời điểm do người ký khai báo. Chữ ký vẫn có giá trị; chỉ thời điểm ký "
        "chưa được bên thứ ba xác nhận."
    ),
    ("signature", CheckStatus.WARNING): (
        "Gói tin trạng thái không có chữ ký số hoặc dùng thuật toán cũ (RSA-SHA1): được chấp "
        "nhận theo chính sách của Trục; văn bản thì bắt buộc phải ký số."
    ),
    ("revocation", CheckStatus.UNKNOWN): (
        "Chưa kiểm tra được chứng thư số có bị thu hồi hay không (không liên lạc được dịch vụ "
        "OCSP/CRL của tổ chức cấp chứng thư); Trục sẽ kiểm tra lại."
    ),
    ("revocation", CheckStatus.WARNING): (
        "Dùng kết quả kiểm tra thu hồi đã lưu trước đó vì dịch vụ OCSP/CRL tạm thời không trả lời."
    ),
}


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label_vi(self) -> str:
        return CHECKS[self.name]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "message": self.message,
            "label_vi": self.label_vi,
            "status_vi": STATUS_LABELS[self.status],
            "note_vi": NOTES_VI.get((self.name, self.status)),
            "detail": self.detail,
        }


@dataclass
class ValidationReport:
    """Checks filled in as verification goes; a check never run stays ``unknown``."""

    validated_at: datetime
    format: str = "XML-DSig"
    checks: dict[str, Check] = field(default_factory=dict)
    signer: dict[str, Any] | None = None
    signing_time: datetime | None = None

    def __post_init__(self) -> None:
        for name in CHECKS:
            self.checks.setdefault(name, Check(name, CheckStatus.UNKNOWN, "Not checked."))

    def set(self, name: str, status: CheckStatus, message: str, **detail: Any) -> Check:
        if name not in CHECKS:
            raise KeyError(name)
        check = Check(name, status, message, detail)
        self.checks[name] = check
        return check

    def status_of(self, name: str) -> CheckStatus:
        return self.checks[name].status

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status is CheckStatus.FAILED]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status is CheckStatus.WARNING]

    @property
    def overall(self) -> CheckStatus:
        statuses = {c.status for c in self.checks.values()}
        for status in (CheckStatus.FAILED, CheckStatus.UNKNOWN, CheckStatus.WARNING):
            if status in statuses:
                return status
        return CheckStatus.OK

    def as_dict(self) -> dict[str, Any]:
        overall = self.overall
        return {
            "format": self.format,
            "validated_at": self.validated_at.isoformat(),
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "overall": str(overall),
            "overall_vi": STATUS_LABELS[overall],
            "signer": self.signer,
            "checks": [self.checks[name].as_dict() for name in CHECKS],
        }
