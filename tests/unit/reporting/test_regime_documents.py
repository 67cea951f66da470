"""The regime document, the authority rule and indicator meanings, pure (issue 20)."""

from __future__ import annotations

from datetime import date

from lienthong.reporting.authority import RegistryUnit, authority_problems
from lienthong.reporting.documents import (
    IndicatorMeaning,
    RegimeDoc,
    VersionDoc,
    form_problems,
    indicator_conflicts,
    parse_regime,
    parse_version,
    regime_json_schema,
    to_regime_version,
    version_doc_of,
)
from lienthong.reporting.regimes import RegimeProblem, demo_regime

GOV = RegistryUnit("G22", "government", ())
FINANCE = RegistryUnit("G12", "ministry", ())
TAX = RegistryUnit("G12.TAX", None, ("G12",))
SCIENCE_DEPT = RegistryUnit("G15.D", None, ("G15",))
PROVINCE = RegistryUnit("H41", "province", ())
COMMUNE = RegistryUnit("H41.01", "commune", ("H41",))
OTHER_PROVINCE = RegistryUnit("H14", "province", ())
OTHER_COMMUNE = RegistryUnit("H14.01", "commune", ("H14",))
UNITS = {
    u.code: u
    for u in (GOV, FINANCE, TAX, SCIENCE_DEPT, PROVINCE, COMMUNE, OTHER_PROVINCE, OTHER_COMMUNE)
}


def demo_doc() -> VersionDoc:
    return version_doc_of(demo_regime())


def test_the_demo_regime_survives_the_document_round_trip() -> None:
    doc = parse_version(demo_doc().model_dump(mode="json"))
    assert isinstance(doc, VersionDoc)
    built = to_regime_version("KTXH", 1, doc, name="", legal_basis="")
    assert built == demo_regime()


def test_name_and_legal_basis_default_to_the_regimes() -> None:
    data = demo_doc().model_dump(mode="json")
    data.update(name="", legal_basis="")
    doc = parse_version(data)
    assert isinstance(doc, VersionDoc)
    built = to_regime_version("X", 3, doc, name="Tên chế độ", legal_basis="Quyết định 1")
    assert not isinstance(built, list)
    assert (built.name, built.legal_basis, built.version) == ("Tên chế độ", "Quyết định 1", 3)


def test_a_document_of_the_wrong_shape_answers_its_problems() -> None:
    data = demo_doc().model_dump(mode="json")
    data["levels"][0]["deadlines"]["M"] = {"rule": "whenever"}
    data["frequencies"] = ["M", "WEEK"]
    data["surprise"] = 1
    problems = parse_version(data)
    assert isinstance(problems, list) and all(isinstance(p, RegimeProblem) for p in problems)
    fields = {p.field for p in problems}
    assert "frequencies.1" in fields and "surprise" in fields
    assert any(f.startswith("levels.0.deadlines.M") for f in fields)
    assert isinstance(parse_regime({"code": "X"}), list)


def test_a_form_no_report_could_satisfy_is_refused() -> None:
    form = demo_doc().form.model_copy(deep=True)
    form.indicators.append(form.indicators[0])
    form.disaggregated.append("NOPE")
    form.rules[0].right.append("BIRTHS.KHAC")
    messages = [p.message for p in form_problems(form)]
    assert "indicator POP appears twice" in messages
    assert "disaggregated NOPE: no such indicator" in messages
    assert "cross-check R1: no cell BIRTHS.KHAC" in messages


def test_window_rules_out_of_order_are_a_problem() -> None:
    data = demo_doc().model_dump(mode="json")
    data["windows"] = [
        {"effective_from": "2026-01-01", "start_day": 1},
        {"effective_from": "2025-01-01", "start_day": 15},
    ]
    doc = parse_version(data)
    assert isinstance(doc, VersionDoc)
    problems = to_regime_version("KTXH", 1, doc, name="", legal_basis="")
    assert isinstance(problems, list) and problems[0].field == "windows"


