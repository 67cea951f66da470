"""Rotating the hub master key without downtime: ``LIENTHONG_PREVIOUS_SECRET_KEYS`` keeps
secrets sealed under the old key readable (the axis HMAC over real HTTP), ``lienthong secrets
reseal`` moves them to the new key, after which the old key can go."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.client.axis import AxisClient, AxisError
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.secrets import SealError
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import TEST_SECRET_KEY, container_for, register
from tests.web_server import ThreadedServer

AGENCY = "000.00.00.G22"
OLD = TEST_SECRET_KEY
NEW = base64.urlsafe_b64encode(b"n" * 32).decode()
runner = CliRunner()


@contextmanager
def hub(db: Database, tmp_path: Path, **keys: str) -> Iterator[tuple[Container, str]]:
    container = container_for(db, tmp_path, FixedClock(datetime.now(UTC)), **keys)
    server = ThreadedServer(create_app(container=container)).start()
    try:
        yield container, server.url
    finally:
        server.stop()
        container.close()


def axis_works(url: str, secret: str) -> bool:
    with AxisClient(f"{url}/axis", AGENCY, secret) as axis:
        try:
            axis.count_receive_edoc()
        except AxisError:
            return False
        return True


@pytest.fixture
def cli_env(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", sqlite_db.engine.url.render_as_string())
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))


def test_the_master_key_rotates_without_a_refused_call(
    sqlite_db: Database, tmp_path: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hub(sqlite_db, tmp_path, secret_key=OLD) as (container, url):
        secret = register(container, AGENCY, "Văn phòng Chính phủ")  # sealed under OLD
        assert axis_works(url, secret)
    # The new key alone cannot read it: that is what the rotation steps avoid.
    with (
        hub(sqlite_db, tmp_path, secret_key=NEW) as (container, _url),
        pytest.raises(SealError),
    ):
        container.agencies.hmac_secret(AGENCY)
    # Step 2: every process reads NEW, still seals under OLD.
    with hub(sqlite_db, tmp_path, secret_key=OLD, previous_secret_keys=NEW) as (_c, url):
        assert axis_works(url, secret)
    # Step 3: NEW is the key, OLD is previous: the old sealed value still opens.
    with hub(sqlite_db, tmp_path, secret_key=NEW, previous_secret_keys=OLD) as (_c, url):
        assert axis_works(url, secret)
        # Step 4, while that hub serves: re-seal under NEW.
        monkeypatch.setenv("LIENTHONG_SECRET_KEY", NEW)
        monkeypatch.setenv("LIENTHONG_PREVIOUS_SECRET_KEYS", OLD)
        result = runner.invoke(app, ["secrets", "reseal"])
        assert result.exit_code == 0, result.output
        assert "1 secret(s) re-sealed, 0 already" in result.output
        assert axis_works(url, secret)
    # Step 5: OLD is gone; the agency's secret still works.
    with hub(sqlite_db, tmp_path, secret_key=NEW) as (_c, url):
        assert axis_works(url, secret)
    again = runner.invoke(app, ["secrets", "reseal"])
    assert again.exit_code == 0 and "0 secret(s) re-sealed, 1 already" in again.output


def test_reseal_without_the_old_key_changes_nothing(
    sqlite_db: Database, tmp_path: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hub(sqlite_db, tmp_path, secret_key=OLD) as (container, _url):
        secret = register(container, AGENCY, "Văn phòng Chính phủ")
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", NEW)
    result = runner.invoke(app, ["secrets", "reseal"])
    assert result.exit_code == 1
    assert "INTERNAL" in result.output and "Nothing was changed" in result.output
    with hub(sqlite_db, tmp_path, secret_key=OLD) as (_c, url):
        assert axis_works(url, secret)  # still sealed under OLD


def test_new_key_prints_a_usable_key() -> None:
    result = runner.invoke(app, ["secrets", "new-key", "--quiet"])
    assert result.exit_code == 0
    assert len(base64.urlsafe_b64decode(result.output.strip())) == 32
