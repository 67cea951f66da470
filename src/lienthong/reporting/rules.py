"""Indicators, forms (biểu mẫu số liệu), outlines (đề cương) and the validation of a report's
values, pure (Decree 09/2019/NĐ-CP Art. 8(2): a regime's content is text, data, or both).

A form is a table: rows are indicators, columns the options of one optional disaggregation
(e.g. sex: nam / nữ) plus the total. A *cell* is named ``INDICATOR`` or ``INDICATOR.OPTION``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from lienthong.text import vn_figure


class Aggregation(StrEnum):
    SUM = "sum"
    AVERAGE = "average"  # mean over the reporting units
    LAST = "last"  # a stock: the last value in time; across units it adds up
    RATIO = "ratio"  # recomputed from the aggregated numerator and denominator
    NONE = "none"  # not consolidated


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    aggregation: Aggregation = Aggregation.SUM
    numerator: str | None = None  # RATIO: cells of the same form
    denominator: str | None = None
    factor: float = 1.0  # RATIO: e.g. 100 for a percentage
    minimum: float | None = 0.0
    maximum: float | None = None
    required: bool = True
    cumulative: bool = False  # lũy kế from 15 Dec: never below the previous period's figure
    integer: bool = False


@dataclass(frozen=True)
class Disaggregation:
    code: str
    name: str
    options: tuple[tuple[str, str], ...]  # (code, label)


class Op(StrEnum):
    LE = "<="
    GE = ">="
    EQ = "=="


@dataclass(frozen=True)
class CrossRule:
    """``sum(left) op sum(right)`` over cells of one report, e.g. ``A.nam + A.nu == A``."""

    code: str
    left: tuple[str, ...]
    op: Op
    right: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class OutlineSection:
    code: str
    title: str
    required: bool = True


@dataclass(frozen=True)
class Form:
    """A data-table form, versioned: an uploaded spreadsheet names the version it was made from."""

    code: str
    version: int
    title: str
    indicators: tuple[Indicator, ...]
    disaggregation: Disaggregation | None = None
    disaggregated: frozenset[str] = frozenset()  # indicators with the disaggregation's columns
    rules: tuple[CrossRule, ...] = ()
    outline: tuple[OutlineSection, ...] = ()

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    def cells_of(self, ind: Indicator) -> list[str]:
        cells = [ind.code]
        if self.disaggregation is not None and ind.code in self.disaggregated:
            cells += [f"{ind.code}.{opt}" for opt, _ in self.disaggregation.options]
        return cells

    def cell_label(self, cell: str) -> str:
        """What a person reads for ``cell``: the indicator's name, with its option's label for
        a disaggregated cell (``Số trẻ em sinh ra trong kỳ – Nam``)."""
        code, _, option = cell.partition(".")
        name = self.indicator(code).name
        if not option or self.disaggregation is None:
            return name
        labels = dict(self.disaggregation.options)
        return f"{name} – {labels.get(option, option)}"

    def shown_values(self, values: Mapping[str, float]) -> dict[str, float]:
        """``values`` with each ratio indicator computed from its parts, as the form shows it."""
        out = dict(values)
        for ind in self.indicators:
            if ind.aggregation is Aggregation.RATIO and ind.code not in out:
                ratio = ratio_value(ind, values)
                if ratio is not None:
                    out[ind.code] = ratio
        return out

    @property
    def cells(self) -> list[str]:
        return [cell for ind in self.indicators for cell in self.cells_of(ind)]

    def indicator_of(self, cell: str) -> Indicator:
        return self.indicator(cell.split(".", 1)[0])

    @property
    def template_id(self) -> str:
        return f"{self.code}@v{self.version}"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the cell (or section, or rule code) and a Vietnamese sentence."""

    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "message": self.message}


@dataclass
class ReportContent:
    values: dict[str, float] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)


def _fmt(value: float) -> str:
    """A figure the Vietnamese way, as the form shows it: ``23.373.900``, ``98,5``."""
    return vn_figure(value, 4)


