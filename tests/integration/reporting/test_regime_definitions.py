"""Regimes stored and versioned (issue 20), on SQLite and PostgreSQL: an issuing body defines a
regime as data, publishes it, changes it by a new version, retires it; the runtime catalogue
reads the store; each refusal answers its own code and stores nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.service import AgencyService
from lienthong.audit.store import AuditEvent
from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting import regime_store as rstore
from lienthong.reporting.documents import version_doc_of
from lienthong.reporting.model import LevelDeadlines, PeriodType, WorkingDaysAfterCutoff
from lienthong.reporting.regime_service import RegimeDefinitions, StoredCatalogue
from lienthong.reporting.regimes import demo_regime
from lienthong.reporting.rules import ReportContent
from lienthong.reporting.service import ReportingService
from lienthong.reporting.wiring import geo_units
from lienthong.secrets import Sealer

NOW = datetime(2026, 4, 15, 9, 0, tzinfo=VN_TZ)
GOV = "000.00.00.G22"
FINANCE = "000.00.00.G12"
SCIENCE = "000.00.00.G15"
NGHE_AN = "000.00.00.H41"
CAO_BANG = "000.00.00.H14"
NGHI_PHONG = "000.11.38.H41"  # a commune of Nghệ An
HOP_GIANG = "000.03.21.H14"  # a commune of Cao Bằng
TAX_NGHE_AN = "000.40.18.G12"  # under the Ministry of Finance


class Setup:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = FixedClock(NOW)
        self.agencies = AgencyService(db, Sealer(b"r" * 32), self.clock)
        self.agencies.register_all(DEMO_AGENCIES)
        self.calendar = WorkingCalendar()
        self.catalogue = StoredCatalogue(db, self.calendar)
        self.defs = RegimeDefinitions(db, self.clock, self.calendar, self.agencies, self.catalogue)

    def reporting(self) -> ReportingService:
        service = ReportingService(self.db, self.clock, self.calendar, self.catalogue, None)
        service.add_units("geo", geo_units(self.agencies.list_all()))
        return service

    def stored(self) -> tuple[Any, ...]:
        return stored_state(self.db)


def stored_state(db: Database) -> tuple[Any, ...]:
    """Everything a regime write touches, to compare before / after a refusal."""
    with db.read() as session:
        regimes = [
            (r.code, r.status, r.revision, r.name, r.retired_on) for r in rstore.regimes(session)
        ]
        versions = [
            (v.regime, v.version, v.state, v.effective_from, repr(v.definition))
            for v in rstore.all_versions(session)
        ]
        indicators = [(i.code, i.name) for i in rstore.indicators(session)]
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return regimes, versions, indicators, events


@pytest.fixture
def setup(db: Database) -> Setup:
    return Setup(db)


DEADLINE = {"rule": "working_days_after_cutoff", "days": 3}


def province_version(**changes: Any) -> dict[str, Any]:
    """A monthly regime of a province to its communes (one level, deadline the 20th)."""
    base = demo_regime()
    version = version_doc_of(base).model_dump(mode="json")
    version.pop("version")
    version.update(
        effective_from="2026-01-01",
        name="Báo cáo tình hình phòng chống thiên tai",
        legal_basis="Quyết định minh họa của UBND tỉnh Nghệ An",
        frequencies=["M"],
        levels=[{"level": "commune", "deadlines": {"M": DEADLINE}}],
        content_kind="data",
    )
    version["form"] = {
        "code": "BM-PCTT",
        "version": 1,
        "title": "Biểu thiệt hại do thiên tai",
        "indicators": [
            {"code": "FLOOD_HOUSES", "name": "Số nhà bị ngập", "unit": "nhà", "integer": True},
            {"code": "EVACUATED", "name": "Số người sơ tán", "unit": "người", "integer": True},
        ],
        "rules": [],
        "outline": [],
    }
    version.update(changes)
    return version


def new_regime(code: str = "PCTT", issuer: str = NGHE_AN, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Báo cáo tình hình phòng chống thiên tai",
        "issuer": issuer,
        "legal_basis": "Quyết định minh họa của UBND tỉnh Nghệ An",
        "version": province_version(**changes),
    }


def refused(setup: Setup, code: ErrorCode, action: Callable[[], object]) -> LienthongError:
    before = setup.stored()
    with pytest.raises(LienthongError) as caught:
        action()
    assert caught.value.code is code, caught.value
    assert setup.stored() == before, "a refusal stores nothing"
    return caught.value


def test_a_draft_regime_is_published_then_in_the_catalogue(setup: Setup) -> None:
    made = setup.defs.create(NGHE_AN, new_regime())
    assert (made.status, [v.state for v in made.versions]) == ("draft", ["draft"])
    assert setup.catalogue.get("PCTT") is None, "a draft governs nothing"
    published = setup.defs.publish(NGHE_AN, "PCTT")
    assert published.status == "published" and published.versions[0].state == "published"
    version = setup.catalogue.get("PCTT", date(2026, 5, 1))
    assert version is not None and version.version == 1
    assert version.level_codes == ["commune"] and version.frequencies == (PeriodType.MONTH,)
    assert version.deadline_rule("commune", PeriodType.MONTH) == WorkingDaysAfterCutoff(3)
    assert [i.code for i in version.form.indicators] == ["FLOOD_HOUSES", "EVACUATED"]
    assert version.scope == NGHE_AN, "a province's regime addresses its own units"
    listed = setup.defs.list_regimes()
    assert [r.code for r in listed] == ["PCTT"] and listed[0].issuer == NGHE_AN
    with setup.db.read() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["reporting.regime.create", "reporting.regime.publish"]


def test_another_process_sees_a_published_regime(setup: Setup) -> None:
    other = StoredCatalogue(setup.db, setup.calendar, ttl=0)
    assert other.codes() == []
    setup.defs.create(NGHE_AN, new_regime())
    setup.defs.publish(NGHE_AN, "PCTT")
    assert other.codes() == ["PCTT"]


def test_the_demo_regime_seeded_into_the_store_is_the_one_built_in_code(setup: Setup) -> None:
    assert setup.defs.ensure_demo_regime() is True
    assert setup.defs.ensure_demo_regime() is False, "seeding twice adds nothing"
    assert setup.catalogue.versions("KTXH") == [demo_regime()]
    regime = setup.defs.get("KTXH")
    assert (regime.issuer, regime.status) == (GOV, "published")


def test_a_version_breaking_article_8_is_refused_with_its_problems(setup: Setup) -> None:
    error = refused(
        setup,
        ErrorCode.REGIME_INVALID,
        lambda: setup.defs.create(NGHE_AN, new_regime(method=" ", levels=[])),
    )
    fields = {p["field"] for p in error.detail["problems"]}
    assert {"method", "levels"} <= fields
    late = [{"level": "commune", "deadlines": {"M": {"rule": "day_of_last_month", "day": 10}}}]
    error = refused(
        setup, ErrorCode.REGIME_INVALID, lambda: setup.defs.create(NGHE_AN, new_regime(levels=late))
    )
    problem = error.detail["problems"][0]
    assert (problem["field"], problem["level"], problem["period"]) == (
        "deadline",
        "commune",
        "2026-M01",
    )
    refused(
        setup,
        ErrorCode.REGIME_INVALID,
        lambda: setup.defs.create(NGHE_AN, new_regime(frequencies=["WEEK"])),
    )


def test_a_cross_check_naming_an_unknown_cell_is_refused(setup: Setup) -> None:
    version = province_version()
    version["form"]["rules"] = [
        {"code": "R1", "left": ["EVACUATED"], "op": "<=", "right": ["NOPE"], "message": "x"}
    ]
    body = {**new_regime(), "version": version}
    error = refused(setup, ErrorCode.REGIME_INVALID, lambda: setup.defs.create(NGHE_AN, body))
    assert "NOPE" in error.detail["problems"][0]["message"]


def test_only_the_issuer_defines_publishes_and_retires(setup: Setup) -> None:
    refused(
        setup,
        ErrorCode.REGIME_NOT_ISSUER,
        lambda: setup.defs.create(CAO_BANG, new_regime(issuer=NGHE_AN)),
    )
    setup.defs.create(NGHE_AN, new_regime())
    refused(setup, ErrorCode.REGIME_NOT_ISSUER, lambda: setup.defs.publish(CAO_BANG, "PCTT"))
    refused(
        setup,
        ErrorCode.REGIME_NOT_ISSUER,
        lambda: setup.defs.edit_version(CAO_BANG, "PCTT", 1, province_version()),
    )
    refused(
        setup,
        ErrorCode.REGIME_NOT_ISSUER,
        lambda: setup.defs.add_version(
            CAO_BANG, "PCTT", province_version(effective_from="2027-01-01")
        ),
    )
    setup.defs.publish(NGHE_AN, "PCTT")
    refused(setup, ErrorCode.REGIME_NOT_ISSUER, lambda: setup.defs.retire(CAO_BANG, "PCTT"))


@pytest.mark.parametrize(
    ("issuer", "changes", "why"),
    [
        # a province cannot make ministries, or other provinces, report to it
        (
            NGHE_AN,
            {
                "levels": [
                    {
                        "level": "ministry",
                        "deadlines": {"M": DEADLINE},
                    }
                ]
            },
            "ministry",
        ),
        (
            NGHE_AN,
            {
                "levels": [
                    {
                        "level": "province",
                        "deadlines": {"M": DEADLINE},
                    }
                ]
            },
            "province",
        ),
        (NGHE_AN, {"reporter_units": [FINANCE]}, FINANCE),
        (NGHE_AN, {"reporter_units": [HOP_GIANG]}, HOP_GIANG),
        (NGHE_AN, {"receiver_units": [CAO_BANG]}, CAO_BANG),
        (NGHE_AN, {"reporter_units": ["999.99.99.X99"]}, "registry"),
        # a ministry reaches its own units and the localities, not another ministry
        (FINANCE, {"reporter_units": ["000.00.05.G15"]}, "000.00.05.G15"),
        # a department is no issuer
        ("000.00.12.H41", {}, "issues no reporting regime"),
    ],
)
def test_a_regime_addressed_outside_the_issuers_authority_is_refused(
    setup: Setup, issuer: str, changes: dict[str, Any], why: str
) -> None:
    error = refused(
        setup,
        ErrorCode.REGIME_OUT_OF_AUTHORITY,
        lambda: setup.defs.create(issuer, new_regime(issuer=issuer, **changes)),
    )
    assert why in error.message


def test_units_under_the_issuers_authority_are_accepted(setup: Setup) -> None:
    setup.defs.create(NGHE_AN, new_regime(reporter_units=[NGHI_PHONG], receiver_units=[NGHE_AN]))
    sector = new_regime("THUE", issuer=FINANCE, reporter_units=[TAX_NGHE_AN, HOP_GIANG])
    sector["version"]["levels"] = [{"level": "province", "deadlines": {"M": DEADLINE}}]
    setup.defs.create(FINANCE, sector)
    assert [r.code for r in setup.defs.list_regimes()] == ["PCTT", "THUE"]


def test_an_indicator_code_with_two_meanings_is_refused(setup: Setup) -> None:
    setup.defs.ensure_demo_regime()
    version = province_version()
    version["form"]["indicators"].append({"code": "POP", "name": "Dân số", "unit": "nghìn người"})
    body = {**new_regime(), "version": version}
    error = refused(
        setup, ErrorCode.REGIME_INDICATOR_CONFLICT, lambda: setup.defs.create(NGHE_AN, body)
    )
    conflict = error.detail["conflicts"][0]
    assert (conflict["indicator"], conflict["used_by"]) == ("POP", "KTXH")
    assert set(conflict["differs_in"]) == {"name", "unit"}
    version["form"]["indicators"][-1] = {
        "code": "POP",
        "name": "Dân số trung bình",
        "unit": "người",
    }
    setup.defs.create(NGHE_AN, {**new_regime(), "version": version})  # the same meaning: fine


def test_the_indicator_catalogue_is_imported_from_csv_and_checked(setup: Setup) -> None:
    csv_text = (
        "code,name,unit,aggregation,disaggregations\n"
        "FLOOD_HOUSES,Số nhà bị ngập,nhà,sum,\n"
        "GDP,Tổng sản phẩm trên địa bàn,tỷ đồng,sum,SECTOR;AREA\n"
    )
    assert setup.defs.import_indicators_csv(csv_text, actor="test") == 2
    assert [i.code for i in setup.defs.indicators()] == ["FLOOD_HOUSES", "GDP"]
    assert setup.defs.indicators()[1].disaggregations == ("SECTOR", "AREA")
    version = province_version()
    version["form"]["indicators"][0]["unit"] = "căn"
    refused(
        setup,
        ErrorCode.REGIME_INDICATOR_CONFLICT,
        lambda: setup.defs.create(NGHE_AN, {**new_regime(), "version": version}),
    )
    setup.defs.ensure_demo_regime()
    refused(
        setup,
        ErrorCode.REGIME_INDICATOR_CONFLICT,
        lambda: setup.defs.import_indicators_csv(
            "code,name,unit,aggregation\nPOP,Dân số,người,average\n", actor="test"
        ),
    )
    refused(
        setup,
        ErrorCode.REGIME_INVALID,
        lambda: setup.defs.import_indicators_csv(
            "code,name,unit,aggregation\nX,Một,cái,sum\nY,Hai,cái,median\n", actor="test"
        ),
    )


def test_a_version_with_reports_is_immutable_and_a_change_is_a_new_version(
    setup: Setup,
) -> None:
    setup.defs.ensure_demo_regime()
    reporting = setup.reporting()
    saved = reporting.save(
        NGHI_PHONG, "KTXH", "2026-M04", ReportContent({"POP": 1000}, {}), channel="api", actor="t"
    )
    assert saved.regime_version == 1
    definition = setup.defs.get("KTXH").versions[0].definition
    assert setup.defs.get("KTXH").versions[0].in_use is True
    changed = copy.deepcopy(definition)
    changed["form"]["title"] = "Biểu đã sửa"
    refused(
        setup,
        ErrorCode.REGIME_VERSION_IN_USE,
        lambda: setup.defs.edit_version(GOV, "KTXH", 1, changed),
    )
    # a new version cannot start before a period already reported under version 1
    early = {**changed, "effective_from": "2026-03-01"}
    error = refused(
        setup, ErrorCode.REGIME_VERSION_IN_USE, lambda: setup.defs.add_version(GOV, "KTXH", early)
    )
    assert "2026-M04 (v1)" in error.detail["periods"]
    before_v1 = {**changed, "effective_from": "2024-06-01"}
    refused(setup, ErrorCode.REGIME_INVALID, lambda: setup.defs.add_version(GOV, "KTXH", before_v1))
    later = {**changed, "effective_from": "2027-01-01"}
    later["form"]["version"] = 2
    regime = setup.defs.add_version(GOV, "KTXH", later)
    assert [(v.version, v.state) for v in regime.versions] == [(1, "published"), (2, "draft")]
    assert setup.catalogue.get("KTXH", date(2027, 2, 1)).version == 1  # type: ignore[union-attr]
    # a version without reports may still change, here its draft
    later["form"]["title"] = "Biểu số liệu 2027"
    setup.defs.edit_version(GOV, "KTXH", 2, later)
    setup.defs.publish(GOV, "KTXH")
    in_2027 = setup.catalogue.get("KTXH", date(2027, 2, 1))
    assert in_2027 is not None and (in_2027.version, in_2027.form.title) == (2, "Biểu số liệu 2027")
    # the report keeps its version: the form it was filled in is shown again from it
    assert reporting.submission(saved.id).regime_version == 1
    assert setup.catalogue.version("KTXH", 1) == demo_regime()
    regime_of = reporting.regime_of(saved.id)
    assert regime_of.version == 1 and regime_of.form.title == demo_regime().form.title


def test_publish_and_retire_follow_the_states(setup: Setup) -> None:
    setup.defs.create(NGHE_AN, new_regime())
    refused(setup, ErrorCode.REGIME_STATE_INVALID, lambda: setup.defs.retire(NGHE_AN, "PCTT"))
    setup.defs.publish(NGHE_AN, "PCTT")
    refused(setup, ErrorCode.REGIME_STATE_INVALID, lambda: setup.defs.publish(NGHE_AN, "PCTT"))
    retired = setup.defs.retire(NGHE_AN, "PCTT", date(2026, 6, 30))
    assert (retired.status, retired.retired_on) == ("retired", date(2026, 6, 30))
    assert setup.catalogue.get("PCTT", date(2026, 6, 1)) is not None, "past periods resolve"
    assert setup.catalogue.get("PCTT", date(2026, 7, 1)) is None, "nothing due after it"
    refused(
        setup,
        ErrorCode.REGIME_STATE_INVALID,
        lambda: setup.defs.edit_version(NGHE_AN, "PCTT", 1, province_version()),
    )
    refused(setup, ErrorCode.REGIME_STATE_INVALID, lambda: setup.defs.publish(NGHE_AN, "PCTT"))
    refused(setup, ErrorCode.REGIME_EXISTS, lambda: setup.defs.create(NGHE_AN, new_regime()))
    refused(setup, ErrorCode.REGIME_UNKNOWN, lambda: setup.defs.publish(NGHE_AN, "NOPE"))


def test_a_whole_regime_is_exported_and_imported_as_one_document(setup: Setup) -> None:
    setup.defs.create(NGHE_AN, new_regime())
    setup.defs.add_version(NGHE_AN, "PCTT", province_version(effective_from="2027-01-01"))
    setup.defs.publish(NGHE_AN, "PCTT")
    document = setup.defs.export("PCTT")
    assert document["format"] == "lienthong.regime/1"
    assert [v["version"] for v in document["versions"]] == [1, 2]
    before = setup.stored()
    again = setup.defs.import_document(NGHE_AN, document)  # unchanged: no version written
    assert [v.version for v in again.versions] == [1, 2]
    assert setup.stored()[1] == before[1]
    copy_doc = {**copy.deepcopy(document), "code": "PCTT2"}
    made = setup.defs.import_document(NGHE_AN, copy_doc)
    assert (made.code, made.status, len(made.versions)) == ("PCTT2", "published", 2)
    assert setup.catalogue.get("PCTT2", date(2027, 3, 1)).version == 2  # type: ignore[union-attr]
    assert setup.defs.export("PCTT2")["versions"] == document["versions"]
    refused(
        setup,
        ErrorCode.REGIME_NOT_ISSUER,
        lambda: setup.defs.import_document(CAO_BANG, {**document, "code": "PCTT3"}),
    )
    bad = copy.deepcopy(document)
    bad["code"] = "PCTT4"
    bad["versions"][1]["instructions"] = ""
    refused(setup, ErrorCode.REGIME_INVALID, lambda: setup.defs.import_document(NGHE_AN, bad))
    refused(
        setup,
        ErrorCode.REGIME_INVALID,
        lambda: setup.defs.import_document(NGHE_AN, {"format": "other", "code": "X"}),
    )


def test_a_stored_version_is_read_back_through_the_pure_model(setup: Setup) -> None:
    setup.defs.create(NGHE_AN, new_regime())
    setup.defs.publish(NGHE_AN, "PCTT")
    with setup.db.unit_of_work() as session:
        row = rstore.versions_of(session, "PCTT")[0]
        broken = dict(row.definition)
        broken["levels"] = [{"level": "commune", "deadlines": {"M": {"rule": "sometime"}}}]
        row.definition = broken
        regime = rstore.get_regime(session, "PCTT")
        assert regime is not None
        regime.revision += 1
    setup.catalogue.reload()
    assert setup.catalogue.get("PCTT") is None, "a stored definition the model refuses is skipped"
    assert LevelDeadlines  # the pure types are the catalogue's
