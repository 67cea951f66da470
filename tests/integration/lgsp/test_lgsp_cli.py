"""``lienthong lgsp credentials issue|rotate|revoke|list``: the operator's commands, on a real
SQLite file; each command's effect is checked through the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.lgsp.model import ConsumerState
from lienthong.web.container import Container, build_container
from tests.conftest import sqlite_copy
from tests.support import GOV_OFFICE, TEST_SECRET_KEY, register, settings_for


@pytest.fixture
def hub(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Container]:
    sqlite_copy(sqlite_template, tmp_path).dispose()
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", url)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", TEST_SECRET_KEY)
    container = build_container(settings_for(url, tmp_path / "var"))
    register(container, GOV_OFFICE, "Văn phòng Chính phủ")
    yield container
    container.close()


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["lgsp", "credentials", *args], env={"COLUMNS": "160"})
    assert result.exit_code == code, result.output
    return result.output


def value(output: str, name: str) -> str:
    match = re.search(rf"{name}:\s+(\S+)", output)
    assert match, output
    return match.group(1)


def test_an_operator_issues_rotates_lists_and_revokes_a_consumer_key(hub: Container) -> None:
    service = hub.lgsp
    assert service is not None
    issued = run("issue", GOV_OFFICE, "--days", "30")
    key, secret = value(issued, "consumer_key"), value(issued, "consumer_secret")
    unit_secret = value(issued, "lgsp_secret")
    assert service.consumer_works(key, secret)
    assert service.unit_secret_works(GOV_OFFICE, unit_secret)
    assert "expires" in issued

    second = run("issue", GOV_OFFICE)
    assert "lgsp_secret" not in second  # the unit was connected already

    rotated = value(run("rotate", key), "consumer_secret")
    assert not service.consumer_works(key, secret)
    assert service.consumer_works(key, rotated)

    new_unit = value(run("rotate", GOV_OFFICE, "--unit"), "lgsp_secret")
    assert not service.unit_secret_works(GOV_OFFICE, unit_secret)
    assert service.unit_secret_works(GOV_OFFICE, new_unit)

    listing = run("list")
    assert key in listing and "1 connected unit(s): 000.00.00.G22" in listing
    assert rotated not in listing and new_unit not in listing  # no secret is ever listed

    run("revoke", key)
    assert not service.consumer_works(key, rotated)
    states = {c.consumer_key: c.state for c in service.consumers(GOV_OFFICE)}
    assert states[key] is ConsumerState.REVOKED
    run("revoke", GOV_OFFICE, "--unit")
    assert service.connected_units() == []


def test_a_refused_command_says_its_code_and_changes_nothing(hub: Container) -> None:
    assert hub.lgsp is not None
    out = CliRunner().invoke(app, ["lgsp", "credentials", "rotate", "no-such-key"])
    assert out.exit_code == 1 and "CONSUMER_UNKNOWN" in out.output
    out = CliRunner().invoke(app, ["lgsp", "credentials", "issue", "000.00.00.H99"])
    assert out.exit_code == 1 and "AGENCY_UNKNOWN" in out.output
    assert hub.lgsp.consumers() == [] and hub.lgsp.connected_units() == []


def test_a_rotation_with_an_overlap_keeps_the_old_secret_working_meanwhile(hub: Container) -> None:
    service = hub.lgsp
    assert service is not None
    issued = run("issue", GOV_OFFICE)
    key, secret = value(issued, "consumer_key"), value(issued, "consumer_secret")
    output = run("rotate", key, "--overlap-hours", "1")
    assert "keeps working for 1 h" in output
    assert service.consumer_works(key, secret)  # the wall clock: well inside the hour
    assert service.consumer_works(key, value(output, "consumer_secret"))
    run("rotate", GOV_OFFICE, "--unit", "--overlap-hours", "1", code=2)  # consumer secrets only
