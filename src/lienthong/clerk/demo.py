"""The living demo's documents: months of exchange among the demo agencies, made through the
clerk application and the issuance service (leaders sign, clerks number, seal and send through
the hub's intake; recipients open, accept, assign, process, complete, return, answer recalls and
updates), on a clock moved through the last 90 days. Deterministic (``random.Random(2026)``).

Nothing is inserted directly: every row comes from the services a user's click reaches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from lienthong.accounts.model import Role, User
from lienthong.accounts.service import AccountError
from lienthong.agencies.demo import DEMO_AGENCIES, demo_signer
from lienthong.clerk.revision import Revisions, Update
from lienthong.clerk.service import ClerkService
from lienthong.clock import VN_TZ as VIETNAM
from lienthong.clock import FixedClock
from lienthong.edxml.model import StatusCode
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import store as exchange_store
from lienthong.issuance.draft import render_draft

__all__ = ["seed_demo_documents"]

# (type name, notation pattern, subjects); {a} is the agency's abbreviation.
_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Công văn",
        "{a}-VP",
        (
            "V/v triển khai kết nối, liên thông phần mềm quản lý văn bản",
            "V/v báo cáo tình hình thực hiện nhiệm vụ chuyển đổi số",
            "V/v góp ý dự thảo Nghị định về quản lý đầu tư công",
            "V/v đôn đốc giải ngân vốn đầu tư công năm 2026",
            "V/v cung cấp số liệu phục vụ phiên họp Chính phủ thường kỳ",
            "V/v tăng cường công tác phòng, chống thiên tai",
            "V/v rà soát thủ tục hành chính thuộc phạm vi quản lý",
            "V/v chuẩn bị nội dung làm việc với Đoàn công tác",
            "V/v phối hợp xử lý phản ánh, kiến nghị của người dân",
            "V/v sử dụng chữ ký số chuyên dùng Chính phủ",
        ),
    ),
    (
        "Quyết định",
        "QĐ-{a}",
        (
            "Quyết định ban hành Kế hoạch cải cách hành chính năm 2027",
            "Quyết định thành lập Tổ công tác triển khai Đề án 06",
            "Quyết định phê duyệt danh mục dữ liệu dùng chung",
        ),
    ),
    (
        "Thông báo",
        "TB-{a}",
        (
            "Thông báo kết luận của Lãnh đạo tại cuộc họp giao ban tháng",
            "Thông báo lịch làm việc của Lãnh đạo trong tuần",
        ),
    ),
    (
        "Kế hoạch",
        "KH-{a}",
        (
            "Kế hoạch kiểm tra công tác văn thư, lưu trữ năm 2026",
            "Kế hoạch triển khai hệ thống báo cáo theo Nghị định 09/2019/NĐ-CP",
        ),
    ),
    (
        "Báo cáo",
        "BC-{a}",
        (
            "Báo cáo kết quả thực hiện Nghị quyết 01/NQ-CP",
            "Báo cáo tình hình kinh tế - xã hội tháng",
        ),
    ),
    ("Tờ trình", "TTr-{a}", ("Tờ trình đề nghị phê duyệt chủ trương đầu tư",)),
)

_RETURN_REASONS = (
    "Văn bản gửi nhầm đơn vị, không thuộc thẩm quyền xử lý",
    "Thiếu phụ lục kèm theo như nêu tại văn bản",
    "Tệp đính kèm không mở được, đề nghị gửi lại",
)

# The agencies whose staff have demo accounts (clerk, leader, specialist): most traffic
# goes to and from them, so every demo clerk finds an inbox and an outbox.
_USER_AGENCIES = {
    "vpcp": "000.00.00.G22",
    "btc": "000.00.00.G12",
    "nghean": "000.00.00.H41",
    "stc-nghean": "000.00.12.H41",
    "vinh": "000.00.31.H41",
    "caobang": "000.00.00.H14",
    "angiang": "H01",
}


# Every 50 documents: one recalled (agreed), one updated, one replaced; a refused recall
# now and then (by position in the cycle).
_REVISIONS = {6: "recall", 19: "update", 31: "replace", 44: "recall-refused"}


@dataclass
class _Sent:
    document_id: str
    edxml_document_id: str
    sender: str
    recipients: list[str]
    at: datetime


def _abbreviation(name: str) -> str:
    """``UBND tỉnh Nghệ An`` → ``UBND``, ``Bộ Tài chính`` → ``BTC``, ``Sở Tư pháp…`` → ``STP``."""
    if name.startswith("UBND"):
        return "UBND"
    if name == "Văn phòng Chính phủ":
        return "VPCP"
    words = [w for w in name.split() if w[:1].isupper()][:4]
    letters = "".join(w[0] for w in words).upper()
    return (letters.replace("Đ", "D") or "CQ")[:6]


def _working_moment(day: date, rng: random.Random) -> datetime:
    """A moment of office hours (Vietnam) on ``day`` or the next working day."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    local = datetime.combine(day, time(8, 0), VIETNAM) + timedelta(minutes=rng.randrange(0, 480))
    return local


