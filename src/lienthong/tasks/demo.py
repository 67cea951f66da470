"""The tasks of the living demo: six months of assignments the Government Office tracks, from
conclusion notices, decisions and directives, to ministries and provinces of the demo registry,
replayed through the service on the demo clock (received, progress reports, extensions,
returns, completions on time and late, some still open or overdue). Idempotent: a task whose
code exists is left alone."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lienthong.clock import VN_TZ, FixedClock
from lienthong.errors import ErrorCode
from lienthong.tasks.model import (
    Authority,
    Deadline,
    NewTask,
    Output,
    Recurrence,
    SourceDocument,
    TaskError,
)
from lienthong.tasks.service import Evidence, TaskService

VPCP = "000.00.00.G22"
LEADS = (
    "000.00.00.G12",  # Bộ Tài chính
    "000.00.00.G15",  # Bộ Khoa học và Công nghệ
    "000.00.00.H41",  # UBND tỉnh Nghệ An
    "000.00.00.H14",  # UBND tỉnh Cao Bằng
    "H01",  # UBND tỉnh An Giang
    "000.00.00.H17",  # UBND thành phố Đà Nẵng
)
SUBJECTS = (
    ("Báo cáo tình hình giải ngân vốn đầu tư công", Output.REPORT),
    ("Hoàn thiện dự thảo Nghị định sửa đổi về hóa đơn điện tử", Output.LEGAL_DRAFT),
    ("Rà soát, cắt giảm thủ tục hành chính nội bộ", Output.REPORT),
    ("Kết nối cơ sở dữ liệu chuyên ngành với Cơ sở dữ liệu quốc gia về dân cư", Output.REPORT),
    ("Ban hành kế hoạch chuyển đổi số năm 2027", Output.DECISION),
    ("Đánh giá tác động chính sách miễn, giảm thuế giá trị gia tăng", Output.REPORT),
    ("Xây dựng Đề án phát triển hạ tầng dữ liệu", Output.LEGAL_DRAFT),
    ("Báo cáo kết quả sắp xếp đơn vị hành chính cấp xã", Output.REPORT),
    ("Tháo gỡ vướng mắc trong giải phóng mặt bằng dự án giao thông trọng điểm", Output.REPORT),
    ("Triển khai thanh toán trực tuyến trên Cổng Dịch vụ công quốc gia", Output.REPORT),
)
SOURCES = (
    ("Thông báo kết luận", "TB-VPCP", "Trần Văn Sơn", Authority.PRIME_MINISTER),
    ("Quyết định", "QĐ-TTg", "Phạm Minh Chính", Authority.PRIME_MINISTER),
    ("Chỉ thị", "CT-TTg", "Phạm Minh Chính", Authority.PRIME_MINISTER),
    ("Nghị quyết", "NQ-CP", "Phạm Minh Chính", Authority.GOVERNMENT),
    ("Thông báo kết luận", "TB-VPCP", "Nguyễn Hòa Bình", Authority.DEPUTY_PRIME_MINISTER),
)
TOTAL = 48
OFFICER = "Phạm Thị Theo Dõi (theodoi)"

Advance = Callable[[], Any]


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ).astimezone(UTC)


def seed_demo_tasks(
    service: TaskService, clock: FixedClock, now: datetime, advance: Advance | None = None
) -> dict[str, int]:
    """Replay the demo's tasks up to ``now``; the demo's tasks and their events (the same
    counts on a second run, which adds nothing)."""
    rng = random.Random(20270104)
    today = now.astimezone(VN_TZ).date()
    codes = []
    for n in range(1, TOTAL + 1):
        assigned_on = today - timedelta(days=rng.randint(5, 180))
        lead = LEADS[n % len(LEADS)]
        title, output = SUBJECTS[rng.randrange(len(SUBJECTS))]
        kind, suffix, signer, authority = SOURCES[rng.randrange(len(SOURCES))]
        code = f"NV-DEMO-{VPCP}-{n:04d}"  # the same on every run, any day
        codes.append(code)
        periodic = n % 9 == 0
        deadline = (
            Deadline.every(Recurrence.MONTHLY, 20)
            if periodic
            else Deadline.on(assigned_on + timedelta(days=rng.choice((20, 30, 45, 60, 90))))
        )
        coordinators = tuple(c for c in LEADS if c != lead)[: n % 3]
        task = NewTask(
            code=code,
            title=title,
            content=f"{title}; báo cáo Thủ tướng Chính phủ kết quả thực hiện.",
            assigner_code=VPCP,
            lead_code=lead,
            coordinator_codes=coordinators,
            assigned_on=assigned_on,
            deadline=deadline,
            authority=authority,
            output=output,
            person_in_charge="Văn phòng" if n % 2 else "Vụ Tổng hợp",
            source=SourceDocument(
                notation=f"{100 + n}/{suffix}",
                signer=signer,
                signed_on=assigned_on,
                kind=kind,
            ),
        )
        if _exists(service, code):  # seeded by an earlier run
            if advance is not None:
                advance()
            continue
        clock.set(_at(assigned_on))
        service.assign(task, actor=OFFICER)
        _replay(service, clock, code, lead, task, today, rng)
        if advance is not None:
            advance()
    clock.set(now)
    events = sum(len(service.history(code, None)) for code in codes)
    return {"tasks": len(codes), "task_events": events}


def _exists(service: TaskService, code: str) -> bool:
    try:
        service.get(code, None)
    except TaskError as exc:
        if exc.code is ErrorCode.TASK_NOT_FOUND:
            return False
        raise
    return True


def _replay(
    service: TaskService,
    clock: FixedClock,
    code: str,
    lead: str,
    task: NewTask,
    today: date,
    rng: random.Random,
) -> int:
    """The lead's and the office's steps after the assignment, each on its own day, none after
    ``today``; the number of events recorded."""
    day = task.assigned_on
    due = task.deadline.due
    done = 0
    fate = rng.random()

    def step(days: int) -> bool:
        nonlocal day
        day = day + timedelta(days=days)
        if day >= today:
            return False
        clock.set(_at(day, rng.randint(8, 16)))
        return True

    lead_actor = "Lãnh đạo đơn vị chủ trì"
    if not step(rng.randint(1, 3)):
        return done
    service.receive(code, lead, "Văn thư đơn vị chủ trì")
    done += 1
    for _ in range(rng.randint(1, 3)):
        if not step(rng.randint(5, 20)):
            return done
        service.report_progress(
            code,
            lead,
            "Chuyên viên theo dõi",
            f"Đã hoàn thành khoảng {rng.randint(2, 9)}0% khối lượng.",
        )
        done += 1
    if due is None:
        return done  # a periodic task reports, it does not complete
    if fate < 0.2 and step(1):
        new_due = due + timedelta(days=30)
        service.request_extension(code, lead, lead_actor, new_due, "Chờ ý kiến thẩm định")
        done += 1
        if step(2):
            service.grant_extension(code, VPCP, OFFICER)
            done += 1
            due = new_due
    if fate > 0.85:
        return done  # still open (overdue once its deadline passes)
    finish = (due - task.assigned_on).days
    # Most leads finish before the deadline; about one in four after it.
    late = rng.random() < 0.25
    spread = (finish + 1, finish + 25) if late else (finish // 2, max(finish // 2, finish - 2))
    target = task.assigned_on + timedelta(days=rng.randint(*spread))
    wait = (target - day).days
    if wait > 0 and not step(wait):
        return done
    service.propose_complete(
        code, lead, lead_actor, Evidence(document_id=f"demo-ket-qua-{code}"), "Đã hoàn thành."
    )
    done += 1
    if 0.6 < fate < 0.7 and step(3):
        service.return_for_work(code, VPCP, OFFICER, "Đề nghị bổ sung số liệu của quý gần nhất.")
        done += 1
        if not step(rng.randint(3, 10)):
            return done
        service.propose_complete(
            code, lead, lead_actor, Evidence(document_id=f"demo-bo-sung-{code}"), "Đã bổ sung."
        )
        done += 1
    if step(rng.randint(1, 4)):
        service.confirm_complete(code, VPCP, OFFICER)
        done += 1
    return done