def validate(
    form: Form,
    content: ReportContent,
    *,
    previous_cumulative: Mapping[str, float] | None = None,
    require_complete: bool = True,
) -> list[Problem]:
    """Every problem of ``content`` against ``form``: unknown cells, required cells, ranges,
    whole numbers, cross-cell rules, cumulative figures not below ``previous_cumulative`` (the
    previous period's accepted figures of the same year), required outline sections.
    ``require_complete=False`` (a draft) skips the required checks."""
    problems: list[Problem] = []
    known = set(form.cells)
    for cell, given in content.values.items():
        if cell not in known:
            problems.append(Problem(cell, f"Ô {cell} không có trong biểu mẫu."))
        elif not math.isfinite(given):
            problems.append(Problem(cell, f"Ô {cell}: giá trị không phải là số hữu hạn."))
    for ind in form.indicators:
        for cell in form.cells_of(ind):
            value = content.values.get(cell)
            if value is None:
                if require_complete and ind.required and ind.aggregation is not Aggregation.RATIO:
                    problems.append(Problem(cell, f"Thiếu số liệu bắt buộc: {ind.name}."))
                continue
            if not math.isfinite(value):
                continue
            if ind.minimum is not None and value < ind.minimum:
                problems.append(
                    Problem(cell, f"{ind.name}: {_fmt(value)} nhỏ hơn {_fmt(ind.minimum)}.")
                )
            if ind.maximum is not None and value > ind.maximum:
                problems.append(
                    Problem(cell, f"{ind.name}: {_fmt(value)} lớn hơn {_fmt(ind.maximum)}.")
                )
            if ind.integer and value != int(value):
                problems.append(Problem(cell, f"{ind.name}: phải là số nguyên."))
            if ind.cumulative and previous_cumulative is not None:
                before = previous_cumulative.get(cell)
                if before is not None and value < before:
                    problems.append(
                        Problem(
                            cell,
                            f"{ind.name}: số lũy kế {_fmt(value)} nhỏ hơn kỳ trước "
                            f"({_fmt(before)}).",
                        )
                    )
    for rule in form.rules:
        left = [content.values.get(c) for c in rule.left]
        right = [content.values.get(c) for c in rule.right]
        if any(v is None for v in left + right):
            continue
        a = sum(v for v in left if v is not None)
        b = sum(v for v in right if v is not None)
        broken = {
            Op.LE: a > b + 1e-9,
            Op.GE: a < b - 1e-9,
            Op.EQ: abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)),
        }[rule.op]
        if broken:
            problems.append(Problem(rule.code, rule.message))
    if require_complete:
        for section in form.outline:
            if section.required and not content.sections.get(section.code, "").strip():
                problems.append(Problem(section.code, f"Thiếu nội dung mục: {section.title}."))
    unknown_sections = set(content.sections) - {s.code for s in form.outline}
    for code in sorted(unknown_sections):
        problems.append(Problem(code, f"Mục {code} không có trong đề cương."))
    return problems


def ratio_value(ind: Indicator, values: Mapping[str, float]) -> float | None:
    """A RATIO indicator from its numerator and denominator (None when undefined)."""
    if ind.numerator is None or ind.denominator is None:
        return None
    num, den = values.get(ind.numerator), values.get(ind.denominator)
    if num is None or not den:
        return None
    return num / den * ind.factor


def consolidated_value(ind: Indicator, total: float, count: int) -> float | None:
    """The displayed consolidated figure of a non-ratio indicator from its sum and count."""
    if ind.aggregation is Aggregation.NONE or count == 0:
        return None
    if ind.aggregation is Aggregation.AVERAGE:
        return total / count
    return total


def aggregatable(form: Form) -> list[str]:
    """The cells whose sums are kept (ratios are recomputed; NONE is not consolidated)."""
    return [
        cell
        for ind in form.indicators
        if ind.aggregation not in (Aggregation.RATIO, Aggregation.NONE)
        for cell in form.cells_of(ind)
    ]


_VN_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")


def parse_number(text: str) -> float:
    """A number typed the Vietnamese way, one reading for the web form and XLSX text cells:
    ``.`` groups thousands, ``,`` is the decimal mark: ``1.800`` is 1800, ``1.234,5`` is
    1234.5. A dot that cannot be a thousands separator (``1.8``, ``1234.5``) is refused
    (ValueError) rather than guessed: the screen says to write decimals with a comma."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise ValueError("empty")
    if not _VN_NUMBER.match(raw):
        raise ValueError(f"not a number written the Vietnamese way: {text!r}")
    value = float(raw.replace(".", "").replace(",", "."))
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def as_problems(items: Sequence[Problem]) -> list[dict[str, str]]:
    return [p.as_dict() for p in items]