class _Desk:
    """Acts as the demo agencies' staff on a moving clock."""

    def __init__(self, clerk: ClerkService, clock: FixedClock, now: datetime) -> None:
        self.clerk = clerk
        self.clock = clock
        self.now = now
        self.users: dict[tuple[str, Role], User] = {}
        names = {a.code: a.name for a in DEMO_AGENCIES}
        accounts = clerk.accounts
        for slug, code in _USER_AGENCIES.items():
            for prefix, role in (
                ("vanthu", Role.CLERK),
                ("lanhdao", Role.LEADER),
                ("chuyenvien", Role.SPECIALIST),
            ):
                try:
                    self.users[(code, role)] = accounts.get_user(f"{prefix}.{slug}")
                except AccountError as exc:  # not seeded: a stand-in acts for them
                    if exc.code is not ErrorCode.USER_UNKNOWN:
                        raise
        self.names = names

    def person(self, code: str, role: Role) -> User:
        found = self.users.get((code, role))
        if found is not None:
            return found
        # An agency without demo accounts: its staff act through the same services.
        label = {Role.CLERK: "Văn thư", Role.LEADER: "Lãnh đạo", Role.SPECIALIST: "Chuyên viên"}
        return User(
            id=0,
            username=f"{label[role].lower().replace(' ', '')}@{code}",
            full_name=f"{label[role]} {self.names.get(code, code)}",
            agency_code=code,
            roles=frozenset({role, Role.CLERK} if role is Role.SPECIALIST else {role}),
        )

    def at(self, moment: datetime) -> bool:
        """Move the clock to ``moment``; False when it would pass the demo's present."""
        if moment >= self.now - timedelta(minutes=5):
            return False
        self.clock.set(moment)
        return True


def seed_demo_documents(
    clerk: ClerkService,
    clock: FixedClock,
    now: datetime,
    *,
    count: int = 300,
    days: int = 90,
    advance: Callable[[], Any] | None = None,
) -> dict[str, int]:
    """About ``count`` documents over the last ``days`` days with their statuses (most up to
    06; some still 01 or never opened; a few returned, recalled, updated and replaced).
    Idempotent: when the hub holds ``count`` documents, nothing is added (fewer: the replay
    goes on from there). The counts of what the hub holds are returned."""
    if clerk.issuance is None or clerk.signer is None:
        raise RuntimeError("the demo documents need the demo PKI (issuance and signing keys)")
    # Resumable: an interrupted replay goes on from the documents already there.
    done = _counts(clerk)["documents"]
    if done >= count:
        return _counts(clerk)
    rng = random.Random(2026 + done)
    desk = _Desk(clerk, clock, now)
    today = now.astimezone(VIETNAM).date()
    active = [
        a
        for a in DEMO_AGENCIES
        if (a.valid_to is None or a.valid_to >= today)
        and (a.valid_from is None or a.valid_from <= today - timedelta(days=days))
        and a.code in clerk.issuance.organisations
    ]
    codes = [a.code for a in active]
    hubs = [c for c in _USER_AGENCIES.values() if c in codes]
    start = today - timedelta(days=days)
    for index in range(done, count):
        day = start + timedelta(days=days * index / count)
        moment = _working_moment(day, rng)
        if not desk.at(moment):
            continue
        sender = hubs[index % len(hubs)] if rng.random() < 0.6 else rng.choice(codes)
        others = [c for c in codes if c != sender]
        chosen = set(rng.sample(others, rng.choice((1, 1, 2, 2, 3))))
        if not chosen & set(hubs) and rng.random() < 0.8:
            chosen.add(rng.choice([h for h in hubs if h != sender]))
        item = _issue(desk, sender, sorted(chosen), rng, moment)
        if item is not None:
            revision = _REVISIONS.get(index % 50)
            if revision is None or _revise(desk, item, revision, rng):
                _handle(desk, item, rng)
        if advance is not None:
            advance()
    clock.set(now)
    return _counts(clerk)


