"""A reporting regime as one JSON document (``lienthong.regime/1``), pure.

The document is what an issuing body writes, exports and imports, and what the store keeps of
each version (its *definition*): every Art. 8 element, the form (indicators, disaggregation,
cross-checks, outline), the levels with their deadlines, the window rule and the months 3/6/9/12
choice. Its JSON Schema is generated from the pydantic models below and published as
``docs/schemas/regime.schema.json``.

:func:`parse_regime` / :func:`parse_version` read a document into these models and
:func:`to_regime_version` turns a version into the pure :class:`RegimeVersion`; any problem
(a field of the wrong shape, a cross-check naming a cell the form lacks, window rules out of
order) is a :class:`RegimeProblem`, refused as ``REGIME_INVALID`` with the whole list. The Art. 8
checks themselves are :func:`lienthong.reporting.regimes.validate_regime_version`.

Also pure here: the meaning of an indicator (:func:`indicator_meaning`) and the conflicts of an
indicator code used with two meanings (:func:`indicator_conflicts`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lienthong.reporting.model import (
    DayOfLastMonth,
    LevelDeadlines,
    NonWorkingDeadline,
    PeriodError,
    PeriodType,
    WindowRule,
    WindowSchedule,
    WorkingDaysAfterCutoff,
)
from lienthong.reporting.regimes import (
    Coinciding,
    ContentKind,
    RegimeProblem,
    RegimeVersion,
    ReportKind,
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

FORMAT = "lienthong.regime/1"
REGIME_STATUSES = ("draft", "published", "retired")

_CODE = r"^[A-Za-z0-9_-]{1,32}$"
_CELL_CODE = r"^[A-Za-z0-9_]{1,40}$"
_AGENCY = r"^[A-Za-z0-9._-]{1,35}$"
Text = Annotated[str, Field(max_length=20000)]
Name = Annotated[str, Field(max_length=255)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DayOfLastMonthDoc(_Doc):
    """Day ``day`` of the period's last month (shifted by ``month_offset`` months)."""

    rule: Literal["day_of_last_month"]
    day: int = Field(25, ge=1, le=31)
    month_offset: int = Field(0, ge=-1, le=3)
    if_day_off: NonWorkingDeadline = NonWorkingDeadline.KEEP


class WorkingDaysAfterCutoffDoc(_Doc):
    """``days`` working days after the data cut-off."""

    rule: Literal["working_days_after_cutoff"]
    days: int = Field(2, ge=0, le=60)


DeadlineDoc = Annotated[DayOfLastMonthDoc | WorkingDaysAfterCutoffDoc, Field(discriminator="rule")]


class LevelDoc(_Doc):
    """A reporting level (bottom-up order) and its deadline per period type (Art. 8(5))."""

    level: str = Field(..., pattern=_CODE)
    deadlines: dict[PeriodType, DeadlineDoc] = Field(default_factory=dict)


class WindowDoc(_Doc):
    """A data cut-off rule (Art. 8(6)): months start on ``start_day`` (15: Decree 09's)."""

    effective_from: date | None = None
    start_day: int = Field(15, ge=1, le=28)


class IndicatorDoc(_Doc):
    code: str = Field(..., pattern=_CELL_CODE)
    name: Name
    unit: str = Field(..., max_length=64)
    aggregation: Aggregation = Aggregation.SUM
    numerator: str | None = Field(None, max_length=64)
    denominator: str | None = Field(None, max_length=64)
    factor: float = 1.0
    minimum: float | None = 0.0
    maximum: float | None = None
    required: bool = True
    cumulative: bool = False
    integer: bool = False


class OptionDoc(_Doc):
    code: str = Field(..., pattern=_CELL_CODE)
    label: Name


class DisaggregationDoc(_Doc):
    code: str = Field(..., pattern=_CELL_CODE)
    name: Name
    options: list[OptionDoc] = Field(..., min_length=1, max_length=100)


class CrossRuleDoc(_Doc):
    """``sum(left) op sum(right)`` over the cells of one report."""

    code: str = Field(..., pattern=_CELL_CODE)
    left: list[str] = Field(..., min_length=1, max_length=200)
    op: Op
    right: list[str] = Field(..., min_length=1, max_length=200)
    message: Name


class OutlineSectionDoc(_Doc):
    code: str = Field(..., pattern=_CELL_CODE)
    title: Name
    required: bool = True


