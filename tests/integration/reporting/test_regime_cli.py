"""``lienthong reporting regime import / export / schema`` and ``reporting indicators import``
against a real SQLite file; the published schema is the one the code generates."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.service import AgencyService
from lienthong.clock import SystemClock
from lienthong.db import Database
from lienthong.reporting.cli import reporting_app
from lienthong.reporting.documents import regime_schema_text
from lienthong.secrets import Sealer
from tests.integration.reporting.test_regime_definitions import (
    NGHE_AN,
    province_version,
    stored_state,
)

KEY = b"c" * 32
runner = CliRunner()
DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.fixture
def cli_db(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", sqlite_db.engine.url.render_as_string())
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", base64.urlsafe_b64encode(KEY).decode())
    AgencyService(sqlite_db, Sealer(KEY), SystemClock()).register_all(DEMO_AGENCIES)
    return sqlite_db


def document() -> dict[str, object]:
    return {
        "format": "lienthong.regime/1",
        "code": "PCTT",
        "name": "Báo cáo tình hình phòng chống thiên tai",
        "issuer": NGHE_AN,
        "legal_basis": "Quyết định minh họa của UBND tỉnh Nghệ An",
        "status": "published",
        "versions": [province_version()],
    }


def test_a_regime_file_is_imported_then_exported(cli_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "pctt.json"
    path.write_text(json.dumps(document(), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(reporting_app, ["regime", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "PCTT: published" in result.output
    out = tmp_path / "out.json"
    result = runner.invoke(reporting_app, ["regime", "export", "PCTT", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["code"] == "PCTT" and exported["versions"][0]["version"] == 1


def test_a_refused_file_prints_its_code_and_stores_nothing(
    cli_db: Database, tmp_path: Path
) -> None:
    bad = document()
    bad["versions"] = [province_version(reporter_units=["000.00.00.G12"])]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    before = stored_state(cli_db)
    result = runner.invoke(reporting_app, ["regime", "import", str(path)])
    assert result.exit_code == 1
    assert "REGIME_OUT_OF_AUTHORITY" in result.output
    assert stored_state(cli_db) == before
    result = runner.invoke(reporting_app, ["regime", "export", "NOPE"])
    assert result.exit_code == 1 and "REGIME_UNKNOWN" in result.output


def test_the_indicator_catalogue_is_imported_from_csv(cli_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "indicators.csv"
    path.write_text("code,name,unit,aggregation\nGDP,Tổng sản phẩm,tỷ đồng,sum\n", "utf-8")
    result = runner.invoke(reporting_app, ["indicators", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 indicators imported" in result.output


def test_the_published_schema_is_the_generated_one() -> None:
    assert (DOCS / "schemas" / "regime.schema.json").read_text(
        encoding="utf-8"
    ) == regime_schema_text(), (
        "regenerate with: lienthong reporting regime schema > docs/schemas/regime.schema.json"
    )
    result = runner.invoke(reporting_app, ["regime", "schema"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "RegimeDoc"
