"""``/api/v1/reporting/regimes...`` over real HTTP on SQLite and PostgreSQL (issue 20): a
province defines a regime for its communes, publishes it, a commune then reports under it
(the runtime catalogue reads the store), the province changes it by a new version, exports it
and imports it again; every refusal answers its code and stores nothing."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.reporting.wiring import Reporting
from lienthong.web.app import create_app
from tests.integration.reporting.test_regime_definitions import (
    CAO_BANG,
    FINANCE,
    GOV,
    HOP_GIANG,
    NGHE_AN,
    NGHI_PHONG,
    NOW,
    new_regime,
    province_version,
    stored_state,
)
from tests.support import container_for
from tests.web_server import ThreadedServer

CALLERS = (GOV, NGHE_AN, CAO_BANG, FINANCE, NGHI_PHONG, HOP_GIANG)


@dataclass
class Hub:
    url: str
    db: Database
    secrets: dict[str, str]
    reporting: Reporting

    def api(self, code: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1/reporting", auth=(code, self.secrets[code]), timeout=30
        )

    def refused(self, answer: Any, status: int, code: str) -> dict[str, Any]:
        assert answer.status_code == status, answer.text
        error: dict[str, Any] = answer.json()["error"]
        assert error["code"] == code, error
        return error


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    container.agencies.register_all(DEMO_AGENCIES)
    secrets = {code: container.agencies.issue_credentials(code)[1] for code in CALLERS}
    assert container.reporting is not None
    container.reporting.ensure_units()  # the reporting tree from the registry, before any count
    server = ThreadedServer(create_app(container=container)).start()
    try:
        yield Hub(server.url, db, secrets, container.reporting)
    finally:
        server.stop()
        container.close()


def unchanged(hub: Hub, call: Any) -> Any:
    before = stored_state(hub.db)
    answer = call()
    assert stored_state(hub.db) == before, "a refusal stores nothing"
    return answer


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def test_a_province_defines_publishes_and_its_communes_report_under_it(hub: Hub) -> None:
    with hub.api(NGHE_AN) as province, hub.api(CAO_BANG) as other, hub.api(NGHI_PHONG) as commune:
        made = ok(province.post("/regimes", json=new_regime()), 201)
        assert (made["status"], made["issuer"], made["versions"][0]["state"]) == (
            "draft",
            NGHE_AN,
            "draft",
        )
        # a draft is its issuer's: others neither see it nor publish it
        hub.refused(other.get("/regimes/PCTT"), 404, "REGIME_UNKNOWN")
        assert [r["code"] for r in ok(other.get("/regimes"))["defined"]] == []
        assert [r["code"] for r in ok(province.get("/regimes"))["defined"]] == ["PCTT"]
        hub.refused(
            unchanged(hub, lambda: other.post("/regimes/PCTT/publish")), 403, "REGIME_NOT_ISSUER"
        )
        assert ok(commune.get("/regimes"))["regimes"] == [], "nothing is due under a draft"

        published = ok(province.post("/regimes/PCTT/publish"))
        assert published["status"] == "published"
        mine = ok(commune.get("/regimes"))
        assert [r["code"] for r in mine["regimes"]] == ["PCTT"]
        periods = ok(commune.get("/periods", params={"regime": "PCTT", "date": "2026-04-15"}))
        assert periods["level"] == "commune" and periods["due"][0]["period"] == "2026-M04"
        values = {"FLOOD_HOUSES": 3, "EVACUATED": 12}
        saved = ok(commune.put("/PCTT/2026-M04", json={"values": values}))
        assert saved["regime_version"] == 1
        # a province's regime addresses its own communes only, not another province's
        with hub.api(HOP_GIANG) as elsewhere:
            assert ok(elsewhere.get("/regimes"))["regimes"] == []
            hub.refused(
                elsewhere.put("/PCTT/2026-M04", json={"values": values}),
                422,
                "REPORT_NOT_EXPECTED",
            )
        expected = hub.reporting.queries.timeliness("PCTT", "2026-M04")
        assert NGHI_PHONG in {r.unit_code for r in expected}
        assert {r.parent_code for r in expected} <= {NGHE_AN}, "only Nghệ An's communes owe it"

        got = ok(province.get("/regimes/PCTT"))
        assert got["versions"][0]["in_use"] is True
        definition = got["versions"][0]["definition"]
        changed = copy.deepcopy(definition)
        changed["form"]["title"] = "Biểu đã sửa"
        hub.refused(
            unchanged(hub, lambda: province.put("/regimes/PCTT/versions/1", json=changed)),
            409,
            "REGIME_VERSION_IN_USE",
        )
        later = {**changed, "effective_from": "2027-01-01"}
        added = ok(province.post("/regimes/PCTT/versions", json=later), 201)
        assert [(v["version"], v["state"]) for v in added["versions"]] == [
            (1, "published"),
            (2, "draft"),
        ]
        later["form"]["title"] = "Biểu 2027"
        edited = ok(province.put("/regimes/PCTT/versions/2", json=later))
        assert edited["versions"][1]["definition"]["form"]["title"] == "Biểu 2027"
        ok(province.post("/regimes/PCTT/publish"))

        retired = ok(province.post("/regimes/PCTT/retire", json={"on": "2027-12-31"}))
        assert (retired["status"], retired["retired_on"]) == ("retired", "2027-12-31")
        hub.refused(
            unchanged(hub, lambda: province.post("/regimes/PCTT/retire")),
            409,
            "REGIME_STATE_INVALID",
        )


def test_definition_refusals_store_nothing(hub: Hub) -> None:
    with hub.api(NGHE_AN) as province, hub.api(GOV) as gov:
        error = hub.refused(
            unchanged(hub, lambda: province.post("/regimes", json=new_regime(instructions=""))),
            422,
            "REGIME_INVALID",
        )
        assert error["detail"]["problems"][0]["field"] == "instructions"
        error = hub.refused(
            unchanged(
                hub,
                lambda: province.post(
                    "/regimes", content=b"{not json", headers={"content-type": "application/json"}
                ),
            ),
            422,
            "REGIME_INVALID",
        )
        assert error["detail"]["problems"][0]["field"] == "document"
        hub.refused(
            unchanged(hub, lambda: province.post("/regimes", json=new_regime(issuer=GOV))),
            403,
            "REGIME_NOT_ISSUER",
        )
        error = hub.refused(
            unchanged(
                hub,
                lambda: province.post("/regimes", json=new_regime(reporter_units=[FINANCE])),
            ),
            422,
            "REGIME_OUT_OF_AUTHORITY",
        )
        assert error["detail"]["problems"][0]["field"] == "reporter_units"
        hub.reporting.definitions.ensure_demo_regime()
        hub.reporting.definitions.import_indicators_csv(
            "code,name,unit,aggregation,disaggregations\nGDP,Tổng sản phẩm,tỷ đồng,sum,AREA\n",
            actor="test",
        )
        assert ok(gov.get("/indicators")) == [
            {
                "code": "GDP",
                "name": "Tổng sản phẩm",
                "unit": "tỷ đồng",
                "aggregation": "sum",
                "disaggregations": ["AREA"],
            }
        ]
        clash = province_version()
        clash["form"]["indicators"].append({"code": "POOR", "name": "Hộ nghèo", "unit": "người"})
        hub.refused(
            unchanged(
                hub, lambda: province.post("/regimes", json={**new_regime(), "version": clash})
            ),
            409,
            "REGIME_INDICATOR_CONFLICT",
        )
        ok(province.post("/regimes", json=new_regime()), 201)
        hub.refused(
            unchanged(hub, lambda: province.post("/regimes", json=new_regime())),
            409,
            "REGIME_EXISTS",
        )
        hub.refused(
            unchanged(hub, lambda: gov.put("/regimes/PCTT/versions/1", json=province_version())),
            403,
            "REGIME_NOT_ISSUER",
        )
        hub.refused(gov.post("/regimes/NOPE/publish"), 404, "REGIME_UNKNOWN")


def test_a_regime_is_exported_and_imported_as_one_document(hub: Hub) -> None:
    with hub.api(NGHE_AN) as province, hub.api(CAO_BANG) as other:
        ok(province.post("/regimes", json=new_regime()), 201)
        ok(province.post("/regimes/PCTT/publish"))
        exported = province.get("/regimes/PCTT/export")
        document = ok(exported)
        assert "regime-PCTT.json" in exported.headers["content-disposition"]
        assert document["format"] == "lienthong.regime/1" and document["issuer"] == NGHE_AN
        copy_doc = {**document, "code": "PCTT-B"}
        imported = ok(province.post("/regimes/import", json=copy_doc))
        assert (imported["code"], imported["status"]) == ("PCTT-B", "published")
        assert ok(other.get("/regimes/PCTT-B/export"))["versions"] == document["versions"]
        hub.refused(
            unchanged(hub, lambda: other.post("/regimes/import", json={**document, "code": "X"})),
            403,
            "REGIME_NOT_ISSUER",
        )
        hub.refused(
            unchanged(hub, lambda: province.post("/regimes/import", json={"code": "X"})),
            422,
            "REGIME_INVALID",
        )