def _issue(
    desk: _Desk,
    sender: str,
    recipients: Sequence[str],
    rng: random.Random,
    moment: datetime,
    *,
    replaces: str | None = None,
) -> _Sent | None:
    clerk = desk.clerk
    assert clerk.issuance is not None and clerk.signer is not None
    type_name, pattern, subjects = rng.choice(_KINDS)
    subject = rng.choice(subjects)
    name = desk.names.get(sender, sender)
    agency = next(a for a in DEMO_AGENCIES if a.code == sender)
    _signer_name, position = demo_signer(agency)
    draft = render_draft(
        name,
        type_name=type_name,
        subject=subject,
        addressees=[desk.names.get(r, r) for r in recipients],
        body=[
            "Thực hiện chỉ đạo của Chính phủ, Thủ tướng Chính phủ, cơ quan đề nghị các đơn vị "
            "phối hợp triển khai các nội dung nêu trên, báo cáo kết quả đúng thời hạn."
        ],
    )
    leader = desk.person(sender, Role.LEADER)
    signed = clerk.signer.sign(draft, leader=leader, at=moment - timedelta(minutes=20))
    issued = clerk.issuance.issue(
        sender,
        signed,
        notation=pattern.format(a=_abbreviation(name)),
        type_name=type_name,
        subject=subject,
        recipients=recipients,
        signer_position=position,
        clerk=desk.person(sender, Role.CLERK).username,
        priority=1 if rng.random() < 0.1 else 0,
        replaces=replaces,
        # Documents to several agencies ask for an answer within 7 working days: the inboxes
        # then show deadlines, some met, some overdue (no draw: the replay stays the same).
        due_date=(
            clerk.calendar.add_working_days(moment.astimezone(VIETNAM).date(), 7)
            if len(recipients) > 1
            else None
        ),
    )
    result = issued.send_result
    if result is None or result.document_id is None:
        return None
    return _Sent(result.document_id, issued.edxml_document_id, sender, list(recipients), moment)


def _handle(desk: _Desk, item: _Sent, rng: random.Random) -> None:
    """Each recipient's handling, as far as the demo's present allows."""
    clerk = desk.clerk
    for recipient in item.recipients:
        fate = rng.random()
        if fate < 0.05:
            continue  # never opened: "chưa đến" on the sender's side
        moment = item.at + timedelta(minutes=rng.randrange(10, 240))
        if not desk.at(moment):
            continue
        staff = desk.person(recipient, Role.CLERK)
        clerk.exchange.record_opened(recipient, item.document_id)  # the clerk opens it: 01
        if fate < 0.12:
            continue  # opened, not yet registered
        moment += timedelta(minutes=rng.randrange(5, 120))
        if not desk.at(moment):
            continue
        if fate < 0.17:
            clerk.set_status(
                staff, item.document_id, StatusCode.RETURNED, reason=rng.choice(_RETURN_REASONS)
            )
            continue
        clerk.set_status(staff, item.document_id, StatusCode.ACCEPTED)
        specialist = desk.users.get((recipient, Role.SPECIALIST))
        steps: list[tuple[StatusCode, User, dict[str, Any]]] = []
        if specialist is not None:
            steps.append((StatusCode.ASSIGNED, staff, {"specialist": specialist.username}))
        worker = specialist or desk.person(recipient, Role.SPECIALIST)
        steps.append((StatusCode.PROCESSING, worker, {}))
        if fate > 0.27:
            steps.append((StatusCode.COMPLETED, worker, {}))
        for code, actor, extra in steps:
            moment += timedelta(hours=rng.randrange(1, 60))
            if not desk.at(moment):
                break
            clerk.set_status(actor, item.document_id, code, **extra)


def _revise(desk: _Desk, item: _Sent, kind: str, rng: random.Random) -> bool:
    """Recall (answered 15 or 16), update (answered 15) or replace ``item`` shortly after it
    was sent; True when the recipients' normal handling still follows."""
    clerk = desk.clerk
    moment = item.at + timedelta(minutes=rng.randrange(30, 120))
    if not desk.at(moment):
        return True
    sender_clerk = desk.person(item.sender, Role.CLERK)
    if kind == "replace":
        _issue(desk, item.sender, item.recipients, rng, moment, replaces=item.edxml_document_id)
        return False
    if kind == "update":
        subject = clerk.own_document(sender_clerk, item.document_id)["subject"]
        Revisions(clerk).update(
            sender_clerk, item.document_id, Update(subject=f"{subject} (cập nhật phụ lục)")
        )
    else:
        clerk.recall(
            sender_clerk, item.document_id, "Văn bản có sai sót về số liệu, thu hồi để sửa"
        )
    for recipient in item.recipients:
        moment += timedelta(minutes=rng.randrange(20, 240))
        if not desk.at(moment):
            break
        staff = desk.person(recipient, Role.CLERK)
        clerk.exchange.record_opened(recipient, item.document_id)
        code = StatusCode.RECALL_REFUSED if kind == "recall-refused" else StatusCode.RECALL_AGREED
        reason = "Văn bản đã được xử lý xong" if code is StatusCode.RECALL_REFUSED else ""
        try:
            clerk.set_status(staff, item.document_id, code, reason=reason)
        except LienthongError:
            continue  # this recipient's state does not allow it: leave it
    item.at = moment
    return kind == "update"


def _counts(clerk: ClerkService) -> dict[str, int]:
    with clerk.db.read() as session:

        def n(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "documents": n(exchange_store.Document),
            "messages": n(exchange_store.Message),
            "status_events": n(exchange_store.StatusEvent),
            "deliveries": n(exchange_store.Delivery),
        }