class FormDoc(_Doc):
    """Art. 8(9) data form (biểu mẫu) and Art. 8(8) outline (đề cương)."""

    code: str = Field(..., pattern=_CODE)
    version: int = Field(1, ge=1)
    title: Name
    indicators: list[IndicatorDoc] = Field(default_factory=list, max_length=2000)
    disaggregation: DisaggregationDoc | None = None
    disaggregated: list[str] = Field(default_factory=list, max_length=2000)
    rules: list[CrossRuleDoc] = Field(default_factory=list, max_length=2000)
    outline: list[OutlineSectionDoc] = Field(default_factory=list, max_length=200)


class VersionDoc(_Doc):
    """One version of a regime (its definition). ``name`` and ``legal_basis`` default to the
    regime's; ``reporter_units`` / ``receiver_units`` name agencies of the registry the regime
    addresses explicitly (optional: the levels of ``flow`` otherwise)."""

    version: int | None = Field(None, ge=1, description="Set by the system; ignored on input")
    effective_from: date
    effective_to: date | None = None
    name: Name = ""
    legal_basis: Name = ""
    kind: ReportKind = ReportKind.PERIODIC
    content_kind: ContentKind = ContentKind.BOTH
    content: Text
    reporters: Text
    receivers: Text
    method: Text
    instructions: Text
    flow: str = Field("geo", pattern=_CODE)
    also_flows: list[str] = Field(default_factory=list, max_length=10)
    levels: list[LevelDoc] = Field(default_factory=list, max_length=10)
    frequencies: list[PeriodType] = Field(default_factory=list, max_length=5)
    windows: list[WindowDoc] = Field(default_factory=lambda: [WindowDoc()], max_length=20)
    coinciding: Coinciding = Coinciding.REPLACE
    form: FormDoc
    reporter_units: list[Annotated[str, Field(pattern=_AGENCY)]] = Field(
        default_factory=list, max_length=10000
    )
    receiver_units: list[Annotated[str, Field(pattern=_AGENCY)]] = Field(
        default_factory=list, max_length=10000
    )
    scope: str | None = Field(
        None,
        pattern=_AGENCY,
        description="Set by the system from the issuer: a province's regime addresses only "
        "its own units",
    )


class RegimeDoc(_Doc):
    """A whole regime: its identity, issuer and every version (the export / import format)."""

    format: Literal["lienthong.regime/1"] = "lienthong.regime/1"
    code: str = Field(..., pattern=_CODE)
    name: Name
    issuer: str = Field(..., pattern=_AGENCY, description="Agency code of the issuing body")
    legal_basis: Name
    status: Literal["draft", "published", "retired"] = "draft"
    retired_on: date | None = None
    versions: list[VersionDoc] = Field(..., min_length=1, max_length=200)


def regime_json_schema() -> dict[str, Any]:
    """The published JSON Schema of a regime document (docs/schemas/regime.schema.json)."""
    schema = RegimeDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://lienthong.example/schemas/regime.schema.json"
    return schema


def regime_schema_text() -> str:
    return json.dumps(regime_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- reading -----------------------------------------------------------------------------


def _problems_of(exc: ValidationError) -> list[RegimeProblem]:
    out = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err.get("loc", ())) or "document"
        out.append(RegimeProblem(where, "", "", str(err.get("msg", "invalid"))))
    return out


def parse_regime(data: Any) -> RegimeDoc | list[RegimeProblem]:
    """The document ``data`` (decoded JSON) as a :class:`RegimeDoc`, or its problems."""
    try:
        return RegimeDoc.model_validate(data)
    except ValidationError as exc:
        return _problems_of(exc)


def parse_version(data: Any) -> VersionDoc | list[RegimeProblem]:
    try:
        return VersionDoc.model_validate(data)
    except ValidationError as exc:
        return _problems_of(exc)


def _deadline(doc: DayOfLastMonthDoc | WorkingDaysAfterCutoffDoc) -> Any:
    if isinstance(doc, DayOfLastMonthDoc):
        return DayOfLastMonth(doc.day, doc.month_offset, doc.if_day_off)
    return WorkingDaysAfterCutoff(doc.days)


