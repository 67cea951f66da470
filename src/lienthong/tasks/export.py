"""Task lists and per-agency statistics as XLSX (the figures of the steering view, traceable to
their rows); text a spreadsheet would compute stays text (``lienthong.spreadsheet``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from lienthong.stats.export import to_xlsx
from lienthong.tasks.model import (
    AUTHORITY_LABELS,
    STATE_LABELS,
    TIMELINESS_LABELS,
    AgencyTaskStats,
    Authority,
    TaskState,
)
from lienthong.tasks.service import Task

TASK_HEADERS = (
    "Mã nhiệm vụ",
    "Tên nhiệm vụ",
    "Cấp giao",
    "Văn bản giao",
    "Cơ quan giao",
    "Cơ quan chủ trì",
    "Ngày giao",
    "Hạn",
    "Trạng thái",
    "Tình trạng hạn",
    "Số lần gia hạn",
    "Ngày hoàn thành",
)
STATS_HEADERS = (
    "Mã cơ quan",
    "Cơ quan chủ trì",
    "Được giao",
    "Đang thực hiện",
    "Quá hạn",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Không thời hạn",
    "Số lần gia hạn",
    "Tỷ lệ đúng hạn (%)",
)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def tasks_xlsx(tasks: Sequence[Task], names: Mapping[str, str]) -> bytes:
    rows = []
    for t in tasks:
        r = t.row
        source = f"{r.source_kind} số {r.source_notation}".strip() if r.source_notation else ""
        rows.append(
            (
                r.code,
                r.title,
                AUTHORITY_LABELS.get(Authority(r.authority), r.authority),
                source,
                names.get(r.assigner_code, r.assigner_code),
                names.get(r.lead_code, r.lead_code),
                _day(r.assigned_on),
                _day(t.next_due or r.due_on),
                STATE_LABELS.get(TaskState(r.state), r.state),
                TIMELINESS_LABELS[t.timeliness],
                r.extensions_granted,
                _day(r.completed_on),
            )
        )
    return to_xlsx("Nhiệm vụ", TASK_HEADERS, rows)


def stats_xlsx(lines: Sequence[AgencyTaskStats], names: Mapping[str, str]) -> bytes:
    rows = [
        (
            s.agency_code,
            names.get(s.agency_code, s.agency_code),
            s.assigned,
            s.in_progress,
            s.overdue,
            s.done_on_time,
            s.done_late,
            s.no_deadline,
            s.extensions,
            round(100 * s.rate, 1) if s.rate is not None else "",
        )
        for s in lines
    ]
    return to_xlsx("Thống kê nhiệm vụ", STATS_HEADERS, rows)