def test_the_published_schema_describes_the_document() -> None:
    schema = regime_json_schema()
    assert schema["title"] == "RegimeDoc"
    assert {"code", "issuer", "versions"} <= set(schema["required"])
    assert "VersionDoc" in schema["$defs"] and "DayOfLastMonthDoc" in schema["$defs"]
    assert RegimeDoc.model_validate(
        {
            "code": "KTXH",
            "name": "n",
            "issuer": "G22",
            "legal_basis": "l",
            "versions": [demo_doc().model_dump(mode="json")],
        }
    ).versions[0].effective_from == date(2025, 1, 1)


def check(issuer: RegistryUnit | None, **kw: object) -> list[str]:
    args: dict[str, object] = {
        "issuer_code": issuer.code if issuer else "NOPE",
        "flow": "geo",
        "levels": [],
        "reporter_units": [],
        "receiver_units": [],
        "units": UNITS,
    }
    args.update(kw)
    return [p.message for p in authority_problems(issuer, **args)]  # type: ignore[arg-type]


def test_the_government_addresses_ministries_provinces_and_communes() -> None:
    assert check(GOV, levels=["commune", "province", "ministry"]) == []
    assert check(GOV, reporter_units=["G12", "H14.01"], receiver_units=["G22"]) == []


def test_a_province_addresses_only_its_own_communes() -> None:
    assert check(PROVINCE, levels=["commune"], reporter_units=["H41.01"]) == []
    assert check(PROVINCE, levels=["ministry"]) == [
        "a province cannot make ministry units report to it"
    ]
    assert check(PROVINCE, levels=["province"]) == [
        "a province cannot make province units report to it"
    ]
    assert check(PROVINCE, reporter_units=["G12"]) == ["G12 is not under the authority of H41"]
    assert check(PROVINCE, reporter_units=["H14.01"]) == [
        "H14.01 is not under the authority of H41"
    ]
    assert check(PROVINCE, receiver_units=["H41"]) == []
    assert check(PROVINCE, reporter_units=["H41"]) == ["H41 is the issuer: it reports to nobody"]


def test_a_ministry_addresses_its_units_and_the_localities_not_another_ministry() -> None:
    assert check(FINANCE, levels=["province", "commune"]) == []
    assert check(FINANCE, reporter_units=["G12.TAX", "H14", "H41.01"]) == []
    assert check(FINANCE, reporter_units=["G15.D"]) == ["G15.D is not under the authority of G12"]
    assert check(FINANCE, levels=["ministry"]) == [
        "a ministry cannot make ministry units report to it"
    ]


def test_an_issuer_outside_the_registry_or_without_the_power_is_refused() -> None:
    assert check(None) == ["NOPE is not an agency of the registry"]
    assert "issues no reporting regime" in check(TAX)[0]
    assert check(PROVINCE, reporter_units=["X9"]) == ["X9 is not an agency of the registry"]


def test_sector_flows_skip_the_geographic_levels_but_not_the_units() -> None:
    assert check(PROVINCE, flow="health", levels=["hospital"]) == []
    assert check(PROVINCE, flow="health", reporter_units=["G12"]) != []


def test_an_indicator_code_with_another_meaning_conflicts() -> None:
    pop = IndicatorMeaning("POP", "Dân số trung bình", "người", "sum")
    known = {"POP": [("KTXH", pop)]}
    same = IndicatorMeaning("POP", "dân số  trung bình", "Người", "sum")
    assert indicator_conflicts([same], known) == []
    other = IndicatorMeaning("POP", "Dân số", "người", "average")
    found = indicator_conflicts([other], known)
    assert [(c.code, c.where, c.fields) for c in found] == [
        ("POP", "KTXH", ("name", "aggregation"))
    ]
    assert indicator_conflicts([IndicatorMeaning("GDP", "x", "y", "sum")], known) == []


def test_a_scoped_regime_addresses_only_the_units_under_its_scope() -> None:
    import dataclasses

    regime = dataclasses.replace(demo_regime(), scope="H41")
    assert regime.addresses("H41.01", ["H41", "G22"])
    assert regime.addresses("H41", ["G22"])
    assert not regime.addresses("H14.01", ["H14", "G22"])
    named = dataclasses.replace(demo_regime(), reporter_units=frozenset({"H41.01"}))
    assert named.addresses("H41.01", []) and not named.addresses("H41.02", ["H41"])
    assert demo_regime().addresses("anything", [])
