"""The demo registry: a small but complete picture of the hierarchy, for ``make run`` and tests.

It holds the Government Office; two ministries with their departments (Bộ Tài chính, and Bộ
Khoa học và Công nghệ, which took over Bộ Thông tin và Truyền thông on 1 March 2025); two
provinces in the 2016 identifier form with departments, districts and communes over four levels
(Nghệ An, Cao Bằng); a province after the 2025 reorganisation, with two tiers and identifiers of
the new form (An Giang, which Kiên Giang joined on 1 July 2025); and the agencies that the
official sample packages address, under the names and contact fields the samples give them.

Identifiers follow the published forms but, apart from those in the samples and the standards
notes, are illustrative: do not copy them into a real registry.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency
from lienthong.errors import ErrorCode

if TYPE_CHECKING:
    from lienthong.agencies.service import AgencyService

__all__ = ["DEMO_AGENCIES", "DEMO_NAMES", "demo_signer", "head_title", "seed_demo"]

_REORGANISED = date(2025, 7, 1)  # two-tier local government (Resolution 202/2025/QH15)


def _agency(code: str, name: str, level: int, parent: str | None = None, **more: Any) -> NewAgency:
    return NewAgency(
        code=code,
        name=name,
        level=Level(level),
        parent_code=parent,
        organization_in_charge=name,
        **more,
    )


DEMO_AGENCIES: tuple[NewAgency, ...] = (
    # --- the centre ---------------------------------------------------------------------------
    _agency(
        "000.00.00.G22",
        "Văn phòng Chính phủ",
        1,
        address="Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
        email="vpcp@gov.vn",
        telephone="8043100",
        fax="048989898789",
        website="vpcp.vn",
    ),
    _agency(
        "000.00.00.G12",
        "Bộ Tài chính",
        1,
        address="Số 28 Trần Hưng Đạo, Quận Hoàn Kiếm, Hà Nội",
        website="mof.gov.vn",
    ),
    _agency("000.00.18.G12", "Tổng cục Thuế", 2, "000.00.00.G12"),
    _agency("000.00.19.G12", "Tổng cục Hải quan", 2, "000.00.00.G12"),
    _agency("000.40.18.G12", "Cục Thuế tỉnh Nghệ An", 3, "000.00.18.G12"),
    _agency(
        "000.00.00.G15",
        "Bộ Khoa học và Công nghệ",
        1,
        address="Số 113 Trần Duy Hưng, Quận Cầu Giấy, Hà Nội",
        website="most.gov.vn",
    ),
    _agency("000.00.05.G15", "Cục Chuyển đổi số quốc gia", 2, "000.00.00.G15"),
    _agency("000.00.07.G15", "Cục Bưu điện Trung ương", 2, "000.00.00.G15"),
    _agency(
        "000.00.00.G14",
        "Bộ Thông tin và Truyền thông",
        1,
        valid_to=date(2025, 2, 28),
        successor_code="000.00.00.G15",
        website="mic.gov.vn",
    ),
    # --- Nghệ An: four levels, 2016 identifiers ---------------------------------------------------
    _agency(
        "000.00.00.H41",
        "UBND tỉnh Nghệ An",
        1,
        address="Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam",
        email="nghean@gov.vn",
        telephone="0383 840418",
        fax="0383 843049",
        website="www.nghean.vn",
    ),
    _agency("000.00.01.H41", "Văn phòng UBND tỉnh Nghệ An", 2, "000.00.00.H41"),
    _agency("000.00.12.H41", "Sở Tài chính tỉnh Nghệ An", 2, "000.00.00.H41"),
    _agency(
        "000.00.16.H41", "Sở Nông nghiệp và Phát triển nông thôn tỉnh Nghệ An", 2, "000.00.00.H41"
    ),
    _agency("000.02.16.H41", "Chi cục Kiểm lâm tỉnh Nghệ An", 3, "000.00.16.H41"),
    _agency("001.02.16.H41", "Hạt Kiểm lâm huyện Nghi Lộc", 4, "000.02.16.H41"),
    _agency("000.00.31.H41", "UBND thành phố Vinh", 2, "000.00.00.H41"),
    _agency("000.05.31.H41", "UBND phường Hưng Bình", 3, "000.00.31.H41"),
    _agency("000.00.38.H41", "UBND huyện Nghi Lộc", 2, "000.00.00.H41"),
    _agency("000.11.38.H41", "UBND xã Nghi Phong", 3, "000.00.38.H41"),
    # --- Cao Bằng: 2016 identifiers, a district merger in 2020 ---------------------------------
    _agency(
        "000.00.00.H14",
        "UBND tỉnh Cao Bằng",
        1,
        address="Số 011 - Đường Hoàng Đình Giong - Thành Phố Cao Bằng, Tỉnh Cao Bằng",
        email="caobang@gov.vn",
        telephone="02063852139",
        fax="0202183239",
        website="www.caobang.gov.vn",
    ),
    _agency("000.00.05.H14", "Sở Nội vụ tỉnh Cao Bằng", 2, "000.00.00.H14"),
    _agency("000.00.10.H14", "Sở Tư pháp tỉnh Cao Bằng", 2, "000.00.00.H14"),
    _agency("000.00.21.H14", "UBND thành phố Cao Bằng", 2, "000.00.00.H14"),
    _agency("000.03.21.H14", "UBND phường Hợp Giang", 3, "000.00.21.H14"),
    _agency("000.00.22.H14", "UBND huyện Hà Quảng", 2, "000.00.00.H14"),
    _agency("000.08.22.H14", "UBND xã Trường Hà", 3, "000.00.22.H14"),
    _agency(
        "000.00.23.H14",
        "UBND huyện Thông Nông",
        2,
        "000.00.00.H14",
        valid_to=date(2020, 2, 29),
        successor_code="000.00.22.H14",
    ),
    # --- An Giang: two tiers since 1 July 2025, identifiers of the new form ---------------------
    _agency(
        "H01",
        "UBND tỉnh An Giang",
        1,
        valid_from=_REORGANISED,
        address="Số 16 Lê Triệu Kiết, phường Long Xuyên, tỉnh An Giang",
        website="www.angiang.gov.vn",
    ),
    _agency("H01.10", "Sở Tài chính tỉnh An Giang", 2, "H01", valid_from=_REORGANISED),
    _agency("H01.151", "UBND phường Long Xuyên", 2, "H01", valid_from=_REORGANISED),
    _agency("H01.151.01", "Văn phòng HĐND và UBND phường Long Xuyên", 3, "H01.151"),
    _agency("H01.152", "UBND phường Rạch Giá", 2, "H01", valid_from=_REORGANISED),
    _agency("H01.160", "UBND xã Mỹ Hòa Hưng", 2, "H01", valid_from=_REORGANISED),
    _agency(
        "000.00.00.H01",
        "UBND tỉnh An Giang (trước sắp xếp)",
        1,
        valid_to=date(2025, 6, 30),
        successor_code="H01",
    ),
    _agency(
        "000.00.00.H33",
        "UBND tỉnh Kiên Giang",
        1,
        valid_to=date(2025, 6, 30),
        successor_code="H01",
    ),
    # --- the sample packages' agencies, as the samples name them --------------------------------
    _agency("000.00.00.H17", "UBND thành phố Đà Nẵng", 1, website="www.danang.gov.vn"),
    _agency("22.H17", "UBND huyện Hòa Vang", 2, "000.00.00.H17"),
    _agency(
        "000.00.00.A80",
        "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
        3,
        "22.H17",
        address="Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
        email="vpcp@gov.vn",
        telephone="8043100",
        fax="048989898789",
        website="vpcp.vn",
    ),
    _agency(
        "28.22.H17",
        "UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
        3,
        "22.H17",
        address="số 62 - Võ Thị Sáu - Ngô Quyền - Hải Phòng",
        email="bxd@moc.gov.vn",
        telephone="(84-4) 3821 5137",
        fax="(023)37366617",
        website="www.haiphong.gov.vn",
    ),
    _agency(
        "000.00.00.G17",
        "Sở Thông tin truyền thông Hải Phòng",
        1,
        address="số 62 - Võ Thị Sáu - Ngô Quyền - Hải Phòng",
        email="bxd@moc.gov.vn",
        telephone="(84-4) 3821 5137",
        fax="(023)37366617",
        website="www.haiphong.gov.vn",
    ),
)


# Illustrative names of the demo's heads and staff (no real person is meant).
DEMO_NAMES: tuple[str, ...] = (
    "Trần Văn Sơn",
    "Nguyễn Thị Hồng Hạnh",
    "Lê Minh Tuấn",
    "Phạm Thu Trang",
    "Hoàng Quốc Việt",
    "Vũ Thị Lan Anh",
    "Đặng Hữu Phúc",
    "Bùi Thị Thanh Hương",
    "Đỗ Mạnh Cường",
    "Ngô Thị Mai",
    "Dương Văn Khánh",
    "Lý Thị Ngọc Bích",
    "Trịnh Xuân Trường",
    "Phan Thị Kim Oanh",
    "Hồ Đức Thắng",
    "Mai Thị Phương",
    "Tạ Quang Huy",
    "Lương Thị Hải Yến",
    "Đinh Công Danh",
    "Cao Thị Thu Hà",
)

# The title of the head of an agency, by the start of its name.
_HEAD_TITLES: tuple[tuple[str, str], ...] = (
    ("Văn phòng Chính phủ", "Bộ trưởng, Chủ nhiệm"),
    ("Bộ ", "Bộ trưởng"),
    ("Tổng cục", "Tổng cục trưởng"),
    ("Cục", "Cục trưởng"),
    ("Chi cục", "Chi cục trưởng"),
    ("Hạt", "Hạt trưởng"),
    ("Sở", "Giám đốc"),
    ("Văn phòng", "Chánh Văn phòng"),
    ("UBND", "Chủ tịch"),
)


def head_title(name: str) -> str:
    """The title of the person who signs for the agency named ``name``."""
    return next((title for start, title in _HEAD_TITLES if name.startswith(start)), "Thủ trưởng")


def demo_signer(agency: NewAgency) -> tuple[str, str]:
    """(full name, title) of the demo head who signs for ``agency``."""
    index = DEMO_AGENCIES.index(agency) if agency in DEMO_AGENCIES else len(agency.code)
    return DEMO_NAMES[index % len(DEMO_NAMES)], head_title(agency.name)


def seed_demo(service: AgencyService) -> list[dict[str, str]]:
    """Create the demo registry when the registry is empty, and return every demo agency's
    credentials as ``{"code", "name", "system_id", "secret"}`` dicts, in registry order.

    Idempotent: a second call registers nothing and returns the same secrets (issuing only
    those still missing, for instance after an interrupted first run). The agencies go in as
    one all-or-nothing batch. A registry that already holds other agencies is left alone: the
    answer is then an empty list, and no credentials are issued.
    """
    registered = {agency.code for agency in service.list_all()}
    demo_codes = {agency.code for agency in DEMO_AGENCIES}
    if not registered:
        service.register_all(DEMO_AGENCIES)
    elif not demo_codes <= registered:
        return []
    credentials = []
    for agency in DEMO_AGENCIES:
        try:
            system_id = agency.code  # what issue_credentials makes it
            _, raw = service.hmac_secret(system_id)
            secret = raw.decode("utf-8")
        except AgencyError as exc:
            if exc.code is not ErrorCode.AUTH_FAILED:
                raise
            system_id, secret = service.issue_credentials(agency.code)
        credentials.append(
            {"code": agency.code, "name": agency.name, "system_id": system_id, "secret": secret}
        )
    return credentials
