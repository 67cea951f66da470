"""The living demo's feedback (phản ánh, kiến nghị): 30 items filed by citizens and businesses
over the last two months through :class:`FeedbackService`, each taken as far as its story
goes on a clock moved through those weeks: just received; forwarded to the competent agency
(some past their deadline, some due soon); in handling; answered; answered and published with
the personal data redacted; closed (invalid, not competent, a duplicate, or answered and
closed); one reopened after publication. Idempotent: each item is filed once (its source
names it), so a second run adds nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.portal import feedback_store as fstore
from lienthong.portal.feedback import FeedbackService, NewFeedback
from lienthong.portal.model import Classification

__all__ = ["ITEMS", "seed_demo_feedback"]

OPERATOR = "dichvucong"  # the demo portal operator who classifies, answers and publishes


@dataclass(frozen=True)
class _Item:
    days_ago: int  # filed this many days before now
    story: str  # received | assigned | in_progress | answered | published | closed_* | reopened
    name: str
    subject: str
    content: str
    agency: str  # the competent agency (the citizen may not name it)
    procedure: str = ""
    named: bool = True  # the citizen named the agency on the form
    business: bool = False
    answer: str = ""


_DELAY = "Hồ sơ của tôi đã quá hạn hẹn trả kết quả nhưng chưa được giải quyết."
ITEMS: tuple[_Item, ...] = (
    _Item(
        1,
        "received",
        "Nguyễn Văn Bình",
        "Chậm trả kết quả đăng ký khai sinh",
        f"{_DELAY} Tôi nộp hồ sơ đăng ký khai sinh cho con tại UBND phường Hưng Bình, hẹn "
        "trả sau 1 ngày nhưng đến nay chưa có kết quả. Số điện thoại của tôi: 0912 345 678.",
        "000.05.31.H41",
        "2.000635",
    ),
    _Item(
        2,
        "received",
        "Trần Thị Lan",
        "Đề nghị hướng dẫn nộp hồ sơ trực tuyến",
        "Tôi không tìm thấy mục nộp hồ sơ chứng thực bản sao trực tuyến trên Cổng dịch vụ "
        "công của tỉnh. Đề nghị hướng dẫn cụ thể các bước thực hiện.",
        "H01.151",
        "2.000908",
        named=False,
    ),
    _Item(
        0,
        "received",
        "Công ty TNHH Thương mại Hồng Lam",
        "Thời hạn hoàn thuế giá trị gia tăng",
        "Doanh nghiệp đã nộp hồ sơ hoàn thuế giá trị gia tăng đầy đủ nhưng sau 10 ngày làm "
        "việc vẫn chưa nhận được quyết định hoàn thuế. Đề nghị cơ quan thuế xem xét, trả lời.",
        "000.00.18.G12",
        "1.010825",
        business=True,
    ),
    _Item(
        3,
        "received",
        "Lê Minh Tuấn",
        "Phản ánh thái độ tiếp công dân",
        "Cán bộ tiếp nhận hồ sơ tại Bộ phận Một cửa có thái độ thiếu niềm nở, không giải "
        "thích rõ lý do yêu cầu bổ sung giấy tờ.",
        "000.00.38.H41",
        named=False,
    ),
    _Item(
        2,
        "received",
        "Phạm Thu Hà",
        "Kiến nghị bổ sung lịch làm việc thứ Bảy",
        "Đề nghị Bộ phận Một cửa thành phố bố trí tiếp nhận hồ sơ vào sáng thứ Bảy để người "
        "lao động có thể đi làm thủ tục.",
        "000.00.31.H41",
    ),
    _Item(
        20,
        "assigned",
        "Hoàng Văn Hải",
        "Chậm cấp Giấy chứng nhận quyền sử dụng đất",
        f"{_DELAY} Hồ sơ đăng ký đất đai lần đầu nộp từ tháng trước tại UBND huyện Nghi Lộc "
        "đã quá 20 ngày làm việc. Email liên hệ: hoangvanhai@example.vn.",
        "000.00.38.H41",
        "1.003622",
    ),
    _Item(
        24,
        "assigned",
        "Vũ Thị Mai",
        "Yêu cầu nộp giấy tờ không có trong quy định",
        "Khi làm thủ tục đăng ký kết hôn, tôi được yêu cầu nộp thêm giấy xác nhận của tổ dân "
        "phố, không có trong thành phần hồ sơ đã công bố.",
        "000.03.21.H14",
        "1.001193",
    ),
    _Item(
        9,
        "assigned",
        "Đặng Quốc Việt",
        "Chưa nhận được Phiếu lý lịch tư pháp",
        "Tôi nộp hồ sơ cấp Phiếu lý lịch tư pháp trực tuyến, đã thanh toán phí nhưng chưa "
        "nhận được phiếu qua đường bưu chính.",
        "000.00.10.H14",
        "1.004227",
        named=False,
    ),
    _Item(
        12,
        "assigned",
        "Bùi Thanh Hương",
        "Phí chứng thực thu cao hơn quy định",
        "Tại UBND xã Mỹ Hòa Hưng, tôi bị thu phí chứng thực bản sao 5.000 đồng/trang, cao "
        "hơn mức phí quy định.",
        "H01.160",
        "2.000908",
    ),
    _Item(
        6,
        "assigned",
        "Công ty cổ phần Vận tải Bắc Trung Bộ",
        "Thời gian thông quan kéo dài",
        "Tờ khai hải quan hàng xuất khẩu của doanh nghiệp bị phân luồng đỏ, thời gian kiểm "
        "tra thực tế kéo dài 3 ngày, ảnh hưởng đến tiến độ giao hàng.",
        "000.00.19.G12",
        "2.002159",
        business=True,
    ),
    _Item(
        15,
        "in_progress",
        "Ngô Thị Ngọc",
        "Cấp lại Giấy chứng nhận an toàn thực phẩm",
        "Cơ sở sản xuất nước mắm của gia đình tôi đã nộp hồ sơ cấp lại giấy chứng nhận an "
        "toàn thực phẩm, đến nay đã quá hạn 5 ngày.",
        "000.00.16.H41",
        "1.004363",
    ),
    _Item(
        18,
        "in_progress",
        "Đỗ Mạnh Cường",
        "Hệ thống dịch vụ công báo lỗi khi thanh toán",
        "Khi thanh toán lệ phí cấp giấy phép xây dựng trực tuyến, hệ thống báo lỗi nhưng tài "
        "khoản ngân hàng của tôi đã bị trừ tiền. Số điện thoại: 0987 654 321.",
        "000.00.31.H41",
        "1.001234",
    ),
    _Item(
        11,
        "in_progress",
        "Dương Văn Khánh",
        "Đề nghị giải quyết dứt điểm hồ sơ đất đai",
        "Hồ sơ đăng ký đất đai của gia đình tôi bị yêu cầu bổ sung 3 lần, mỗi lần một nội "
        "dung khác nhau.",
        "H01.152",
        "1.003622",
        named=False,
    ),
    _Item(
        26,
        "in_progress",
        "Lý Thị Bích",
        "Chậm chi trả trợ cấp cho hộ nghèo",
        "Gia đình tôi thuộc hộ nghèo nhưng 2 tháng nay chưa nhận được tiền hỗ trợ tiền điện "
        "theo quy định.",
        "000.08.22.H14",
    ),
    _Item(
        30,
        "answered",
        "Trịnh Xuân Trường",
        "Niêm yết thủ tục hành chính chưa đầy đủ",
        "Bảng niêm yết thủ tục hành chính tại UBND phường Long Xuyên chưa cập nhật mức lệ phí mới.",
        "H01.151",
        answer="UBND phường đã kiểm tra, cập nhật bảng niêm yết thủ tục hành chính theo Quyết "
        "định công bố mới nhất của Chủ tịch UBND tỉnh. Cảm ơn ông đã phản ánh.",
    ),
    _Item(
        28,
        "answered",
        "Phan Thị Oanh",
        "Chậm trả kết quả chứng thực",
        "Tôi nộp hồ sơ chứng thực bản sao buổi sáng, được hẹn trả buổi chiều nhưng phải chờ "
        "đến ngày hôm sau.",
        "000.11.38.H41",
        "2.000908",
        answer="Qua kiểm tra, việc trả kết quả chậm do lượng hồ sơ tăng đột biến trong ngày. "
        "UBND xã đã bố trí thêm công chức tiếp nhận vào giờ cao điểm.",
    ),
    _Item(
        22,
        "answered",
        "Công ty TNHH Xây dựng Sông Lam",
        "Hướng dẫn đăng ký thuế cho chi nhánh",
        "Doanh nghiệp đề nghị hướng dẫn thủ tục đăng ký thuế lần đầu cho chi nhánh mới thành "
        "lập tại tỉnh Nghệ An.",
        "000.40.18.G12",
        "1.007732",
        business=True,
        answer="Cục Thuế hướng dẫn doanh nghiệp nộp hồ sơ đăng ký thuế cho chi nhánh theo mẫu "
        "07-ĐK-TCT qua Cổng thông tin điện tử của ngành thuế; thời hạn giải quyết 3 ngày làm "
        "việc.",
    ),
    _Item(
        35,
        "answered",
        "Hồ Đức Thắng",
        "Giấy phép bưu chính chậm cấp",
        "Doanh nghiệp nộp hồ sơ cấp giấy phép bưu chính đã 25 ngày làm việc chưa có kết quả.",
        "000.00.07.G15",
        "1.012021",
        business=True,
        answer="Hồ sơ của doanh nghiệp cần bổ sung phương án kinh doanh; Cục đã gửi văn bản "
        "hướng dẫn bổ sung qua thư điện tử doanh nghiệp đăng ký.",
    ),
    _Item(
        38,
        "answered",
        "Mai Thị Phương",
        "Đăng ký khai sinh cho con sinh ở nước ngoài",
        "Tôi cần hướng dẫn đăng ký khai sinh cho con sinh ở nước ngoài, nay về cư trú tại "
        "phường Hợp Giang.",
        "000.03.21.H14",
        "2.000635",
        answer="Chị liên hệ Bộ phận Một cửa UBND phường, mang theo giấy tờ chứng minh việc "
        "sinh do cơ quan có thẩm quyền nước ngoài cấp đã được hợp pháp hóa lãnh sự.",
    ),
    _Item(
        45,
        "published",
        "Nguyễn Thị Hồng Hạnh",
        "Thu phí không đúng quy định",
        "Tôi là Nguyễn Thị Hồng Hạnh, số điện thoại 0913 222 333, phản ánh việc Bộ phận Một "
        "cửa thu thêm phí photo hồ sơ đăng ký kết hôn.",
        "000.00.31.H41",
        "1.001193",
        answer="UBND thành phố đã kiểm tra, chấn chỉnh; đăng ký kết hôn không thu lệ phí và "
        "Bộ phận Một cửa không được thu thêm bất kỳ khoản phí nào ngoài quy định.",
    ),
    _Item(
        50,
        "published",
        "Lê Quang Huy",
        "Kết quả giải quyết hồ sơ xây dựng",
        "Ông Lê Quang Huy phản ánh hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ bị trả lại "
        "nhiều lần mà không nêu rõ lý do.",
        "000.00.38.H41",
        "1.001234",
        answer="Hồ sơ đã được giải quyết, cấp giấy phép ngày 12; UBND huyện đã yêu cầu công "
        "chức thụ lý nêu rõ lý do khi đề nghị bổ sung hồ sơ.",
    ),
    _Item(
        42,
        "published",
        "Tạ Thị Yến",
        "Đề nghị công khai tiến độ giải quyết hồ sơ",
        "Đề nghị cơ quan cập nhật tiến độ xử lý hồ sơ lên Cổng dịch vụ công để người dân "
        "theo dõi, không phải đến hỏi nhiều lần.",
        "H01",
        named=False,
        answer="UBND tỉnh đã chỉ đạo các cơ quan đồng bộ đầy đủ tiến độ xử lý hồ sơ lên Cổng "
        "dịch vụ công; người dân tra cứu bằng mã hồ sơ ghi trên giấy tiếp nhận.",
    ),
    _Item(
        55,
        "published",
        "Công ty cổ phần Thủy sản Cửa Hội",
        "Hoàn thuế chậm so với quy định",
        "Doanh nghiệp phản ánh việc hồ sơ hoàn thuế giá trị gia tăng bị chậm 8 ngày làm việc "
        "so với thời hạn. Liên hệ: ketoan@thuysancuahoi.example.vn.",
        "000.40.18.G12",
        "1.010825",
        business=True,
        answer="Cục Thuế đã ban hành quyết định hoàn thuế; nguyên nhân chậm do phải đối chiếu "
        "hóa đơn đầu vào. Cục Thuế xin lỗi doanh nghiệp vì sự chậm trễ.",
    ),
    _Item(
        48,
        "published",
        "Đinh Công Danh",
        "Hướng dẫn thủ tục chứng thực chữ ký số",
        "Đề nghị hướng dẫn điều kiện cấp giấy phép dịch vụ chứng thực chữ ký số công cộng.",
        "000.00.05.G15",
        "1.011907",
        named=False,
        answer="Điều kiện cấp phép được quy định tại Luật Giao dịch điện tử 2023 và nghị định "
        "hướng dẫn; hồ sơ nộp trực tuyến trên Cổng dịch vụ công quốc gia.",
    ),
    _Item(
        58,
        "published",
        "Cao Thị Thu",
        "Cấp bản sao trích lục hộ tịch",
        "Bà Cao Thị Thu đề nghị được cấp bản sao trích lục khai sinh tại nơi cư trú thay vì "
        "nơi đã đăng ký trước đây.",
        "000.00.00.A80",
        "2.000635",
        answer="Theo quy định, người yêu cầu được cấp bản sao trích lục hộ tịch tại cơ quan "
        "đã đăng ký hoặc qua Cơ sở dữ liệu hộ tịch điện tử dùng chung.",
    ),
    _Item(
        40,
        "reopened",
        "Lương Văn Sáng",
        "Chưa khắc phục lỗi đăng nhập dịch vụ công",
        "Tài khoản định danh điện tử của tôi không đăng nhập được Cổng dịch vụ công của tỉnh "
        "dù đã phản ánh trước đó.",
        "000.00.00.H14",
        named=False,
        answer="Lỗi do hệ thống xác thực đã được khắc phục.",
    ),
    _Item(
        33,
        "closed_invalid",
        "Khách",
        "Hỏi chung",
        "Nội dung không rõ ràng, không có thông tin về hồ sơ hay cơ quan liên quan.",
        "",
    ),
    _Item(
        31,
        "closed_not_competent",
        "Nguyễn Văn Thành",
        "Tranh chấp đất đai với hộ liền kề",
        "Gia đình tôi có tranh chấp ranh giới đất với hộ liền kề, đề nghị giải quyết.",
        "000.00.22.H14",
        named=False,
    ),
    _Item(
        27,
        "closed_duplicate",
        "Nguyễn Văn Bình",
        "Chậm trả kết quả (gửi lại)",
        "Gửi lại phản ánh về việc chậm trả kết quả đăng ký khai sinh tại phường Hưng Bình.",
        "000.05.31.H41",
        "2.000635",
    ),
    _Item(
        60,
        "closed_answered",
        "Võ Thị Tâm",
        "Hỏi về lệ phí đăng ký doanh nghiệp",
        "Đề nghị cho biết lệ phí đăng ký thành lập doanh nghiệp tư nhân khi nộp trực tuyến.",
        "000.00.12.H41",
        "2.001610",
        answer="Đăng ký doanh nghiệp trực tuyến được miễn lệ phí theo quy định hiện hành.",
    ),
)


def _office(day: Any, calendar: WorkingCalendar, hour: int) -> datetime:
    return datetime.combine(calendar.next_working_day(day), time(hour, 15), VN_TZ)


def seed_demo_feedback(
    service: FeedbackService,
    clock: FixedClock,
    now: datetime,
    *,
    advance: Callable[[], Any] | None = None,
) -> dict[str, int]:
    """File and handle :data:`ITEMS` (see the module); the counts by state."""
    today = now.astimezone(VN_TZ).date()
    cal = service.calendar
    try:
        for number, item in enumerate(ITEMS, start=1):
            source = f"demo-citizen-{number:02d}"
            with service.db.read() as session:
                filed = fstore.count_from_source(
                    session, source, datetime(2000, 1, 1, tzinfo=VN_TZ)
                )
            if not filed:
                _story(service, clock, now, item, source, today, cal)
            if advance is not None:
                advance()
    finally:
        clock.set(now)
    stats = service.stats()
    return {
        "feedback": stats.received,
        "forwarded": stats.forwarded,
        "with_answer": stats.answered,  # forwarded and answered, whatever happened since
        **{state.lower(): n for state, n in sorted(stats.by_state.items())},
    }


def _story(
    service: FeedbackService,
    clock: FixedClock,
    now: datetime,
    item: _Item,
    source: str,
    today: Any,
    cal: WorkingCalendar,
) -> None:
    day = today - timedelta(days=item.days_ago)
    at = datetime.combine(day, time(9, 0), VN_TZ) + timedelta(minutes=7 * len(item.subject))
    at = min(at, now - timedelta(hours=2))
    clock.set(at)
    contact = {"email": "", "phone": ""}
    if item.business:
        contact["email"] = "lienhe@doanhnghiep.example.vn"
    else:
        contact["phone"] = f"09{zlib.crc32(item.name.encode()) % 10**8:08d}"
    code = service.submit(
        NewFeedback(
            name=item.name,
            content=item.content,
            subject=item.subject,
            submitter_type=2 if item.business else 1,
            procedure_code=item.procedure,
            agency_code=item.agency if item.named else "",
            **contact,
        ),
        source,
    )
    if item.story == "received":
        return
    moment = _office(day + timedelta(days=1), cal, 8)

    def step(days: int, hour: int = 10) -> datetime:
        nonlocal moment
        moment = min(
            _office(moment.date() + timedelta(days=days), cal, hour), now - timedelta(hours=1)
        )
        clock.set(moment)
        return moment

    clock.set(moment)
    if item.story.startswith("closed_") and item.story != "closed_answered":
        kind = {
            "closed_invalid": Classification.INVALID,
            "closed_not_competent": Classification.NOT_COMPETENT,
            "closed_duplicate": Classification.DUPLICATE,
        }[item.story]
        duplicate = _first_code(service, item) if kind is Classification.DUPLICATE else None
        service.classify(code, kind, OPERATOR, duplicate_of=duplicate)
        return
    service.classify(code, Classification.VALID, OPERATOR, agency=item.agency)
    if item.story == "assigned":
        return
    step(1)
    service.start(code, OPERATOR)
    if item.story == "in_progress":
        return
    step(4 + len(item.subject) % 5)
    service.answer(code, item.answer, OPERATOR)
    if item.story == "answered":
        return
    if item.story == "closed_answered":
        step(3)
        service.close(code, OPERATOR)
        return
    step(1, 15)
    service.publish(code, OPERATOR)
    if item.story == "reopened":
        step(5)
        service.reopen(code, "Người phản ánh cho biết lỗi vẫn còn.", OPERATOR)


def _first_code(service: FeedbackService, item: _Item) -> str | None:
    """The tracking code of the earlier item by the same person (what a duplicate repeats)."""
    for row in service.items():
        if row.submitter_name == item.name and row.subject != item.subject:
            return row.tracking_code
    return None
