"""Who a regime may address, pure (Decree 09/2019/NĐ-CP Arts. 5-6).

The Government (its Office) issues regimes to ministries and provinces; a minister issues the
regimes of the sector, to the ministry's own units and to provinces and their communes (a
sectoral report goes up from the localities) [U: the Decree lets ministries address localities
"within their sector"; the tree does not say which sector a unit belongs to]; the chair of a
province issues regimes to the province's own units. Nobody else issues a regime, and no issuer
makes a unit above or beside it report to it: a province cannot make a ministry report to it.

The issuer and the units a regime names explicitly (``reporter_units`` / ``receiver_units``)
are agencies of the registry, described here by their level in the geographic flow
(``government``, ``ministry``, ``province``, ``commune`` or ``None``) and their chain of
ancestors (parent first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lienthong.reporting.regimes import RegimeProblem

GEO = "geo"

# The levels of the geographic flow each kind of issuer may make report.
ISSUABLE_LEVELS: dict[str, frozenset[str]] = {
    "government": frozenset({"ministry", "province", "commune"}),
    "ministry": frozenset({"province", "commune"}),
    "province": frozenset({"commune"}),
}


@dataclass(frozen=True)
class RegistryUnit:
    """An agency of the registry as the authority rule reads it."""

    code: str
    level: str | None  # its level in the geographic flow, None when it has none
    ancestors: tuple[str, ...]  # parent first


def _under(issuer: RegistryUnit, unit: RegistryUnit, units: Mapping[str, RegistryUnit]) -> bool:
    if issuer.level == "government":
        return True
    if issuer.code in unit.ancestors:
        return True
    if issuer.level == "ministry":
        chain = [unit.code, *unit.ancestors]
        return any(units.get(c, RegistryUnit(c, None, ())).level == "province" for c in chain)
    return False


def authority_problems(
    issuer: RegistryUnit | None,
    *,
    issuer_code: str,
    flow: str,
    levels: Sequence[str],
    reporter_units: Sequence[str],
    receiver_units: Sequence[str],
    units: Mapping[str, RegistryUnit],
    first_period: str = "",
) -> list[RegimeProblem]:
    """Why a version addresses units outside its issuer's authority; empty: it does not.

    ``units`` holds the registry's view of every code named (missing: not registered)."""
    if issuer is None:
        return [RegimeProblem("issuer", "", "", f"{issuer_code} is not an agency of the registry")]
    allowed = ISSUABLE_LEVELS.get(issuer.level or "")
    if allowed is None:
        return [
            RegimeProblem(
                "issuer",
                "",
                "",
                f"{issuer.code} is not the Government Office, a ministry or a province: "
                "it issues no reporting regime",
            )
        ]
    problems: list[RegimeProblem] = []
    if flow == GEO:
        for level in levels:
            if level not in allowed:
                problems.append(
                    RegimeProblem(
                        "levels",
                        level,
                        first_period,
                        f"a {issuer.level} cannot make {level} units report to it",
                    )
                )
    for field, codes, receiving in (
        ("reporter_units", reporter_units, False),
        ("receiver_units", receiver_units, True),
    ):
        for code in codes:
            unit = units.get(code)
            if unit is None:
                problems.append(
                    RegimeProblem(field, "", "", f"{code} is not an agency of the registry")
                )
            elif code == issuer.code:
                if not receiving:
                    problems.append(
                        RegimeProblem(field, "", "", f"{code} is the issuer: it reports to nobody")
                    )
            elif not _under(issuer, unit, units):
                problems.append(
                    RegimeProblem(
                        field, "", "", f"{code} is not under the authority of {issuer.code}"
                    )
                )
    return problems
