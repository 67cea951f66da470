"""Reporting regimes (chế độ báo cáo) with every element of Decree 09/2019/NĐ-CP Art. 8, pure.

A regime is versioned: each version has its effective dates, and a period is governed by the
version in force on the period's key date. Defining a version checks Art. 8(5) (a deadline per
reporting level, at least one working day between cut-off and deadline) and refuses it with
the list of problems otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from lienthong.calendar import WorkingCalendar
from lienthong.reporting.model import (
    PERIOD_LABELS,
    DayOfLastMonth,
    LevelDeadlines,
    Period,
    PeriodType,
    WindowRule,
    WindowSchedule,
    WorkingDaysAfterCutoff,
    check_deadlines,
    periods_of_year,
)
from lienthong.reporting.rules import (
    Aggregation,
    CrossRule,
    Disaggregation,
    Form,
    Indicator,
    Op,
    OutlineSection,
)


class ReportKind(StrEnum):
    """Art. 4: periodic, thematic, ad-hoc."""

    PERIODIC = "periodic"
    THEMATIC = "thematic"
    AD_HOC = "ad_hoc"


class ContentKind(StrEnum):
    TEXT = "text"
    DATA = "data"
    BOTH = "both"


class Coinciding(StrEnum):
    """A monthly report whose month ends a longer period (months 3, 6, 9, 12) [U]."""

    REPLACE = "replace"  # not due on its own: the longer report stands in for it
    INCLUDE = "include"  # still due, with the longer report (same deadline)


COINCIDING_TEXT = {
    Coinciding.REPLACE: (
        "Báo cáo tháng của tháng cuối quý, 6 tháng, 9 tháng, năm được thay thế bằng báo cáo "
        "kỳ dài hơn: không gửi riêng báo cáo tháng đó."
    ),
    Coinciding.INCLUDE: (
        "Báo cáo tháng của tháng cuối quý, 6 tháng, 9 tháng, năm vẫn phải gửi, cùng hạn với "
        "báo cáo kỳ dài hơn (số liệu tháng được tích hợp trong báo cáo kỳ dài hơn)."
    ),
}


@dataclass(frozen=True)
class RegimeVersion:
    """One version of a regime: the Art. 8 elements and the rules that drive the system."""

    code: str
    version: int
    name: str  # Art. 8(1) tên báo cáo
    legal_basis: str  # the act that issues it
    content_kind: ContentKind  # Art. 8(2) nội dung: text, data, both
    content: str
    reporters: str  # Art. 8(3) đối tượng thực hiện (description)
    receivers: str  # Art. 8(4) cơ quan nhận
    method: str  # Art. 8(5) phương thức gửi, nhận
    flow: str  # the reporting hierarchy (tree of units) this regime follows
    levels: tuple[LevelDeadlines, ...]  # reporting levels bottom-up, each with its deadlines
    frequencies: tuple[PeriodType, ...]  # Art. 8(7) tần suất
    form: Form  # Art. 8(9) biểu mẫu số liệu + Art. 8(8) đề cương (form.outline)
    instructions: str  # Art. 8(10) hướng dẫn quy trình
    effective_from: date
    effective_to: date | None = None
    windows: WindowSchedule = field(default_factory=WindowSchedule)  # Art. 8(6) cut-off
    coinciding: Coinciding = Coinciding.REPLACE
    also_flows: tuple[str, ...] = ()  # other trees the figures consolidate into (sectoral)
    kind: ReportKind = ReportKind.PERIODIC

    @property
    def level_codes(self) -> list[str]:
        return [lv.level for lv in self.levels]

    def deadline_rule(
        self, level: str, period_type: PeriodType
    ) -> DayOfLastMonth | WorkingDaysAfterCutoff:
        for lv in self.levels:
            if lv.level == level:
                return lv.rules[period_type]
        raise KeyError(level)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def expected_periods(self, year: int) -> list[Period]:
        """The periods due in ``year``: with REPLACE, a month ending a longer period of this
        regime is not due on its own."""
        longer_ends = {
            p.last_month
            for pt in self.frequencies
            if pt is not PeriodType.MONTH
            for p in periods_of_year(year, pt)
        }
        out: list[Period] = []
        for pt in self.frequencies:
            for p in periods_of_year(year, pt):
                if (
                    pt is PeriodType.MONTH
                    and self.coinciding is Coinciding.REPLACE
                    and p.last_month in longer_ends
                ):
                    continue
                out.append(p)
        return out

    def is_expected(self, period: Period) -> bool:
        return period in self.expected_periods(period.year)

    @property
    def frequency_label(self) -> str:
        return ", ".join(PERIOD_LABELS[pt] for pt in self.frequencies)


class RegimeInvalidError(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def regime_problems(regime: RegimeVersion, cal: WorkingCalendar) -> list[str]:
    """Everything Art. 8 requires that ``regime`` lacks or breaks (empty: acceptable)."""
    problems: list[str] = []
    for name in ("name", "legal_basis", "content", "reporters", "receivers", "method"):
        if not str(getattr(regime, name)).strip():
            problems.append(f"{name}: required by Art. 8")
    if not regime.instructions.strip():
        problems.append("instructions: required by Art. 8")
    if not regime.levels:
        problems.append("levels: at least one reporting level")
    if not regime.frequencies:
        problems.append("frequencies: at least one period type")
    if regime.content_kind in (ContentKind.DATA, ContentKind.BOTH) and not regime.form.indicators:
        problems.append("form: a data regime needs indicators")
    if regime.content_kind in (ContentKind.TEXT, ContentKind.BOTH) and not regime.form.outline:
        problems.append("outline: a text regime needs an outline")
    if regime.effective_to is not None and regime.effective_to < regime.effective_from:
        problems.append("effective_to before effective_from")
    if len(set(regime.level_codes)) != len(regime.level_codes):
        problems.append("levels: a level appears twice")
    for ind in regime.form.indicators:
        if ind.aggregation is Aggregation.RATIO:
            cells = set(regime.form.cells)
            if ind.numerator not in cells or ind.denominator not in cells:
                problems.append(f"{ind.code}: a ratio needs a numerator and a denominator")
    if problems:
        return problems
    first = regime.effective_from.year
    years = range(first, first + 3)  # three years of periods from the start
    for p in check_deadlines(regime.windows, regime.levels, regime.frequencies, cal, years):
        problems.append(f"{p.level} {p.period}: {p.message}")
    return problems


def check_regime(regime: RegimeVersion, cal: WorkingCalendar) -> None:
    problems = regime_problems(regime, cal)
    if problems:
        raise RegimeInvalidError(problems)


# --- the demo regime (illustrative: indicators and deadlines are not an official act) -----

DEMO_FORM = Form(
    code="BM-KTXH",
    version=1,
    title="Biểu số liệu tình hình kinh tế - xã hội",
    indicators=(
        Indicator("POP", "Dân số trung bình", "người", integer=True),
        Indicator("BIRTHS", "Số trẻ em sinh ra trong kỳ", "trẻ", integer=True),
        Indicator("HOUSEHOLDS", "Số hộ gia đình", "hộ", Aggregation.LAST, integer=True),
        Indicator("POOR", "Số hộ nghèo", "hộ", Aggregation.LAST, integer=True),
        Indicator(
            "POOR_RATE",
            "Tỷ lệ hộ nghèo",
            "%",
            Aggregation.RATIO,
            numerator="POOR",
            denominator="HOUSEHOLDS",
            factor=100,
            required=False,
        ),
        Indicator("REVENUE", "Thu ngân sách lũy kế từ đầu năm", "triệu đồng", cumulative=True),
        Indicator("SCHOOL", "Tỷ lệ trẻ đi học đúng độ tuổi", "%", Aggregation.AVERAGE, maximum=100),
        Indicator("PROCEDURES", "Hồ sơ thủ tục hành chính đã giải quyết", "hồ sơ", integer=True),
    ),
    disaggregation=Disaggregation("SEX", "Giới tính", (("NAM", "Nam"), ("NU", "Nữ"))),
    disaggregated=frozenset({"BIRTHS"}),
    rules=(
        CrossRule(
            "R1",
            ("BIRTHS.NAM", "BIRTHS.NU"),
            Op.EQ,
            ("BIRTHS",),
            "Số trẻ sinh ra: nam + nữ phải bằng tổng.",
        ),
        CrossRule("R2", ("POOR",), Op.LE, ("HOUSEHOLDS",), "Số hộ nghèo không vượt số hộ."),
    ),
    outline=(
        OutlineSection("I", "Tình hình thực hiện nhiệm vụ trong kỳ"),
        OutlineSection("II", "Tồn tại, hạn chế và nguyên nhân", required=False),
        OutlineSection("III", "Nhiệm vụ, giải pháp kỳ tới"),
    ),
)


def demo_regime(effective_from: date = date(2025, 1, 1)) -> RegimeVersion:
    """Two levels: communes report 2 working days after the cut-off, provinces (consolidating
    them) by the 25th of the period's last month (Art. 13), to the Government."""
    monthly_quarterly = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)
    return RegimeVersion(
        code="KTXH",
        version=1,
        name="Báo cáo tình hình kinh tế - xã hội",
        legal_basis="Nghị định 09/2019/NĐ-CP; Quyết định minh họa của Văn phòng Chính phủ",
        content_kind=ContentKind.BOTH,
        content="Tình hình kinh tế - xã hội, thu ngân sách, an sinh xã hội, cải cách hành chính.",
        reporters="Ủy ban nhân dân cấp xã; Ủy ban nhân dân cấp tỉnh",
        receivers="Ủy ban nhân dân cấp tỉnh; Văn phòng Chính phủ",
        method="Hệ thống thông tin báo cáo (văn bản điện tử có chữ ký số của thủ trưởng đơn vị)",
        flow="geo",
        levels=(
            LevelDeadlines("commune", {pt: WorkingDaysAfterCutoff(2) for pt in monthly_quarterly}),
            LevelDeadlines("province", {pt: DayOfLastMonth(25) for pt in monthly_quarterly}),
        ),
        frequencies=monthly_quarterly,
        form=DEMO_FORM,
        instructions=(
            "Đơn vị nhập số liệu trên biểu mẫu (hoặc tải lên tệp XLSX theo mẫu), thủ trưởng "
            "ký số báo cáo và gửi trước hạn. Cơ quan nhận kiểm tra, chấp nhận hoặc trả lại."
        ),
        effective_from=effective_from,
        windows=WindowSchedule(((date.min, WindowRule(15)),)),
        coinciding=Coinciding.REPLACE,
    )


class RegimeCatalogue:
    """The regimes known to this system, every version, checked on entry (Art. 8)."""

    def __init__(self, cal: WorkingCalendar) -> None:
        self._cal = cal
        self._versions: dict[str, list[RegimeVersion]] = {}

    def add(self, regime: RegimeVersion) -> None:
        check_regime(regime, self._cal)
        versions = self._versions.setdefault(regime.code, [])
        if any(v.version == regime.version for v in versions):
            raise RegimeInvalidError([f"{regime.code} v{regime.version} is already defined"])
        versions.append(regime)
        versions.sort(key=lambda v: v.effective_from)

    def get(self, code: str, on: date | None = None) -> RegimeVersion | None:
        """The version in force ``on`` (default: the latest version)."""
        versions = self._versions.get(code, [])
        if on is None:
            return versions[-1] if versions else None
        for version in reversed(versions):
            if version.in_force(on):
                return version
        return None

    def versions(self, code: str) -> list[RegimeVersion]:
        return list(self._versions.get(code, []))

    def codes(self) -> list[str]:
        return sorted(self._versions)