def form_problems(form: FormDoc) -> list[RegimeProblem]:
    """What the form says that no report could satisfy: codes twice, a disaggregated code or a
    cross-check cell the form lacks."""
    problems: list[RegimeProblem] = []
    codes = [i.code for i in form.indicators]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(RegimeProblem("form", "", "", f"indicator {code} appears twice"))
    known = set(codes)
    for code in form.disaggregated:
        if code not in known:
            problems.append(
                RegimeProblem("form", "", "", f"disaggregated {code}: no such indicator")
            )
    if form.disaggregated and form.disaggregation is None:
        problems.append(
            RegimeProblem("form", "", "", "indicators are disaggregated but no disaggregation")
        )
    cells = set(codes)
    if form.disaggregation is not None:
        options = [o.code for o in form.disaggregation.options]
        cells |= {f"{c}.{o}" for c in form.disaggregated for o in options}
    for rule in form.rules:
        for cell in [*rule.left, *rule.right]:
            if cell not in cells:
                problems.append(
                    RegimeProblem("form", "", "", f"cross-check {rule.code}: no cell {cell}")
                )
    sections = [s.code for s in form.outline]
    for code in sorted({c for c in sections if sections.count(c) > 1}):
        problems.append(RegimeProblem("outline", "", "", f"section {code} appears twice"))
    return problems


def to_form(doc: FormDoc) -> Form:
    disaggregation = (
        Disaggregation(
            doc.disaggregation.code,
            doc.disaggregation.name,
            tuple((o.code, o.label) for o in doc.disaggregation.options),
        )
        if doc.disaggregation
        else None
    )
    return Form(
        code=doc.code,
        version=doc.version,
        title=doc.title,
        indicators=tuple(
            Indicator(
                i.code,
                i.name,
                i.unit,
                i.aggregation,
                i.numerator,
                i.denominator,
                i.factor,
                i.minimum,
                i.maximum,
                i.required,
                i.cumulative,
                i.integer,
            )
            for i in doc.indicators
        ),
        disaggregation=disaggregation,
        disaggregated=frozenset(doc.disaggregated),
        rules=tuple(
            CrossRule(r.code, tuple(r.left), r.op, tuple(r.right), r.message) for r in doc.rules
        ),
        outline=tuple(OutlineSection(s.code, s.title, s.required) for s in doc.outline),
    )


def to_regime_version(
    code: str, number: int, doc: VersionDoc, *, name: str, legal_basis: str
) -> RegimeVersion | list[RegimeProblem]:
    """Version ``number`` of regime ``code`` as the pure model reads it, or the problems of
    its shape (the Art. 8 checks are :func:`validate_regime_version`'s)."""
    problems = form_problems(doc.form)
    try:
        windows = WindowSchedule(
            tuple((w.effective_from or date.min, WindowRule(w.start_day)) for w in doc.windows)
        )
    except PeriodError as exc:
        problems.append(RegimeProblem("windows", "", "", str(exc)))
        windows = WindowSchedule()
    if len(set(doc.frequencies)) != len(doc.frequencies):
        problems.append(RegimeProblem("frequencies", "", "", "a period type appears twice"))
    if problems:
        return problems
    return RegimeVersion(
        code=code,
        version=number,
        name=doc.name or name,
        legal_basis=doc.legal_basis or legal_basis,
        content_kind=doc.content_kind,
        content=doc.content,
        reporters=doc.reporters,
        receivers=doc.receivers,
        method=doc.method,
        flow=doc.flow,
        levels=tuple(
            LevelDeadlines(lv.level, {pt: _deadline(d) for pt, d in lv.deadlines.items()})
            for lv in doc.levels
        ),
        frequencies=tuple(doc.frequencies),
        form=to_form(doc.form),
        instructions=doc.instructions,
        effective_from=doc.effective_from,
        effective_to=doc.effective_to,
        windows=windows,
        coinciding=doc.coinciding,
        also_flows=tuple(doc.also_flows),
        kind=doc.kind,
        scope=doc.scope,
        reporter_units=frozenset(doc.reporter_units),
    )


# --- writing -----------------------------------------------------------------------------


def _deadline_doc(rule: Any) -> DayOfLastMonthDoc | WorkingDaysAfterCutoffDoc:
    if isinstance(rule, DayOfLastMonth):
        return DayOfLastMonthDoc(
            rule="day_of_last_month",
            day=rule.day,
            month_offset=rule.month_offset,
            if_day_off=rule.if_day_off,
        )
    return WorkingDaysAfterCutoffDoc(rule="working_days_after_cutoff", days=rule.days)


