"""Reporting regimes (chế độ báo cáo) with every element of Decree 09/2019/NĐ-CP Art. 8, pure.

A regime is versioned: each version has its effective dates, and a period is governed by the
version in force on the period's key date. Defining a version checks Art. 8(5) (a deadline per
reporting level, at least one working day between cut-off and deadline) and refuses it with
the list of problems otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from lienthong.calendar import WorkingCalendar
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting.model import (
    PERIOD_LABELS,
    DayOfLastMonth,
    LevelDeadlines,
    Period,
    PeriodType,
    Window,
    WindowRule,
    WindowSchedule,
    WorkingDaysAfterCutoff,
    check_deadlines,
    periods_containing,
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
    scope: str | None = None  # only units under this one report (a province's own regime)
    reporter_units: frozenset[str] = frozenset()  # when named: only these units report

    def addresses(self, unit: str, ancestors: Collection[str]) -> bool:
        """Whether ``unit`` (with its ``ancestors`` in the flow) is one of the reporters the
        regime addresses, its level aside: under ``scope`` and among ``reporter_units``
        when they are set."""
        if self.reporter_units and unit not in self.reporter_units:
            return False
        return self.scope is None or unit == self.scope or self.scope in ancestors

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

    def periods_containing(self, d: date) -> list[Period]:
        """The periods of this regime whose data window contains ``d`` (shortest first),
        replaced months included (a date belongs to March even when March is not reported
        on its own): see :func:`lienthong.reporting.model.periods_containing`."""
        return periods_containing(self.windows, self.frequencies, d)

    def periods_due(
        self, today: date, calendar: WorkingCalendar, level: str | None = None
    ) -> list[Period]:
        """The periods due on ``today`` (Vietnam's date): expected (a replaced month never
        is), window begun (``start <= today``) and not closed by the deadline of ``level``
        (default: the last level's, the latest) - ``today <= deadline``. Includes, from 15
        to 31 December, the next calendar year's January, Q1 and year. Ordered by window end."""
        chosen = level or (self.level_codes[-1] if self.level_codes else None)
        out: list[tuple[Window, Period]] = []
        for year in (today.year - 1, today.year, today.year + 1):
            for period in self.expected_periods(year):
                window = self.windows.window(period)
                if window.start > today:
                    continue
                if chosen is not None:
                    due = self.deadline_rule(chosen, period.type).due(period, window, calendar)
                    if today > due:
                        continue
                out.append((window, period))
        out.sort(key=lambda wp: (wp[0].end, wp[1].type.value))
        return [p for _, p in out]

    @property
    def frequency_label(self) -> str:
        return ", ".join(PERIOD_LABELS[pt] for pt in self.frequencies)


@dataclass(frozen=True)
class RegimeProblem:
    """One way a regime version breaks Decree 09 Art. 8: the element (``field``), the
    reporting level concerned (``""`` when regime-wide) and the first period concerned (the
    first period the version governs when the element is missing altogether)."""

    field: str
    level: str
    period: str
    message: str

    def __str__(self) -> str:
        where = " ".join(x for x in (self.level, self.period) if x)
        return (
            f"{self.field} [{where}]: {self.message}" if where else f"{self.field}: {self.message}"
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "level": self.level,
            "period": self.period,
            "message": self.message,
        }


class RegimeInvalidError(LienthongError):
    """A regime version refused at definition (``REGIME_INVALID``, 422), with its problems."""

    default_code = ErrorCode.REGIME_INVALID

    def __init__(self, problems: Sequence[RegimeProblem | str]) -> None:
        self.regime_problems = [
            p if isinstance(p, RegimeProblem) else RegimeProblem("regime", "", "", p)
            for p in problems
        ]
        self.problems = [str(p) for p in self.regime_problems]
        super().__init__(
            "; ".join(self.problems),
            code=ErrorCode.REGIME_INVALID,
            detail={"problems": [p.as_dict() for p in self.regime_problems]},
        )


# The Art. 8 elements every version states, as (attribute, what the Decree calls it).
_ART8_TEXTS = (
    ("name", "Art. 8(1) name"),
    ("legal_basis", "the issuing act"),
    ("content", "Art. 8(2) content"),
    ("reporters", "Art. 8(3) reporters"),
    ("receivers", "Art. 8(4) receivers"),
    ("method", "Art. 8(5) method of sending and receiving"),
    ("instructions", "Art. 8(10) process instructions"),
)


def _first_period(version: RegimeVersion, period_type: PeriodType | None = None) -> str:
    """The code of the first period of ``period_type`` (any frequency: the shortest) the
    version governs (key date on or after ``effective_from``)."""
    types = [period_type] if period_type else list(version.frequencies)
    found = [
        p
        for year in (version.effective_from.year, version.effective_from.year + 1)
        for pt in types
        for p in periods_of_year(year, pt)
        if p.key_date >= version.effective_from.replace(day=1)
    ]
    return min(found, key=lambda p: p.key_date).code if found else ""


def validate_regime_version(
    version: RegimeVersion, *, calendar: WorkingCalendar, years: int = 3
) -> list[RegimeProblem]:
    """Every Art. 8 element ``version`` lacks or breaks; empty: the version may be defined.

    Pure (no clock, no storage): the stored-regime API and the catalogue both call it and
    refuse a non-empty answer with ``REGIME_INVALID`` (422) carrying the list. Checked:
    the texts of Art. 8 (name, legal basis, content, reporters, receivers, method,
    instructions), at least one level and one frequency, a data cut-off rule, the data form
    of a data regime and the outline of a text regime, ratios naming their parts, the
    effective dates, and Art. 8(5) over ``years`` years from ``effective_from``: a deadline
    for each level and frequency, at least one working day of ``calendar`` between the
    cut-off and each deadline, and no level due after the level above it. A deadline problem
    names its level and the first period concerned (one problem per level, frequency and
    kind)."""
    problems: list[RegimeProblem] = []
    first = _first_period(version)

    def add(name: str, message: str, level: str = "", period: str = first) -> None:
        problems.append(RegimeProblem(name, level, period, message))

    for attr, what in _ART8_TEXTS:
        if not str(getattr(version, attr)).strip():
            add(attr, f"{what} is required by Art. 8")
    if not version.levels:
        add("levels", "at least one reporting level with its deadlines (Art. 8(5))")
    if not version.frequencies:
        add("frequencies", "Art. 8(7) frequency: at least one period type")
    if not version.windows.rules:
        add("windows", "Art. 8(6) data cut-off: a window rule is required")
    if version.content_kind in (ContentKind.DATA, ContentKind.BOTH) and not (
        version.form.indicators
    ):
        add("form", "Art. 8(9) data forms: a data regime needs indicators")
    if version.content_kind in (ContentKind.TEXT, ContentKind.BOTH) and not version.form.outline:
        add("outline", "Art. 8(8) outline: a text regime needs an outline")
    if version.effective_to is not None and version.effective_to < version.effective_from:
        add("effective_to", "effective_to is before effective_from")
    if len(set(version.level_codes)) != len(version.level_codes):
        add("levels", "a level appears twice")
    cells = set(version.form.cells)
    for ind in version.form.indicators:
        if ind.aggregation is Aggregation.RATIO and (
            ind.numerator not in cells or ind.denominator not in cells
        ):
            add("form", f"{ind.code}: a ratio needs a numerator and a denominator")
    if problems:
        return problems
    for lv in version.levels:
        for pt in version.frequencies:
            if pt not in lv.rules:
                add(
                    "deadline",
                    f"no deadline for level {lv.level}, {PERIOD_LABELS[pt].lower()} reports "
                    "(Art. 8(5))",
                    lv.level,
                    _first_period(version, pt),
                )
    if problems:
        return problems
    start = version.effective_from.year
    seen: set[tuple[str, str, str]] = set()
    for p in check_deadlines(
        version.windows,
        version.levels,
        version.frequencies,
        calendar,
        range(start, start + years),
    ):
        period = Period.parse(p.period)
        if period.key_date < version.effective_from.replace(day=1):
            continue
        kind = "cutoff" if "working day" in p.message else "order"
        key = (p.level, period.type.value, kind)
        if key in seen:
            continue
        seen.add(key)
        add("deadline", p.message, p.level, p.period)
    return problems


def regime_problems(regime: RegimeVersion, cal: WorkingCalendar) -> list[str]:
    """:func:`validate_regime_version` as sentences (kept for callers that print them)."""
    return [str(p) for p in validate_regime_version(regime, calendar=cal)]


def check_regime(regime: RegimeVersion, cal: WorkingCalendar) -> None:
    """Raise ``REGIME_INVALID`` (:class:`RegimeInvalidError`) when the version breaks Art. 8."""
    problems = validate_regime_version(regime, calendar=cal)
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

    def version(self, code: str, number: int) -> RegimeVersion | None:
        """Version ``number`` of ``code`` (the one a submission was made under), or None."""
        for version in self.versions(code):
            if version.version == number:
                return version
        return None

    def codes(self) -> list[str]:
        return sorted(self._versions)
