"""``lienthong agencies ...`` against a real SQLite file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.agencies.cli import agencies_app
from lienthong.agencies.service import AgencyService
from lienthong.clock import SystemClock
from lienthong.db import Database
from lienthong.secrets import Sealer

KEY = b"c" * 32
runner = CliRunner()


@pytest.fixture
def cli_db(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", sqlite_db.engine.url.render_as_string())
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", base64.urlsafe_b64encode(KEY).decode())
    return sqlite_db


def service_on(db: Database) -> AgencyService:
    return AgencyService(db, Sealer(KEY), SystemClock())


def test_adds_agencies_and_shows_them_as_a_tree(cli_db: Database) -> None:
    result = runner.invoke(agencies_app, ["add", "H01", "UBND tỉnh An Giang", "--level", "1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        agencies_app,
        ["add", "H01.151", "UBND phường Long Xuyên", "--level", "2", "--parent", "H01",
         "--valid-from", "2025-07-01", "--email", "longxuyen@angiang.gov.vn"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert service_on(cli_db).get("H01.151").email == "longxuyen@angiang.gov.vn"
    result = runner.invoke(agencies_app, ["list"])
    assert result.exit_code == 0, result.output
    assert "UBND tỉnh An Giang" in result.output
    assert "UBND phường Long Xuyên" in result.output


def test_a_refusal_prints_its_code_and_exits_with_one(cli_db: Database) -> None:
    result = runner.invoke(agencies_app, ["add", "H01.151", "X", "--level", "2", "--parent", "H01"])
    assert result.exit_code == 1
    assert "AGENCY_UNKNOWN" in result.output
    assert service_on(cli_db).list_all() == []


def test_imports_a_csv_file_and_refuses_a_bad_one_whole(cli_db: Database, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffcode,name,parent_code,level\nH01.151,UBND phường Long Xuyên,H01,2\n"
        "H01,UBND tỉnh An Giang,,1\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code,level\nH02,X,,1\nH02.1,Y,H09,2\n", encoding="utf-8")
    result = runner.invoke(agencies_app, ["import-csv", str(bad)])
    assert result.exit_code == 1
    assert "row 3" in result.output
    assert service_on(cli_db).list_all() == []
    result = runner.invoke(agencies_app, ["import-csv", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 agencies" in result.output


def test_issues_and_rotates_credentials(cli_db: Database) -> None:
    runner.invoke(agencies_app, ["add", "000.00.00.G22", "Văn phòng Chính phủ", "--level", "1"])
    service = service_on(cli_db)

    def secret_of(output: str) -> str:
        [line] = [x for x in output.splitlines() if x.startswith("secret:")]
        return line.split()[-1]

    issued = runner.invoke(agencies_app, ["issue-credentials", "000.00.00.G22"])
    assert issued.exit_code == 0, issued.output
    first = secret_of(issued.output)
    assert service.authenticate("000.00.00.G22", first) == "000.00.00.G22"
    rotated = runner.invoke(agencies_app, ["rotate-credentials", "000.00.00.G22"])
    assert rotated.exit_code == 0, rotated.output
    second = secret_of(rotated.output)
    assert service.authenticate("000.00.00.G22", second) == "000.00.00.G22"
    assert first != second
    unknown = runner.invoke(agencies_app, ["issue-credentials", "000.00.00.Z99"])
    assert unknown.exit_code == 1
    assert "AGENCY_UNKNOWN" in unknown.output