def version_doc_of(version: RegimeVersion) -> VersionDoc:
    """The definition of a pure :class:`RegimeVersion` (to seed or export a built regime)."""
    form = version.form
    return VersionDoc(
        version=version.version,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        name=version.name,
        legal_basis=version.legal_basis,
        kind=version.kind,
        content_kind=version.content_kind,
        content=version.content,
        reporters=version.reporters,
        receivers=version.receivers,
        method=version.method,
        instructions=version.instructions,
        flow=version.flow,
        also_flows=list(version.also_flows),
        levels=[
            LevelDoc(
                level=lv.level,
                deadlines={pt: _deadline_doc(rule) for pt, rule in lv.rules.items()},
            )
            for lv in version.levels
        ],
        frequencies=list(version.frequencies),
        windows=[
            WindowDoc(
                effective_from=None if d == date.min else d,
                start_day=rule.start_day,
            )
            for d, rule in version.windows.rules
        ],
        coinciding=version.coinciding,
        scope=version.scope,
        reporter_units=sorted(version.reporter_units),
        form=FormDoc(
            code=form.code,
            version=form.version,
            title=form.title,
            indicators=[
                IndicatorDoc(
                    code=i.code,
                    name=i.name,
                    unit=i.unit,
                    aggregation=i.aggregation,
                    numerator=i.numerator,
                    denominator=i.denominator,
                    factor=i.factor,
                    minimum=i.minimum,
                    maximum=i.maximum,
                    required=i.required,
                    cumulative=i.cumulative,
                    integer=i.integer,
                )
                for i in form.indicators
            ],
            disaggregation=(
                DisaggregationDoc(
                    code=form.disaggregation.code,
                    name=form.disaggregation.name,
                    options=[
                        OptionDoc(code=c, label=lbl) for c, lbl in form.disaggregation.options
                    ],
                )
                if form.disaggregation
                else None
            ),
            disaggregated=sorted(form.disaggregated),
            rules=[
                CrossRuleDoc(
                    code=r.code, left=list(r.left), op=r.op, right=list(r.right), message=r.message
                )
                for r in form.rules
            ],
            outline=[
                OutlineSectionDoc(code=s.code, title=s.title, required=s.required)
                for s in form.outline
            ],
        ),
    )


def definition_json(doc: VersionDoc) -> dict[str, Any]:
    """What the store keeps of a version (``version`` is the row's, not the document's)."""
    return doc.model_dump(mode="json", exclude={"version"})


# --- indicator meanings ------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorMeaning:
    """What an indicator code means: two regimes asking for ``code`` ask for the same thing
    when these agree."""

    code: str
    name: str
    unit: str
    aggregation: str

    @classmethod
    def of(cls, ind: IndicatorDoc | Indicator) -> IndicatorMeaning:
        return cls(ind.code, ind.name.strip(), ind.unit.strip(), str(ind.aggregation))

    def differs(self, other: IndicatorMeaning) -> list[str]:
        return [
            f
            for f in ("name", "unit", "aggregation")
            if _norm(getattr(self, f)) != _norm(getattr(other, f))
        ]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class IndicatorConflict:
    code: str
    where: str  # the other regime (``KTXH``) or ``catalogue``
    fields: tuple[str, ...]
    theirs: IndicatorMeaning
    ours: IndicatorMeaning

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.code,
            "used_by": self.where,
            "differs_in": list(self.fields),
            "theirs": {
                "name": self.theirs.name,
                "unit": self.theirs.unit,
                "aggregation": self.theirs.aggregation,
            },
            "ours": {
                "name": self.ours.name,
                "unit": self.ours.unit,
                "aggregation": self.ours.aggregation,
            },
        }


def indicator_conflicts(
    ours: Iterable[IndicatorMeaning],
    known: Mapping[str, Sequence[tuple[str, IndicatorMeaning]]],
) -> list[IndicatorConflict]:
    """The indicators of ``ours`` whose code ``known`` (code -> [(where, meaning)]) already
    uses with another name, unit or aggregation (spacing and case aside)."""
    out: list[IndicatorConflict] = []
    for mine in ours:
        for where, theirs in known.get(mine.code, ()):
            fields = mine.differs(theirs)
            if fields:
                out.append(IndicatorConflict(mine.code, where, tuple(fields), theirs, mine))
                break
    return out
