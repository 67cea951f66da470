"""The demo catalogue and a dossier builder in the gateway's field names (for ``lienthong
portal seed-demo``, the demo and tests): procedures of communes and districts, of two provincial
departments and of ministries' agencies, one replaced by a new version, one abolished. Procedure
names follow the national database's style; the codes are illustrative apart from the forms the
standards notes give."""

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
        code="1.001193",
        version=1,
        name="Đăng ký kết hôn",
        field_code="HT",
        field_name="Hộ tịch",
        levels=(2, 3),
        processing_days=3,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP",
    ),
    ProcedureVersion(
        code="2.000908",
        version=1,
        name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        field_code="CT",
        field_name="Chứng thực",
        levels=(2, 3),
        processing_days=1,
        fees=({"name": "Phí chứng thực bản sao", "amount": 2000},),
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2024, 1, 1),
        legal_basis="Nghị định 23/2015/NĐ-CP",
    ),
    ProcedureVersion(
        code="1.003622",
        version=1,
        name="Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        field_code="DD",
        field_name="Đất đai",
        levels=(2,),
        processing_days=20,
        fees=({"name": "Lệ phí cấp Giấy chứng nhận", "amount": 100000},),
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2024, 8, 1),
        legal_basis="Luật Đất đai 2024; Nghị định 101/2024/NĐ-CP",
    ),
    ProcedureVersion(
        code="2.001610",
        version=1,
        name="Đăng ký thành lập doanh nghiệp tư nhân",
        field_code="DN",
        field_name="Thành lập và hoạt động của doanh nghiệp",
        agency_codes=("000.00.12.H41", "H01.10"),
        levels=(2,),
        processing_days=3,
        fees=({"name": "Lệ phí đăng ký doanh nghiệp", "amount": 50000},),
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2025, 3, 1),
        legal_basis="Luật Doanh nghiệp 2020; Nghị định 168/2025/NĐ-CP",
    ),
    ProcedureVersion(
        code="1.004363",
        version=1,
        name="Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông, lâm, thủy sản",
        field_code="NN",
        field_name="Quản lý chất lượng nông lâm sản và thủy sản",
        agency_codes=("000.00.16.H41",),
        levels=(2,),
        processing_days=15,
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật An toàn thực phẩm 2010",
    ),
    ProcedureVersion(
        code="1.007732",
        version=1,
        name="Đăng ký thuế lần đầu đối với người nộp thuế là tổ chức",
        field_code="THUE",
        field_name="Quản lý thuế",
        agency_codes=("000.00.18.G12",),
        levels=(2, 3),
        processing_days=3,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Quản lý thuế 2019; Thông tư 86/2024/TT-BTC",
    ),
    ProcedureVersion(
        code="1.010825",
        version=1,
        name="Hoàn thuế giá trị gia tăng",
        field_code="THUE",
        field_name="Quản lý thuế",
        agency_codes=("000.00.18.G12",),
        levels=(2, 3),
        processing_days=6,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Thuế giá trị gia tăng 2024",
    ),
    ProcedureVersion(
        code="2.002159",
        version=1,
        name="Thủ tục hải quan đối với hàng hóa xuất khẩu, nhập khẩu thương mại",
        field_code="HQ",
        field_name="Hải quan",
        agency_codes=("000.00.19.G12",),
        levels=(2,),
        processing_days=1,
        online_level=OnlineLevel.END_TO_END,
        valid_from=date(2024, 1, 1),
        legal_basis="Luật Hải quan 2014",
    ),
    ProcedureVersion(
        code="1.012021",
        version=1,
        name="Cấp giấy phép bưu chính",
        field_code="BC",
        field_name="Bưu chính",
        agency_codes=("000.00.07.G15",),
        levels=(2,),
        processing_days=20,
        fees=({"name": "Phí thẩm định cấp giấy phép bưu chính", "amount": 5000000},),
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2025, 3, 1),
        legal_basis="Luật Bưu chính 2010",
    ),
    ProcedureVersion(
        code="1.011907",
        version=1,
        name="Cấp giấy phép cung cấp dịch vụ chứng thực chữ ký số công cộng",
        field_code="CKS",
        field_name="Giao dịch điện tử",
        agency_codes=("000.00.05.G15",),
        levels=(2,),
        processing_days=30,
        online_level=OnlineLevel.PARTIAL,
        valid_from=date(2025, 3, 1),
        legal_basis="Luật Giao dịch điện tử 2023",
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
