"""A small demo catalogue and a dossier builder in the gateway's field names (for ``lienthong
portal seed-demo``, the demo and tests). Procedure names follow the national database's style;
the codes are illustrative apart from the forms the standards notes give."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lienthong.portal.model import OnlineLevel, ProcedureVersion, format_portal_datetime

DEMO_CATALOGUE: tuple[ProcedureVersion, ...] = (
    ProcedureVersion(
        code="1.001234",
        version=1,
        name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        field_code="XD",
        field_name="Hoạt động xây dựng",
        levels=(2,),
        channels=(1, 2, 3),
        processing_days=15,
        fees=({"name": "Lệ phí cấp giấy phép xây dựng", "amount": 75000},),
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Xây dựng 2014; Nghị định 15/2021/NĐ-CP",
    ),
    ProcedureVersion(
        code="2.000635",
        version=1,
        name="Đăng ký khai sinh",
        field_code="HT",
        field_name="Hộ tịch",
        levels=(2, 3),
        processing_days=3,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        valid_to=date(2025, 12, 31),
        legal_basis="Luật Hộ tịch 2014",
    ),
    ProcedureVersion(
        code="2.000635",
        version=2,
        name="Đăng ký khai sinh",
        field_code="HT",
        field_name="Hộ tịch",
        levels=(2, 3),
        processing_days=1,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2026, 1, 1),
        legal_basis="Luật Hộ tịch 2014; Nghị định 87/2020/NĐ-CP",
    ),
    ProcedureVersion(
        code="1.004227",
        version=1,
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        field_code="LLTP",
        field_name="Lý lịch tư pháp",
        agency_codes=("000.00.10.H14",),
        levels=(2,),
        processing_days=10,
        fees=({"name": "Phí cung cấp thông tin lý lịch tư pháp", "amount": 200000},),
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Lý lịch tư pháp 2009",
    ),
    ProcedureVersion(
        code="1.003001",
        version=1,
        name="Cấp giấy phép khai thác rừng (đã bãi bỏ)",
        field_code="LN",
        field_name="Lâm nghiệp",
        levels=(2, 3, 4),
        processing_days=20,
        valid_from=date(2020, 1, 1),
        valid_to=date(2025, 6, 30),
    ),
)


def dossier_item(
    code: str,
    agency: str,
    procedure: str,
    *,
    status: int = 2,
    received: datetime,
    updated: datetime | None = None,
    finished: datetime | None = None,
    channel: int = 1,
    applicant: str = "Nguyễn Văn An",
    supplements: list[tuple[date | datetime, date | datetime]] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A ``DongBoHoSoMC`` item."""
    item: dict[str, Any] = {
        "MaHoSo": code,
        "MaTTHC": procedure,
        "DonViXuLy": agency,
        "SoBienNhan": code.rsplit("-", 1)[-1],
        "ChuHoSo": applicant,
        "LoaiDoiTuong": 1,
        "TrichYeuHoSo": "Hồ sơ " + procedure,
        "NgayTiepNhan": format_portal_datetime(received),
        "TrangThaiHoSo": status,
        "KenhThucHien": channel,
    }
    if updated is not None:
        item["NgayCapNhat"] = format_portal_datetime(updated)
    if finished is not None:
        item["NgayKetThucXuLy"] = format_portal_datetime(finished)
    if supplements:
        item["DanhSachHoSoBoSung"] = [
            {"NgayHenTraTruoc": _stamp(before), "NgayHenTraMoi": _stamp(after)}
            for before, after in supplements
        ]
    item.update(more)
    return item


def _stamp(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return format_portal_datetime(value) or ""
    return value.strftime("%Y%m%d") + "170000"
