"""The agency's registers of incoming and outgoing documents (sổ đăng ký văn bản đến / đi,
Decree 30/2020/NĐ-CP Art. 16 and 22, forms of Appendix IV), read for a period, for a page, a
print view and an XLSX file.

A line is written in the register of incoming documents when the clerk registers a received
document (:meth:`~lienthong.clerk.service.ClerkService.set_status`, arrival number and
deadline); the register of outgoing documents is what the agency sent through the hub.
Recalled and replaced documents stay in both, marked: a register keeps its trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from lienthong.accounts.model import User
from lienthong.clerk import model, store
from lienthong.clerk.export import register_xlsx
from lienthong.clerk.service import ClerkService
from lienthong.clock import VN_TZ

# A period's register holds at most this many lines (a page, a print, a file).
MAX_LINES = 5000


class RegisterKind(StrEnum):
    INCOMING = "den"
    OUTGOING = "di"


TITLES = {
    RegisterKind.INCOMING: "Sổ đăng ký văn bản đến",
    RegisterKind.OUTGOING: "Sổ đăng ký văn bản đi",
}
COLUMNS = {
    RegisterKind.INCOMING: model.INCOMING_COLUMNS,
    RegisterKind.OUTGOING: model.OUTGOING_COLUMNS,
}
# Column widths of the XLSX file (characters), in the columns' order.
WIDTHS = {
    RegisterKind.INCOMING: (11, 8, 28, 18, 11, 48, 22, 12, 24),
    RegisterKind.OUTGOING: (18, 11, 44, 22, 34, 22, 8, 11, 12, 24),
}


@dataclass(frozen=True)
class Register:
    """The lines of one register over [start, end] (Vietnam dates, both included);
    ``truncated`` when the period holds more than :data:`MAX_LINES`."""

    kind: RegisterKind
    agency_code: str
    agency_name: str
    start: date
    end: date
    lines: tuple[model.RegisterLine, ...]
    truncated: bool

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.kind]

    @property
    def period(self) -> str:
        return f"Từ ngày {model.cell_text(self.start)} đến ngày {model.cell_text(self.end)}"


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in Vietnam time."""
    return (
        datetime.combine(start, time(), tzinfo=VN_TZ),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=VN_TZ),
    )


class Registers:
    """The registers of the user's agency (any of its staff may read them)."""

    def __init__(self, clerk: ClerkService) -> None:
        self.clerk = clerk

    def default_period(self) -> tuple[date, date]:
        """From the first day of the current month to today (Vietnam)."""
        today = model.vietnam_date(self.clerk.clock.now())
        return today.replace(day=1), today

    def read(self, user: User, kind: RegisterKind, start: date, end: date) -> Register:
        """The register ``kind`` of ``user``'s agency over [start, end] (swapped if reversed)."""
        if end < start:
            start, end = end, start
        low, high = _bounds(start, end)
        agency = user.agency_code
        with self.clerk.db.read() as session:
            if kind is RegisterKind.INCOMING:
                rows = store.incoming_register(
                    session, agency, start=low, end=high, limit=MAX_LINES + 1
                )
                lines = [model.incoming_line(r) for r in rows[:MAX_LINES]]
            else:
                rows = store.outgoing_register(
                    session, agency, start=low, end=high, limit=MAX_LINES + 1
                )
                lines = [model.outgoing_line(r) for r in rows[:MAX_LINES]]
            names = {a.code: a.name for a in self.clerk._agencies(session, [agency])}
        return Register(
            kind=kind,
            agency_code=agency,
            agency_name=names.get(agency) or user.agency_name or agency,
            start=start,
            end=end,
            lines=tuple(lines),
            truncated=len(rows) > MAX_LINES,
        )

    @staticmethod
    def xlsx(register: Register) -> bytes:
        return register_xlsx(
            title=register.title,
            agency=register.agency_name,
            period=register.period,
            headers=register.columns,
            widths=WIDTHS[register.kind],
            lines=register.lines,
        )
